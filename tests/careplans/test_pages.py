"""Care-plan pages: the family's plans with the month calendar and the voucher forecast, making a plan with
inline errors, skipping and ending from the page; the provider's two weeks of planned work."""
import re
from datetime import timedelta

from sqlalchemy import delete, select

from eldercare import clock
from eldercare.careplans.models import CarePlan
from eldercare.extensions import db
from eldercare.providers.models import Availability

from ..factories import UserFactory


def text(r) -> str:
    return r.get_data(as_text=True)


def form(s, **extra):
    return {"elder_id": s["city"].elder.id, "item_id": s["city"].lunch.id, "freq": "weekly", "weekdays": ["0", "3"],
            "interval_weeks": "1", "time": "11:30", "start_date": clock.today().isoformat(),
            "pay_with": "voucher"} | extra


def test_the_family_makes_a_plan_and_sees_it_in_the_calendar(setting, pages):
    s = setting
    pages.login(s["family"].username)
    home = text(pages.client.get("/"))
    assert f"/care-plans?elder_id={s['city'].elder.id}" in home
    page = pages.client.get(f"/care-plans?elder_id={s['city'].elder.id}")
    assert page.status_code == 200 and "还没有护理计划" in text(page)
    token = pages.token(f"/care-plans?elder_id={s['city'].elder.id}")
    made = pages.client.post("/care-plans/new", data=form(s) | {"csrf_token": token})
    assert made.status_code == 302
    plan = db.session.scalar(select(CarePlan))
    assert (plan.freq, plan.weekdays, plan.time_of_day.strftime("%H:%M")) == ("weekly", [0, 3], "11:30")
    page = text(pages.client.get(f"/care-plans?elder_id={s['city'].elder.id}"))
    assert "每周的周一、周四 11:30" in page
    today = clock.today()
    last = clock.Month.of(today).last_day
    expected = sum(1 for n in range((last - today).days + 1) if (today + timedelta(days=n)).weekday() in (0, 3))
    assert page.count(f"11:30 {s['city'].lunch.name}") == expected


def test_a_bad_plan_shows_inline_errors_and_keeps_the_input(setting, pages):
    s = setting
    pages.login(s["family"].username)
    token = pages.token(f"/care-plans?elder_id={s['city'].elder.id}")
    bad = pages.client.post("/care-plans/new", data=form(s, weekdays=[], time="11:30") | {"csrf_token": token})
    assert bad.status_code == 422
    assert "请给出星期几" in text(bad) and 'value="11:30"' in text(bad)
    assert db.session.scalar(select(CarePlan)) is None
    for junk in ({"interval_weeks": "x"}, {"item_id": "soup"}, {"end_date": "someday"}, {"start_date": ""}):
        r = pages.client.post("/care-plans/new", data=form(s) | junk | {"csrf_token": token})
        assert r.status_code == 422, junk


def test_skipping_and_ending_from_the_page(setting, pages, api):
    s = setting
    plan = api.as_(s["family"]).post("/api/v1/care-plans", json={
        "elder_id": s["city"].elder.id, "item_id": s["city"].lunch.id, "rule": {"freq": "daily", "time": "11:30"},
        "start_date": s["monday"].isoformat(), "pay_with": "self"}).json
    pages.login(s["family"].username)
    token = pages.token(f"/care-plans?elder_id={s['city'].elder.id}")
    skipped = pages.client.post(f"/care-plans/{plan['id']}/skip", data={"date": s["monday"].isoformat(),
                                                                         "csrf_token": token})
    assert skipped.status_code == 302
    assert [d.day for d in db.session.get(CarePlan, plan["id"]).skips] == [s["monday"]]
    blank = pages.client.post(f"/care-plans/{plan['id']}/pause", data={"csrf_token": token})
    assert blank.status_code == 302 and "请填写日期和时间" in text(pages.client.get(blank.headers["Location"]))
    ended = pages.client.post(f"/care-plans/{plan['id']}/end", data={"csrf_token": token})
    assert ended.status_code == 302
    assert db.session.get(CarePlan, plan["id"]).status == "ended"
    stranger = UserFactory(role="family")
    pages.logout()
    pages.login(stranger.username)
    assert pages.client.get(f"/care-plans?elder_id={s['city'].elder.id}").status_code == 404
    assert pages.client.post(f"/care-plans/{plan['id']}/resume", data={"csrf_token": token}).status_code in (400, 404)


