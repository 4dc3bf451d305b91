"""Each anomaly rule flags the case it must and lets pass the near miss beside it (299 m against 301 m, 14 against
15 minutes of a 30-minute item, the day before a death against the day of it, ...); a rescan adds nothing."""
from datetime import date, timedelta

from sqlalchemy import func, select

from eldercare import clock
from eldercare.audit import rules
from eldercare.audit.findings import AuditCase, CaseStep, Finding
from eldercare.audit.models import AuditEvent
from eldercare.elders.models import ElderEvent
from eldercare.extensions import db

from .conftest import DAY, HOME, NOW, at, metres_east


def flagged(rule, first=DAY, last=DAY) -> set[int]:
    """Scan the days and answer the orders the rule has findings for."""
    rules.scan(first, last)
    db.session.commit()
    return set(db.session.scalars(select(Finding.order_id).where(Finding.rule == rule)))


def test_the_same_caregiver_in_two_homes_at_once(world):
    first = world.visit(start=at(DAY, 10, 5), minutes=35, elder=world.elder(0))
    second = world.visit(start=at(DAY, 10, 30), minutes=30, elder=world.elder(1))
    touching = world.visit(start=at(DAY, 11, 0), minutes=30, elder=world.elder(2))  # starts as `second` ends
    assert flagged("overlap") == {first.id, second.id}
    finding = db.session.scalar(select(Finding).where(Finding.order_id == first.id))
    assert finding.severity == "high"
    assert finding.facts["other_order_id"] == second.id
    assert touching.id not in flagged("overlap")


def test_overlap_explanation_reads_out_in_chinese_and_english(world, app):
    world.visit(start=at(DAY, 10, 5), minutes=35, elder=world.elder(0))
    other = world.visit(start=at(DAY, 10, 20), minutes=60, elder=world.elder(1))
    flagged("overlap")
    finding = db.session.scalars(select(Finding).order_by(Finding.id)).first()
    from flask_babel import force_locale

    with app.test_request_context("/"), force_locale("zh"):
        assert finding.explanation == f"护理员张某 11-16 10:20–10:40 同时在两位老人家中（另一工单 {other.id}）。"
    with app.test_request_context("/"), force_locale("en"):
        assert finding.explanation.startswith("Caregiver 张某 was in two elders' homes at once, 11-16 10:20–10:40")


def test_one_person_registered_with_two_providers_is_matched_by_phone(world):
    here = world.visit(start=at(DAY, 9), minutes=60)
    again = world.caregiver("张丽", provider=world.other_provider, phone="13900000001")
    there = world.visit(again, start=at(DAY, 9, 30), minutes=60, elder=world.elder(1))
    namesake = world.caregiver("张丽", provider=world.other_provider, phone="13900000002")
    elsewhere = world.visit(namesake, start=at(DAY, 9, 15), minutes=60, elder=world.elder(2))
    no_phone = [world.caregiver("李", phone=None), world.caregiver("王", phone=None)]
    apart = [world.visit(no_phone[0], start=at(DAY, 14), minutes=60, elder=world.elder(3)),
             world.visit(no_phone[1], start=at(DAY, 14), minutes=60, elder=world.elder(4))]
    found = flagged("overlap")
    assert {here.id, there.id} <= found
    assert elsewhere.id not in found  # the same name, another phone: another person
    assert not found & {a.id for a in apart}  # no phone is no match


def test_check_in_or_out_more_than_300_m_from_home(world):
    far_in = world.visit(start=at(DAY, 8), in_m=301)
    far_out = world.visit(start=at(DAY, 9), out_m=301, elder=world.elder(1))
    near = world.visit(start=at(DAY, 10), in_m=299, out_m=300, elder=world.elder(2))
    assert flagged("far_from_home") == {far_in.id, far_out.id}
    assert near.id not in flagged("far_from_home")


