"""Each matching rule, and the ranking with its explanation."""
from datetime import timedelta

from eldercare import clock
from eldercare.extensions import db
from eldercare.orders.matching import rank
from eldercare.orders.models import WorkOrder

from .conftest import next_monday


def names(candidates):
    return [c.name for c in candidates]


def busy_order(city, caregiver, start, status="accepted"):
    order = WorkOrder(elder_id=city.elder.id, item_id=city.lunch.id, status=status, scheduled_start=start,
                      scheduled_end=start + timedelta(minutes=30), provider_id=caregiver.provider_id,
                      caregiver_id=caregiver.id, price_fen=1500, copay_fen=1500)
    db.session.add(order)
    db.session.commit()
    return order


def test_a_provider_without_the_category_is_not_matched(city):
    city.provider("只做保洁", categories=[city.cleaning])
    city.provider("做饭的", km=2.0)
    assert names(rank(city.need(city.lunch))) == ["做饭的"]
    assert names(rank(city.need(city.tidy))) == ["只做保洁", "做饭的"]


def test_outside_area_and_radius_is_not_matched_but_either_one_is_enough(city):
    city.provider("区外远处", km=8.0, areas=[city.far_street], radius_m=5000)
    city.provider("区外但够得着", km=4.0, areas=[city.far_street], radius_m=5000)
    city.provider("远但覆盖本街道", km=12.0, areas=[city.street], radius_m=1000)
    assert set(names(rank(city.need()))) == {"区外但够得着", "远但覆盖本街道"}


def test_a_suspended_or_pending_provider_is_never_matched(city):
    city.provider("暂停", status="suspended")
    city.provider("待审", status="pending")
    city.provider("正常", km=3.0)
    assert names(rank(city.need())) == ["正常"]


def test_no_caregiver_free_at_that_time_means_no_match(city):
    busy = city.provider("忙", km=0.5)
    city.provider("闲", km=2.0)
    start = next_monday(10)
    busy_order(city, busy.team[0], start + timedelta(minutes=15))  # overlaps 10:00-10:30
    assert names(rank(city.need(start=start))) == ["闲"]
    # Later the same morning the caregiver is free again.
    assert names(rank(city.need(start=start + timedelta(hours=2)))) == ["忙", "闲"]
    # Outside working hours nobody is free.
    assert rank(city.need(start=next_monday(20))) == []


def test_a_caregiver_at_the_daily_limit_is_not_free(city):
    full = city.provider("满", km=0.5, daily_limit=2)
    start = next_monday(9)
    busy_order(city, full.team[0], start - timedelta(minutes=30))
    later = busy_order(city, full.team[0], start + timedelta(hours=3))
    assert rank(city.need(start=start + timedelta(hours=1))) == []
    later.status = "cancelled"  # a cancelled visit no longer counts against the limit
    db.session.commit()
    assert names(rank(city.need(start=start + timedelta(hours=1)))) == ["满"]


def test_an_expired_certificate_removes_the_caregiver_for_that_category_only(city):
    city.provider("证过期", km=0.5, certificate_expires=clock.today() - timedelta(days=1))
    assert rank(city.need(city.lunch)) == []  # meals need a valid health certificate
    assert names(rank(city.need(city.tidy))) == ["证过期"]  # cleaning needs none


def test_a_certificate_expiring_before_the_visit_day_counts_as_expired(city):
    start = next_monday(10)
    city.provider("下周一前过期", km=0.5, certificate_expires=start.date() - timedelta(days=1))
    assert rank(city.need(start=start)) == []


def test_the_preferred_provider_comes_first_when_it_can_come(city):
    near = city.provider("近", km=0.5)
    far = city.provider("老熟人", km=5.0)
    assert names(rank(city.need())) == ["近", "老熟人"]
    ranked = rank(city.need(preferred=far.id))
    assert names(ranked) == ["老熟人", "近"]
    assert ranked[0].explanation().startswith("the elder's preferred provider")
    assert near.id == ranked[1].provider_id


def test_the_15_minute_circle_comes_first_even_against_a_better_record(city):
    city.provider("圈外好评", km=2.5, completed=100, on_time=100, ratings=100, rating_sum=500)
    city.provider("圈内一般", km=1.2, completed=100, on_time=80, ratings=100, rating_sum=400)
    assert names(rank(city.need())) == ["圈内一般", "圈外好评"]


def test_on_time_rate_and_rating_rank_providers_at_similar_distance(city):
    city.provider("常迟到", km=2.0, completed=50, on_time=35, ratings=50, rating_sum=190)
    city.provider("准时", km=2.2, completed=50, on_time=49, ratings=50, rating_sum=240)
    ranked = rank(city.need())
    assert names(ranked) == ["准时", "常迟到"]
    assert ranked[0].explanation() == "2.2 km, 98% on time, 4.8 stars, 0 orders today"


def test_load_spreads_work_across_equal_providers(city):
    a = city.provider("甲", km=2.0, caregivers=3)
    b = city.provider("乙", km=2.0, caregivers=3)
    start = next_monday(8)
    winners = []
    for i in range(6):
        ranked = rank(city.need(start=start + timedelta(minutes=40 * i)))
        best = ranked[0]
        winners.append(best.name)
        provider = a if best.provider_id == a.id else b
        busy_order(city, provider.team[i % 3], start + timedelta(hours=9, minutes=i))  # later that day
    assert winners.count("甲") == 3 and winners.count("乙") == 3
    assert winners[0] != winners[1]


def test_a_visit_running_past_midnight_finds_nobody(city):
    city.provider("甲")
    start = next_monday(23).replace(minute=50)
    assert rank(city.need(start=start)) == []