def test_the_provider_sees_two_weeks_of_planned_work(setting, pages, api):
    s = setting
    api.as_(s["city"].bureau).post("/api/v1/care-plans", json={
        "elder_id": s["city"].elder.id, "item_id": s["city"].lunch.id, "provider_id": s["provider"].id,
        "rule": {"freq": "daily", "time": "08:30"}, "start_date": clock.today().isoformat(),
        "pay_with": "self"})
    pages.login(s["provider"].admin.username)
    page = text(pages.client.get("/provider/planned"))
    assert page.count("08:30") == 14 and s["city"].elder.name in page and "家庭养老床位" in page
    pages.logout()
    pages.login(s["family"].username)
    assert pages.client.get("/provider/planned").status_code == 403


def test_the_planned_work_shows_the_kept_caregiver_only_on_the_days_she_works(setting, pages, api):
    s = setting
    carer = s["provider"].team[0]
    db.session.execute(delete(Availability).where(Availability.caregiver_id == carer.id, Availability.weekday >= 5))
    db.session.commit()  # she works Monday to Friday
    made = api.as_(s["city"].bureau).post("/api/v1/care-plans", json={
        "elder_id": s["city"].elder.id, "item_id": s["city"].lunch.id, "provider_id": s["provider"].id,
        "rule": {"freq": "daily", "time": "09:00"}, "start_date": clock.today().isoformat(), "pay_with": "self"})
    assert made.status_code == 201, made.json
    db.session.get(CarePlan, made.json["id"]).caregiver_id = carer.id  # the caregiver the provider keeps on it
    db.session.commit()
    pages.login(s["provider"].admin.username)
    page = text(pages.client.get("/provider/planned"))
    days = [clock.today() + timedelta(days=n) for n in range(14)]
    weekend = sum(1 for d in days if d.weekday() >= 5)
    assert page.count(f"{carer.name}届时无法上门") == weekend  # Saturdays and Sundays: she does not work
    assert len(re.findall(rf"<td>\s*{carer.name}\s*</td>", page)) == 14 - weekend  # weekdays: she goes


def test_an_elder_without_vouchers_gets_the_family_paying_by_default_and_is_told_why(setting, pages):
    s = setting
    s["city"].elder.care_level = None  # not assessed: no vouchers this month
    db.session.commit()
    pages.login(s["family"].username)
    page = text(pages.client.get(f"/care-plans?elder_id={s['city'].elder.id}"))
    assert re.search(r'value="self" checked aria-describedby="pay-with-why"', page)
    assert not re.search(r'value="voucher" checked', page)
    assert "本月没有可用的服务券，所以默认由家人自付" in page and "评估" in page
    s["city"].elder.care_level = "moderate"
    db.session.commit()
    page = text(pages.client.get(f"/care-plans?elder_id={s['city'].elder.id}"))
    assert 'value="voucher" checked' in page and "默认由家人自付" not in page


def test_the_plan_calendar_pages_to_the_next_months_and_back(setting, pages, api):
    s = setting
    api.as_(s["family"]).post("/api/v1/care-plans", json={
        "elder_id": s["city"].elder.id, "item_id": s["city"].lunch.id, "rule": {"freq": "daily", "time": "07:45"},
        "start_date": clock.today().isoformat(), "pay_with": "self"})
    pages.login(s["family"].username)
    url = f"/care-plans?elder_id={s['city'].elder.id}"
    this = clock.Month.of(clock.today())
    page = text(pages.client.get(url))
    assert f"{this.year}年{this.month}月的安排" in page and "上个月" not in page
    assert f"month={this.next()}" in page
    following = text(pages.client.get(f"{url}&month={this.next()}"))
    days = (this.next().last_day - this.next().first_day).days + 1
    assert f"{this.next().year}年{this.next().month}月的安排" in following
    assert following.count(f"07:45 {s['city'].lunch.name}") == days and f"month={this}" in following
    assert "下个月" in following and "上个月" in following