def test_a_visit_shorter_than_half_the_item(world):
    short = world.visit(start=at(DAY, 8), minutes=14)
    half = world.visit(start=at(DAY, 9), minutes=15, elder=world.elder(1))
    tidy_short = world.visit(start=at(DAY, 10), minutes=29, item=world.tidy, elder=world.elder(2))
    tidy_half = world.visit(start=at(DAY, 11), minutes=30, item=world.tidy, elder=world.elder(3))
    assert flagged("too_short") == {short.id, tidy_short.id}
    assert not {half.id, tidy_half.id} & flagged("too_short")


def test_a_visit_longer_than_16_hours(world):
    long = world.visit(start=at(DAY, 6), minutes=16 * 60 + 1)
    sixteen = world.visit(start=at(DAY, 6), minutes=16 * 60, elder=world.elder(1), caregiver=world.caregiver("刘"))
    assert flagged("too_long") == {long.id}
    assert sixteen.id not in flagged("too_long")


def test_a_visit_on_or_after_the_day_of_death(world):
    died = DAY + timedelta(days=1)
    db.session.add(ElderEvent(elder_id=world.elder(0).id, kind="death", occurred_on=died))
    db.session.commit()
    day_before = world.visit(start=at(DAY, 23, 59), minutes=1)  # 15:59 UTC: the UTC date is the same
    on_the_day = world.visit(start=at(died, 0, 0), minutes=30)  # 16:00 UTC the day before
    after = world.visit(start=at(died + timedelta(days=3), 10), minutes=30)
    alive = world.visit(start=at(died, 10), minutes=30, elder=world.elder(1))
    found = flagged("after_death", DAY, died + timedelta(days=3))
    assert found == {on_the_day.id, after.id}
    assert not {day_before.id, alive.id} & found


def test_a_death_recorded_long_before_the_span(world):
    db.session.add(ElderEvent(elder_id=world.elder(0).id, kind="death", occurred_on=date(2026, 1, 5)))
    db.session.commit()
    visit = world.visit(start=at(DAY, 10))
    assert flagged("after_death") == {visit.id}


def test_a_visit_during_a_hospital_stay(world):
    admitted, discharged = DAY - timedelta(days=2), DAY + timedelta(days=2)
    elder = world.elder(0)
    db.session.add_all([ElderEvent(elder_id=elder.id, kind="hospital_admission", occurred_on=admitted),
                        ElderEvent(elder_id=elder.id, kind="hospital_discharge", occurred_on=discharged)])
    db.session.commit()
    on_admission = world.visit(start=at(admitted, 9))
    next_day = world.visit(start=at(admitted + timedelta(days=1), 0, 0))
    during = world.visit(start=at(DAY, 10))
    on_discharge = world.visit(start=at(discharged, 15))
    after = world.visit(start=at(discharged + timedelta(days=1), 10))
    found = flagged("in_hospital", admitted, discharged + timedelta(days=1))
    assert found == {next_day.id, during.id}
    assert not {on_admission.id, on_discharge.id, after.id} & found


def test_still_in_hospital_without_a_discharge(world):
    db.session.add(ElderEvent(elder_id=world.elder(0).id, kind="hospital_admission", occurred_on=date(2026, 10, 1)))
    db.session.commit()
    visit = world.visit(start=at(DAY, 10))
    assert flagged("in_hospital") == {visit.id}


def test_travel_faster_than_a_car(world):
    ten_km = metres_east(10_000)
    # 10 km in a straight line at 80 km/h takes 7.5 minutes.
    world.visit(start=at(DAY, 9), minutes=30, out_at=HOME)
    too_fast = world.visit(start=at(DAY, 9, 37), minutes=30, in_at=ten_km, out_at=ten_km, elder=world.elder(1))
    world.visit(start=at(DAY, 14), minutes=30, in_at=ten_km, out_at=ten_km, elder=world.elder(1))
    by_car = world.visit(start=at(DAY, 14, 38), minutes=30, in_at=HOME, elder=world.elder(0))
    found = flagged("impossible_travel")
    assert found == {too_fast.id}  # 7 minutes: 86 km/h; 8 minutes: 75 km/h
    assert by_car.id not in found
    facts = db.session.scalar(select(Finding.facts).where(Finding.order_id == too_fast.id))
    assert facts["km"] == 10.0 and facts["speed_kmh"] == 86


def test_a_neighbour_next_door_is_no_journey(world):
    world.visit(start=at(DAY, 9), minutes=30)
    next_door = world.visit(start=at(DAY, 9, 30), minutes=30, in_at=metres_east(900), elder=world.elder(1))
    assert next_door.id not in flagged("impossible_travel")


def test_timestamps_in_the_future(world):
    late_out = world.visit(start=NOW - timedelta(minutes=30), minutes=33)  # checks out 3 minutes from now
    forgiven = world.visit(start=NOW - timedelta(minutes=30), minutes=31, elder=world.elder(1),
                           caregiver=world.caregiver("刘"))
    next_year = world.visit(start=NOW + timedelta(days=300), minutes=30, elder=world.elder(2),
                            caregiver=world.caregiver("陈"))
    confirmed_ahead = world.visit(start=at(DAY, 10), elder=world.elder(3), confirmed_at=NOW + timedelta(hours=5),
                                  status="confirmed", caregiver=world.caregiver("周"))
    today = clock.local_date(NOW)
    found = flagged("future_time", DAY, today)
    assert found == {late_out.id, next_year.id, confirmed_ahead.id}  # next year's, wherever the span is
    assert forgiven.id not in found  # a minute ahead: a phone's clock


def test_a_providers_spend_far_above_its_recent_months(world):
    # The previous three months: ¥500 a month, a mean of 50,000 fen; 3x is 150,000.
    for month_day in (date(2026, 8, 10), date(2026, 9, 10), date(2026, 10, 10)):
        world.visit(start=at(month_day, 10), voucher_fen=50_000, status="settled")
    orders = [world.visit(start=at(DAY, 8 + n), voucher_fen=50_000, status="confirmed", elder=world.elder(n))
              for n in range(3)]
    assert flagged("spend_spike", date(2026, 11, 1), date(2026, 11, 27)) == set()  # exactly 3x is not above
    one_more = world.visit(start=at(DAY, 12), voucher_fen=1, status="confirmed", elder=world.elder(4))
    assert flagged("spend_spike", date(2026, 11, 1), date(2026, 11, 27)) == {one_more.id}
    facts = db.session.scalar(select(Finding.facts).where(Finding.rule == "spend_spike"))
    assert facts["spent_fen"] == 150_001 and facts["mean_fen"] == 50_000
    assert orders  # the orders before the line are not findings


def test_a_new_provider_has_no_mean_to_be_above(world):
    world.visit(start=at(DAY, 10), voucher_fen=900_000, status="confirmed")
    assert flagged("spend_spike", date(2026, 11, 1), date(2026, 11, 27)) == set()


def test_one_elder_and_item_far_more_often_than_usual(world):
    for n in (1, 2, 3):  # the usual: 2 a month; 3x that is below the floor of 10
        for d in (3, 4):
            world.visit(start=at(date(2026, 11, d), 10), elder=world.elder(n))
    carer = world.caregiver("刘")
    visits = [world.visit(carer, start=at(date(2026, 11, 1) + timedelta(days=d), 12), elder=world.elder(0))
              for d in range(10)]
    november = (date(2026, 11, 1), date(2026, 11, 27))
    assert flagged("frequent_booking", *november) == set()  # 10: not above 10
    eleventh = world.visit(carer, start=at(date(2026, 11, 20), 12), elder=world.elder(0))
    assert flagged("frequent_booking", *november) == {eleventh.id}
    assert visits


def test_daily_meals_are_usual_for_who_has_them_daily(world):
    carer = world.caregiver("刘")
    for month_day in range(1, 31):  # October: every day
        world.visit(carer, start=at(date(2026, 10, month_day), 12), elder=world.elder(0))
    for month_day in range(1, 28):  # November so far: every day
        world.visit(carer, start=at(date(2026, 11, month_day), 12), elder=world.elder(0))
    world.visit(start=at(date(2026, 11, 3), 10), elder=world.elder(1))
    assert flagged("frequent_booking", date(2026, 11, 1), date(2026, 11, 27)) == set()


def test_a_certificate_expired_before_the_day_of_the_visit(world):
    expired = world.caregiver("刘", certificate_expires=DAY - timedelta(days=1))
    last_day = world.caregiver("陈", certificate_expires=DAY)
    none = world.caregiver("周", certificate_expires=None)
    a = world.visit(expired, start=at(DAY, 0, 0), elder=world.elder(0))  # 16:00 UTC, the day before
    b = world.visit(last_day, start=at(DAY, 23, 30), elder=world.elder(1))
    c = world.visit(none, start=at(DAY, 10), elder=world.elder(2))
    cleaning = world.visit(none, start=at(DAY, 12), item=world.tidy, elder=world.elder(3))  # needs none
    found = flagged("certificate_expired")
    assert found == {a.id, c.id}
    assert not {b.id, cleaning.id} & found


def test_a_rescan_adds_nothing_twice_and_one_case_per_order(world):
    order = world.visit(start=at(DAY, 8), minutes=10, in_m=400)  # too short and too far: two findings
    first = rules.scan(DAY - timedelta(days=3), DAY)
    db.session.commit()
    assert first.findings == 2 and first.cases == 1
    again = rules.scan(DAY, DAY + timedelta(days=2))
    db.session.commit()
    assert again.findings == 0 and again.cases == 0 and sum(again.found.values()) == 2
    assert db.session.scalar(select(func.count(Finding.id))) == 2
    case = db.session.scalar(select(AuditCase).where(AuditCase.order_id == order.id))
    assert case.status == "open" and [s.to_status for s in case.steps] == ["open"]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "audit.case_opened")) == 1


def test_a_new_finding_reopens_a_cleared_case(world):
    order = world.visit(start=at(DAY, 8), minutes=10)
    flagged("too_short")
    case = db.session.scalar(select(AuditCase))
    case.status = "cleared"
    db.session.commit()
    order.check_in_distance_m = 500
    db.session.commit()
    assert flagged("far_from_home") == {order.id}
    db.session.refresh(case)
    assert case.status == "open"
    assert db.session.scalars(select(CaseStep.note).order_by(CaseStep.id)).all()[-1].startswith("Reopened")


def test_clean_visits_are_not_flagged(world):
    for n in range(5):
        world.visit(start=at(DAY, 8 + 2 * n), minutes=45, elder=world.elder(n), status="confirmed",
                    confirmed_at=at(DAY, 20))
    report = rules.scan(DAY - timedelta(days=30), DAY + timedelta(days=1))
    assert report.findings == 0


def test_a_scan_longer_than_a_year_is_refused(world):
    import pytest

    from eldercare.errors import Invalid

    with pytest.raises(Invalid):
        rules.scan(date(2025, 1, 1), date(2026, 1, 2))
    with pytest.raises(Invalid):
        rules.scan(DAY, DAY - timedelta(days=1))


def test_the_nightly_job_scans_yesterday_in_beijing(world, app, frozen):
    from eldercare import jobs

    yesterday = clock.local_date(NOW) - timedelta(days=1)  # Friday the 27th, though UTC is still on the 27th too
    frozen.move_to(at(clock.local_date(NOW), 1, 30))  # 01:30 Beijing: 17:30 UTC the 27th
    short = world.visit(start=at(yesterday, 20), minutes=5)
    older = world.visit(start=at(yesterday - timedelta(days=1), 20), minutes=5, elder=world.elder(1))
    jobs.bind(app)
    assert jobs.audit_scan() == 1
    assert jobs.audit_scan() == 0  # run twice (a second scheduler): nothing twice
    assert set(db.session.scalars(select(Finding.order_id))) == {short.id}
    assert older.id
