# ruff: noqa: E501  (the table below reads by its aligned columns: one row per path and method, wider than 120)
"""The access-control matrix (issue 19): every route of the app's own URL map, each method, called as every role and
anonymously, answers what the table below says; and the cross-tenant cases (provider A on provider B's orders, a
family on an elder it is not linked to or its card, a street officer outside the street and its audit findings, cases
and samples, a caregiver on another caregiver's visit, a provider on another's service point, a point's staff at
another point's counter) answer 404 (or 403) as their rows say.

A route missing from the table fails `test_every_route_has_a_row`, naming it: a new endpoint or page gets its row
(one line per path and method) when it is added. Rows name the expected answer per caller:

    ok     the caller got past access control: a 2xx or 3xx answer (not to the login page), or the request went on
           to be judged on its content or state (400, 409, 422)
    401    the API's "log in first"
    403    logged in, but not allowed
    404    what the caller may not see does not exist for them
    login  a page that sends an anonymous visitor to the login page (302 to /login?next=...)

Every request runs against one world built once for the module; the requests answer as they always would, but
what they write is rolled back instead of committed, so that every row meets the same world, whatever the rows
before it did (a cancel, a logout, a token revoked). CSRF is off in this module only: the page tests check it, and
a form without its token would answer 400 before the page's own role check could be seen.
"""
import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from hashlib import sha256

import pytest
from sqlalchemy import select

from eldercare.accounts.models import User
from eldercare.audit import findings
from eldercare.audit.findings import AuditCase, Finding
from eldercare.clock import Month, today
from eldercare.elders.assessment import item_specs
from eldercare.elders.models import FamilyLink
from eldercare.extensions import db as _db
from eldercare.extensions import limiter
from eldercare.notifications.models import Notification
from eldercare.orders.models import WorkOrder
from eldercare.providers.models import Availability, Caregiver, Certificate, ProviderDocument
from eldercare.servicepoints import services as point_services
from eldercare.servicepoints.models import PointItem, ServicePoint
from eldercare.vouchers.models import VoucherPolicy, VoucherTier

from ..conftest import ApiClient, _empty_all_tables
from ..factories import (
    FACTORIES,
    CategoryFactory,
    CommunityFactory,
    DistrictFactory,
    ElderFactory,
    ItemFactory,
    ProviderFactory,
    StreetFactory,
    UserFactory,
    make_token,
)
from ..orders.conftest import HOME, next_monday

# The callers of every row, in the order of the table's columns.
CALLERS = ("anonymous", "admin", "bureau_district", "bureau_street", "operator", "provider_admin", "caregiver",
           "family", "elder", "point_staff")
# Callers of the cross-tenant rows only ("point_staff_other": 甲's staff at another of its points).
OTHER_CALLERS = ("provider_admin_b", "caregiver_other", "bureau_other_district", "bureau_district_second",
                 "point_staff_other")


# --- the world ------------------------------------------------------------------------------------------------


@dataclass
class World:
    users: dict  # caller name -> User
    tokens: dict  # caller name -> bearer token
    cookies: dict  # caller name -> session cookie value
    ids: dict  # path variable -> the id of the caller-side object (the "own" one)
    other: dict  # name -> id of objects of another tenant


def _caregiver(provider, name, user=None, categories=()):
    carer = Caregiver(provider_id=provider.id, name=name, daily_limit=8, user_id=user.id if user else None)
    carer.categories = list(categories)
    carer.availability = [Availability(weekday=d, start_time=time(8), end_time=time(18)) for d in range(7)]
    carer.certificates = [Certificate(kind="health", level="A", expires_on=date(2099, 1, 1)),
                          Certificate(kind="elderly_care", level="3", expires_on=date(2099, 1, 1))]
    _db.session.add(carer)
    _db.session.flush()
    return carer


def settled_month() -> Month:
    """The month the world's statements settle: the last one, over whatever the day."""
    return Month.current().previous()


def _confirmed_visit(elder, item, provider, carer, check_out_at) -> WorkOrder:
    """A visit of last month as the lifecycle leaves it once the elder's side confirms it (paid by the elder)."""
    check_in_at = check_out_at - timedelta(minutes=30)
    order = WorkOrder(elder_id=elder.id, item_id=item.id, status="confirmed", scheduled_start=check_in_at,
                      scheduled_end=check_out_at, price_fen=1500, voucher_fen=0, copay_fen=1500, pay_with="self",
                      provider_id=provider.id, caregiver_id=carer.id, check_in_at=check_in_at,
                      check_out_at=check_out_at, check_in_distance_m=12, check_out_distance_m=15, actual_minutes=30,
                      confirmed_at=check_out_at + timedelta(hours=1))
    _db.session.add(order)
    _db.session.flush()
    return order


def _build(app) -> World:
    district = DistrictFactory(name="海陵区")
    street = StreetFactory(parent_id=district.id, name="城东街道", lat=HOME[0], lng=HOME[1])
    other_street = StreetFactory(parent_id=district.id, name="城西街道", lat=HOME[0], lng=HOME[1])
    elsewhere = DistrictFactory(name="高港区")
    home = CommunityFactory(parent_id=street.id, lat=HOME[0], lng=HOME[1])
    other_home = CommunityFactory(parent_id=other_street.id, lat=HOME[0], lng=HOME[1])
    meal = CategoryFactory(code="meal", name="助餐")
    lunch = ItemFactory(code="meal.lunch", category=meal, price_fen=1500, duration_minutes=30)

    elder = ElderFactory(community_id=home.id, lat=HOME[0], lng=HOME[1])
    other_elder = ElderFactory(community_id=other_home.id, lat=HOME[0], lng=HOME[1])  # another street's

    def provider(name, km):
        p = ProviderFactory(name=name, base_lat=HOME[0], base_lng=HOME[1] + km / 93.6, service_radius_m=5000,
                            district_id=district.id)
        p.categories = [meal]
        p.service_areas = [street, other_street]
        return p

    a, b = provider("甲", 0.5), provider("乙", 2.0)
    users = dict(
        admin=UserFactory(role="admin"),
        bureau_district=UserFactory(role="bureau", scope_region_id=district.id),
        bureau_street=UserFactory(role="bureau", scope_region_id=street.id),
        bureau_other_district=UserFactory(role="bureau", scope_region_id=elsewhere.id),
        bureau_district_second=UserFactory(role="bureau", scope_region_id=district.id),  # approves settlements
        operator=UserFactory(role="operator", scope_region_id=district.id),
        provider_admin=UserFactory(role="provider_admin", provider_id=a.id),
        provider_admin_b=UserFactory(role="provider_admin", provider_id=b.id),
        caregiver=UserFactory(role="caregiver", provider_id=a.id),
        caregiver_other=UserFactory(role="caregiver", provider_id=a.id),
        family=UserFactory(role="family"),
        elder=UserFactory(role="elder"),
        point_staff=UserFactory(role="point_staff", provider_id=a.id),
        point_staff_other=UserFactory(role="point_staff", provider_id=a.id),
        bureau_other_street=UserFactory(role="bureau", scope_region_id=other_street.id),  # draws 城西街道's sample
    )
    elder.user_id = users["elder"].id
    _db.session.add(FamilyLink(elder_id=elder.id, user_id=users["family"].id, relation="女儿"))
    carer = _caregiver(a, "甲护理员", users["caregiver"], [meal])
    _caregiver(a, "甲护理员二", users["caregiver_other"], [meal])
    b_carer = _caregiver(b, "乙护理员", None, [meal])
    _db.session.commit()

    api = ApiClient(app.test_client())
    start = next_monday()
    booking = {"item_id": lunch.id, "scheduled_start": start.isoformat(), "pay_with": "self"}
    # The family's order, offered to 甲 (the nearer) and taken with its caregiver.
    order = api.as_(users["family"]).post("/api/v1/orders", json=booking | {"elder_id": elder.id}).json
    assert order["provider_id"] == a.id, order
    taken = api.as_(users["provider_admin"]).post(f"/api/v1/orders/{order['id']}/accept",
                                                  json={"caregiver_id": carer.id})
    assert taken.status_code == 200, taken.json
    # Another street's elder's order: 甲 declines, 乙 takes it.
    other = api.as_(users["operator"]).post("/api/v1/orders", json=booking | {"elder_id": other_elder.id}).json
    assert api.as_(users["provider_admin"]).post(f"/api/v1/orders/{other['id']}/reject",
                                                 json={"reason": "人手不够"}).status_code == 200
    assert api.as_(users["provider_admin_b"]).post(f"/api/v1/orders/{other['id']}/accept",
                                                   json={"caregiver_id": b_carer.id}).status_code == 200
    plan = api.as_(users["family"]).post("/api/v1/care-plans", json={
        "elder_id": elder.id, "item_id": lunch.id, "rule": {"freq": "weekly", "weekdays": [2], "time": "11:00"},
        "start_date": (start + timedelta(days=60)).date().isoformat()})
    assert plan.status_code == 201, plan.json

    # Co-pay taken at the door for the family's order, recorded by its caregiver (some of it: more is still due).
    assert order["copay_fen"] == 1500, order
    paid = api.as_(users["caregiver"]).post(f"/api/v1/orders/{order['id']}/payments/offline",
                                            json={"amount_fen": 500, "method": "cash"})
    assert paid.status_code == 201, paid.json
    # Last month's settlement: a confirmed visit each of 甲 (to the family's elder) and 乙 (to the other street's
    # elder), settled by the district's officer, so that the statements' approval is another officer's.
    start_of_month = settled_month().bounds()[0]
    past = [_confirmed_visit(elder, lunch, a, carer, start_of_month + timedelta(days=2, hours=3)),
            _confirmed_visit(other_elder, lunch, b, b_carer, start_of_month + timedelta(days=3, hours=3))]
    _db.session.commit()
    made = api.as_(users["bureau_district"]).post("/api/v1/settlements", json={"period": str(settled_month())})
    assert made.status_code == 201 and len(made.json) == 2, made.json
    statement = {s["provider_id"]: s["id"] for s in made.json}

    # A document of 甲's application, on disk where the app keeps them.
    content = b"%PDF-1.4 licence"
    digest = sha256(content).hexdigest()
    document = ProviderDocument(provider_id=a.id, kind="营业执照", filename="licence.pdf",
                                content_type="application/pdf", size_bytes=len(content), sha256=digest)
    _db.session.add(document)
    folder = app.instance_path + f"/uploads/providers/{a.id}"
    import os

    os.makedirs(folder, exist_ok=True)
    with open(f"{folder}/{digest}", "wb") as f:
        f.write(content)
    # A notification of the family's (the one every caller tries to read).
    note = Notification(user_id=users["family"].id, kind="order_accepted", order_id=order["id"], facts={})
    _db.session.add(note)
    target = UserFactory(role="family", username="someone-else")
    _db.session.commit()

    # Service points, approved, open all day: 甲's canteen in the elder's community, where its point_staff serves,
    # another of 甲's in 城西街道 (where point_staff_other serves) and one of 乙's there.
    def point(provider, community, name):
        p = ServicePoint(provider_id=provider.id, name=name, kind="canteen", community_id=community.id, lat=HOME[0],
                         lng=HOME[1], hours=[dict(weekday=d, start="00:00", end="23:59") for d in range(7)],
                         daily_capacity=200, status="approved")
        p.items = [PointItem(item_id=lunch.id, price_fen=1200)]
        _db.session.add(p)
        _db.session.flush()
        return p

    canteen, a_second, b_point = point(a, home, "甲食堂"), point(a, other_home, "甲二食堂"), point(b, other_home, "乙食堂")
    point_services.assign_staff(users["point_staff"], [canteen.id])
    point_services.assign_staff(users["point_staff_other"], [a_second.id])
    card = point_services.card_payload(elder)
    _db.session.commit()
    # The family's supper booked ahead at 甲's canteen for tomorrow (paid by the elder), waiting at its counter.
    booked = api.as_(users["family"]).post(f"/api/v1/service-points/{canteen.id}/bookings", json={
        "elder_id": elder.id, "item_id": lunch.id, "day": (today() + timedelta(days=1)).isoformat(),
        "slot": "supper", "pay_with": "self"})
    assert booked.status_code == 201, booked.json
    # Audit: a finding (and the case it opens) about each of last month's visits, found after they were settled.
    found = [Finding(rule="too_short", order_id=o.id, severity="medium", facts={"minutes": 30, "booked_minutes": 60})
             for o in past]
    _db.session.add_all(found)
    _db.session.flush()
    findings.open_cases([o.id for o in past], actor_id=None, note="扫描")
    cases = {c.order_id: c.id for c in _db.session.scalars(select(AuditCase))}
    _db.session.commit()
    # Follow-up samples of last month: 甲's in 城东街道 (drawn by its street officer) and 乙's in 城西街道.
    sample_ids = []
    for officer, provider_id in (("bureau_street", a.id), ("bureau_other_street", b.id)):
        drawn = api.as_(users[officer]).post("/api/v1/audit/samples", json={
            "provider_id": provider_id, "period": str(settled_month()), "seed": 7})
        assert drawn.status_code == 201 and len(drawn.json["order_ids"]) == 1, drawn.json
        sample_ids.append(drawn.json["id"])

    # A voucher policy of the district, years ahead: it pays for nothing in this world.
    policy = VoucherPolicy(region_id=district.id, name="矩阵政策", valid_from=date(2031, 1, 1), valid_to=None,
                           tiers=[VoucherTier(care_level="moderate", hardship="any", monthly_fen=100, copay_percent=0)])
    _db.session.add(policy)
    _db.session.commit()

    tokens = {name: make_token(user) for name, user in users.items()}
    cookies = {name: _cookie(app, user) for name, user in users.items()}
    ids = dict(order_id=order["id"], elder_id=elder.id, plan_id=plan.json["id"], item_id=lunch.id,
               provider_id=a.id, caregiver_id=carer.id, document_id=document.id, notification_id=note.id,
               user_id=target.id, district_id=district.id, payment_id=paid.json["id"], statement_id=statement[a.id],
               past_order=past[0].id, community_id=home.id, point_id=canteen.id, card=card, booking_id=booked.json["id"], finding_id=found[0].id,
               case_id=cases[past[0].id], sample_id=sample_ids[0], policy_id=policy.id)
    other_ids = dict(order=other["id"], elder=other_elder.id, provider=b.id, b_caregiver=b_carer.id,
                     district=elsewhere.id, statement=statement[b.id], past_order=past[1].id, b_point=b_point.id,
                     second_point=a_second.id, finding=found[1].id, case=cases[past[1].id], sample=sample_ids[1])
    return World(users, tokens, cookies, ids, other_ids)


def _cookie(app, user: User) -> str:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client.get_cookie("session").value


@pytest.fixture(scope="module")
def world(app, tmp_path_factory):
    patch = pytest.MonkeyPatch()
    patch.setattr(app, "instance_path", str(tmp_path_factory.mktemp("instance")))
    with app.app_context():
        for factory in FACTORIES:
            factory._meta.sqlalchemy_session = _db.session
        limiter.reset()
        built = _build(app)
        _db.session.remove()
    # From here on every request answers as usual and keeps nothing (see the module's docstring).
    patch.setattr(_db.session, "commit", _db.session.rollback)
    patch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    # Stripe's webhook is served (it answers 404 without its secret): its access control is the signature.
    patch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", "whsec_access_matrix")
    yield built
    patch.undo()
    with app.app_context():
        _empty_all_tables()


@pytest.fixture(autouse=True)
def db(app, world):
    """Replaces the suite's per-test emptying: the world lasts the module."""
    with app.app_context():
        limiter.reset()
        yield _db
        _db.session.remove()


# --- calling a route ------------------------------------------------------------------------------------------

# Values of path variables that are not ids.
WORDS = {"step": "check-in", "action": "cancel", "change": "end", "filename": "css/app.css", "extension": "csv",
         "name": "providers"}

# Bodies sent to an API route (any method but GET), from the ids in play; {} when not listed. Valid where it
# matters that a caller reaches the checks behind the body's validation (a 422 would hide a 403 or 404 behind it).
def bodies(ids: dict) -> dict:
    visit = {"lat": HOME[0], "lng": HOME[1]}
    return {
        "/api/v1/orders": {"elder_id": ids["elder_id"], "item_id": ids["item_id"],
                           "scheduled_start": next_monday(14).isoformat()},
        "/api/v1/orders/<int:order_id>/accept": {"caregiver_id": ids["caregiver_id"]},
        "/api/v1/orders/<int:order_id>/reject": {"reason": "人手不够"},
        "/api/v1/orders/<int:order_id>/cancel": {"reason": "不需要了"},
        "/api/v1/orders/<int:order_id>/assign": {"provider_id": ids["provider_id"]},
        "/api/v1/voucher-policies/<int:policy_id>": {"valid_to": "2031-12"},
        "/api/v1/orders/<int:order_id>/reschedule": {"scheduled_start": next_monday(15).isoformat()},
        "/api/v1/orders/<int:order_id>/check-in": visit,
        "/api/v1/orders/<int:order_id>/check-out": visit | {"service_note": "送餐"},
        "/api/v1/orders/<int:order_id>/confirm": {"rating": 5},
        "/api/v1/orders/<int:order_id>/dispute": {"reason": "没有来"},
        "/api/v1/orders/<int:order_id>/resolve": {"outcome": "confirmed", "note": "已核实"},
        "/api/v1/care-plans": {"elder_id": ids["elder_id"], "item_id": ids["item_id"], "start_date": "2030-01-07",
                               "rule": {"freq": "weekly", "weekdays": [0], "time": "11:00"}},
        "/api/v1/care-plans/<int:plan_id>/end": {"reason": "不需要了"},
        "/api/v1/care-plans/<int:plan_id>/pause": {"from": "2030-01-07", "until": "2030-01-20"},
        "/api/v1/care-plans/<int:plan_id>/skip": {"date": "2030-01-09"},
        "/api/v1/care-plans/<int:plan_id>/time": {"from": "2030-01-07", "time": "12:00"},
        "/api/v1/elders/<int:elder_id>/assessments": {
            "assessed_on": "2026-01-05", "reason": "condition_changed",
            "items": {spec.code: spec.max_points for spec in item_specs()}},
        "/api/v1/elders/<int:elder_id>/login": {"username": "laoren-login", "password": "Tai-zhou river 7"},
        "/api/v1/elders/<int:elder_id>": {"address": "泰州市海陵区测试街道2号"},
        "/api/v1/elders/<int:elder_id>/events": {"kind": "hospital_admission", "occurred_on": "2026-01-05"},
        "/api/v1/elders/<int:elder_id>/family-links": {"user_id": ids["user_id"], "relation": "儿子"},
        "/api/v1/providers/<int:provider_id>": {"phone": "13900000000"},
        "/api/v1/providers/<int:provider_id>/review": {"decision": "suspend", "note": "投诉"},
        "/api/v1/providers/<int:provider_id>/caregivers": {
            "username": "new-carer", "password": "Tai-zhou river 7", "name": "新护理员", "phone": "13900000001",
            "categories": ["meal"]},
        "/api/v1/providers/<int:provider_id>/caregivers/<int:caregiver_id>": {"daily_limit": 6},
        "/api/v1/voucher-policies": {
            "region_id": ids["district_id"], "name": "居家养老服务券", "valid_from": "2030-01", "categories": ["meal"],
            "tiers": [{"care_level": "moderate", "hardship": "any", "monthly_fen": 30000, "copay_percent": 30}]},
        "/api/v1/users/<int:user_id>": {"display_name": "某人"},
        "/api/v1/orders/<int:order_id>/payments/offline": {"amount_fen": 100, "method": "cash"},
        "/api/v1/orders/<int:order_id>/payments/refund": {"amount_fen": 100, "method": "cash"},
        "/api/v1/payments/<int:payment_id>/reverse": {"reason": "记错了"},
        "/api/v1/settlements": {"period": str(settled_month())},
        "/api/v1/audit/scans": {"from": last_month_day(), "to": last_month_day()},
        "/api/v1/audit/anomalies/<int:finding_id>/review": {"decision": "review", "note": "电话核实"},
        "/api/v1/audit/samples": {"provider_id": ids["provider_id"], "period": str(settled_month()), "seed": 7},
        "/api/v1/audit/samples/<int:sample_id>/calls": {"order_id": ids["past_order"], "reached": False},
        "/api/v1/audit/samples/<int:sample_id>/decision": {"decision": "reject", "note": "回访无异常"},
        "/api/v1/service-points": {
            "name": "新食堂", "kind": "canteen", "community_id": ids["community_id"], "lat": HOME[0], "lng": HOME[1],
            "hours": [{"weekday": 0, "start": "10:30", "end": "13:00"}],
            "items": [{"item_id": ids["item_id"], "price_fen": 1200}], "daily_capacity": 100},
        "/api/v1/service-points/<int:point_id>": {"daily_capacity": 150},
        "/api/v1/service-points/<int:point_id>/review": {"decision": "approve"},
        "/api/v1/service-points/<int:point_id>/check-ins": {"card": ids["card"], "item_id": ids["item_id"],
                                                            "pay_with": "self"},
        "/api/v1/service-points/<int:point_id>/bookings": meal_booking(ids),
    }


def meal_booking(ids: dict) -> dict:
    """A lunch at 甲's canteen the day after tomorrow, paid by the elder."""
    return {"elder_id": ids["elder_id"], "item_id": ids["item_id"], "day": (today() + timedelta(days=2)).isoformat(),
            "slot": "lunch", "pay_with": "self"}


def last_month_day() -> str:
    return settled_month().first_day.isoformat()


# What a page is sent: the query string of a GET, the form of a POST (the page's own fields, so that it gets as
# far as its access checks; an elder id missing answers 404 before them).
def page_fields(ids: dict) -> dict:
    booking = {"elder_id": ids["elder_id"], "item_id": ids["item_id"]}
    counter = {"card": ids["card"], "item_id": ids["item_id"], "pay_with": "self"}
    point_page = {"name": "甲食堂", "kind": "canteen", "community_id": ids["community_id"], "days": "0", "opens": "10:30",
                  "closes": "13:30", f"price_{ids['item_id']}": "12.00", "daily_capacity": "150"}
    return {
        "/book": {"elder_id": ids["elder_id"]},
        "/book/when": booking,
        "/book/confirm": booking,
        "/care-plans/new": booking,
        "/care-plans": {"elder_id": ids["elder_id"]},
        "/my/orders/<int:order_id>/<action>": {"reason": "不需要了"},
        "/orders/<int:order_id>/copay": {"amount": "1.00", "method": "cash"},
        "/orders/<int:order_id>/refund": {"amount": "1.00", "method": "cash"},
        "/payments/<int:payment_id>/reverse": {"reason": "记错了"},
        "/bureau/settlements": {"period": str(settled_month())},
        "/audit/scans": {"from": last_month_day(), "to": last_month_day()},
        "/audit/cases/<int:case_id>": {"decision": "review", "note": "电话核实"},
        "/audit/samples": {"provider_id": ids["provider_id"], "period": str(settled_month()), "seed": "7"},
        "/audit/samples/<int:sample_id>": {"decision": "reject", "note": "回访无异常"},
        "/audit/samples/<int:sample_id>/calls": {"order_id": ids["past_order"], "reached": "no"},
        "/points/<int:point_id>/counter": counter,
        "/provider/points/new": point_page,
        "/provider/points/<int:point_id>": point_page,
        "/bureau/points/<int:point_id>/review": {"decision": "approve"},
        "/points/<int:point_id>/counter/record": counter,
        "/meals": meal_booking(ids) | {"choice": f"{ids['point_id']}:{ids['item_id']}"},
    }


def concrete_path(rule: str, values: dict) -> str:
    path = rule
    for name, value in values.items():  # <name>, <int:name>, <any(csv, xlsx):name>
        path = re.sub(rf"<(?:[^<>:]+:)?{name}>", str(value), path)
    assert "<" not in path, f"no value for a variable of {rule}"
    return path


def outcome(response, page: bool) -> str:
    code = response.status_code
    if code == 302 and "/login" in response.headers.get("Location", "") and page:
        return "login"
    if code < 400 or code in (400, 409, 422):
        return "ok"
    return str(code)


def call(app, w: World, method: str, rule: str, caller: str, others: dict | None = None) -> str:
    """The outcome of `method rule` as `caller`, on the caller-side objects, or on another tenant's where `others`
    maps a path variable to the name of one (`{"order_id": "order"}`: the other street's order)."""
    ids = w.ids | {name: w.other[which] for name, which in (others or {}).items()}
    path = concrete_path(rule, {k: v for k, v in (WORDS | ids).items() if f"{k}>" in rule})
    page = not path.startswith("/api/")
    client = app.test_client()
    headers = {}
    if caller != "anonymous":
        if page:
            client.set_cookie("session", w.cookies[caller])
        else:
            headers["Authorization"] = f"Bearer {w.tokens[caller]}"
    kwargs = {}
    if page:
        fields = page_fields(ids).get(rule, {})
        kwargs["query_string" if method == "GET" else "data"] = fields
    elif method != "GET":
        kwargs["json"] = bodies(ids).get(rule, {})
    response = client.open(path, method=method, headers=headers, **kwargs)
    assert response.status_code < 500, f"{method} {path} as {caller}: {response.status_code}"
    return outcome(response, page)


def routes(app) -> list[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, rule.rule))
    return sorted(found, key=lambda r: (r[1], r[0]))



# --- the table ------------------------------------------------------------------------------------------------
# One row per path and method: the outcome for each caller, in the order of CALLERS. The callers act on their own
# side of the world: the family's elder (in 城东街道), her order served by 甲 with the caregiver who logs in, her
# care plan, 甲's record and its document, the family's notification, 甲's canteen in her community (approved; "staff"
# is a point_staff serving there), her card, the finding and case about her visit of last month and the sample of
# 甲's visits drawn by 城东街道's officer. "distr" is the bureau of the district, "street" the bureau of 城东街道,
# "oper" an operator of the district.
EXPECTED = {
#                                                                                     anon   admin  distr  street oper   prov   carer  family elder  staff
    # pages (server-rendered)
    ("GET", "/"):                                                                    "login  ok     ok     ok     ok     ok     ok     ok     ok     ok",
    # /api/v1/audit (findings and cases about last month's visits, 甲's sample drawn by 城东街道's officer)
    ("GET", "/api/v1/audit/log"):                                                    "401    403    ok     ok     403    403    403    403    403    403",
    ("GET", "/api/v1/audit/log/verify"):                                             "401    403    ok     ok     403    403    403    403    403    403",
    ("GET", "/api/v1/audit/reports/<any('voucher-spend', 'coverage', 'orders', 'providers', 'service-points'):name>"): "401    403    ok     ok     403    403    403    403    403    403",
    ("GET", "/api/v1/audit/anomalies"):                                              "401    ok     ok     ok     403    403    403    403    403    403",
    ("GET", "/api/v1/audit/anomalies/<int:finding_id>"):                             "401    ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/api/v1/audit/anomalies/<int:finding_id>/review"):                     "401    ok     ok     ok     403    403    403    403    403    403",
    ("GET", "/api/v1/audit/samples"):                                                "401    ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/api/v1/audit/samples"):                                               "401    ok     ok     ok     403    403    403    403    403    403",
    ("GET", "/api/v1/audit/samples/<int:sample_id>"):                                "401    ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/api/v1/audit/samples/<int:sample_id>/calls"):                         "401    ok     ok     ok     ok     403    403    403    403    403",
    ("POST", "/api/v1/audit/samples/<int:sample_id>/decision"):                      "401    ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/api/v1/audit/scans"):                                                 "401    ok     ok     ok     403    403    403    403    403    403",
    # /api/v1/auth
    ("POST", "/api/v1/auth/signup"):                                                 "ok     ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("DELETE", "/api/v1/auth/tokens"):                                               "401    ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("POST", "/api/v1/auth/tokens"):                                                 "ok     ok     ok     ok     ok     ok     ok     ok     ok     ok",
    # /api/v1/care-plans
    ("GET", "/api/v1/care-plans"):                                                   "401    ok     ok     ok     ok     ok     403    ok     ok     403",
    ("POST", "/api/v1/care-plans"):                                                  "401    ok     ok     ok     ok     403    403    ok     ok     403",
    ("GET", "/api/v1/care-plans/<int:plan_id>"):                                     "401    ok     ok     ok     ok     404    403    ok     ok     403",
    ("POST", "/api/v1/care-plans/<int:plan_id>/end"):                                "401    ok     ok     ok     ok     403    403    ok     ok     403",
    ("POST", "/api/v1/care-plans/<int:plan_id>/pause"):                              "401    ok     ok     ok     ok     403    403    ok     ok     403",
    ("POST", "/api/v1/care-plans/<int:plan_id>/resume"):                             "401    ok     ok     ok     ok     403    403    ok     ok     403",
    ("POST", "/api/v1/care-plans/<int:plan_id>/skip"):                               "401    ok     ok     ok     ok     403    403    ok     ok     403",
    ("POST", "/api/v1/care-plans/<int:plan_id>/time"):                               "401    ok     ok     ok     ok     403    403    ok     ok     403",
    ("GET", "/api/v1/care-plans/forecast"):                                          "401    ok     ok     ok     ok     403    403    ok     ok     403",
    # /api/v1/catalog
    ("GET", "/api/v1/catalog/categories"):                                           "ok     ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("GET", "/api/v1/catalog/items"):                                                "ok     ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("POST", "/api/v1/catalog/items"):                                               "401    ok     403    403    403    403    403    403    403    403",
    ("PATCH", "/api/v1/catalog/items/<int:item_id>"):                                "401    ok     403    403    403    403    403    403    403    403",
    # /api/v1/coverage (the 15-minute circle of the officer's area)
    ("GET", "/api/v1/coverage/communities"):                                         "401    403    ok     ok     403    403    403    403    403    403",
    # /api/v1/docs
    ("GET", "/api/v1/docs"):                                                         "ok     ok     ok     ok     ok     ok     ok     ok     ok     ok",
    # /api/v1/elders
    ("GET", "/api/v1/elders"):                                                       "401    ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("POST", "/api/v1/elders"):                                                      "401    ok     ok     ok     ok     403    403    ok     403    403",
    ("GET", "/api/v1/elders/<int:elder_id>"):                                        "401    ok     ok     ok     ok     404    404    ok     ok     404",
    ("PATCH", "/api/v1/elders/<int:elder_id>"):                                      "401    ok     ok     ok     ok     403    403    403    403    403",
    ("GET", "/api/v1/elders/<int:elder_id>/assessments"):                            "401    ok     ok     ok     ok     404    404    ok     ok     404",
    ("POST", "/api/v1/elders/<int:elder_id>/assessments"):                           "401    ok     ok     ok     ok     403    403    403    403    403",
    ("GET", "/api/v1/elders/<int:elder_id>/card"):                                   "401    403    403    403    ok     403    403    ok     ok     403",
    ("POST", "/api/v1/elders/<int:elder_id>/card/revoke"):                           "401    403    403    403    ok     403    403    ok     ok     403",
    ("GET", "/api/v1/elders/<int:elder_id>/events"):                                 "401    ok     ok     ok     ok     404    404    ok     ok     404",
    ("POST", "/api/v1/elders/<int:elder_id>/events"):                                "401    ok     ok     ok     ok     403    403    403    403    403",
    ("GET", "/api/v1/elders/<int:elder_id>/family-links"):                           "401    ok     ok     ok     ok     404    404    ok     ok     404",
    ("POST", "/api/v1/elders/<int:elder_id>/family-links"):                          "401    ok     ok     ok     ok     403    403    403    403    403",
    ("POST", "/api/v1/elders/<int:elder_id>/login"):                                 "401    ok     ok     ok     ok     403    403    403    403    403",
    ("GET", "/api/v1/elders/<int:elder_id>/status-history"):                         "401    ok     ok     ok     ok     404    404    ok     ok     404",
    ("POST", "/api/v1/elders/<int:elder_id>/verify"):                                "401    ok     ok     ok     ok     403    403    403    403    403",
    ("GET", "/api/v1/elders/<int:elder_id>/voucher-account"):                        "401    ok     ok     ok     ok     404    404    ok     ok     404",
    # /api/v1/health
    ("GET", "/api/v1/health"):                                                       "ok     ok     ok     ok     ok     ok     ok     ok     ok     ok",
    # /api/v1/me
    ("GET", "/api/v1/me"):                                                           "401    ok     ok     ok     ok     ok     ok     ok     ok     ok",
    # /api/v1/notifications
    ("GET", "/api/v1/notifications"):                                                "401    ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("POST", "/api/v1/notifications/<int:notification_id>/read"):                    "401    404    404    404    404    404    404    ok     404    404",
    ("POST", "/api/v1/notifications/read-all"):                                      "401    ok     ok     ok     ok     ok     ok     ok     ok     ok",
    # /api/v1/openapi.json
    ("GET", "/api/v1/openapi.json"):                                                 "ok     ok     ok     ok     ok     ok     ok     ok     ok     ok",
    # /api/v1/orders
    ("GET", "/api/v1/orders"):                                                       "401    ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("POST", "/api/v1/orders"):                                                      "401    ok     403    403    ok     403    403    ok     ok     403",
    ("GET", "/api/v1/orders/<int:order_id>"):                                        "401    ok     ok     ok     ok     ok     ok     ok     ok     404",
    ("POST", "/api/v1/orders/<int:order_id>/accept"):                                "401    403    403    403    403    ok     403    403    403    403",
    ("POST", "/api/v1/orders/<int:order_id>/assign"):                                "401    ok     ok     ok     ok     403    403    403    403    403",
    ("POST", "/api/v1/orders/<int:order_id>/cancel"):                                "401    ok     ok     ok     ok     ok     403    ok     ok     404",
    ("POST", "/api/v1/orders/<int:order_id>/check-in"):                              "401    403    403    403    403    403    ok     403    403    403",
    ("POST", "/api/v1/orders/<int:order_id>/check-out"):                             "401    403    403    403    403    403    ok     403    403    403",
    ("POST", "/api/v1/orders/<int:order_id>/confirm"):                               "401    403    403    403    403    403    403    ok     ok     403",
    ("POST", "/api/v1/orders/<int:order_id>/dispute"):                               "401    ok     ok     ok     ok     403    403    ok     ok     404",
    ("POST", "/api/v1/orders/<int:order_id>/on-the-way"):                            "401    403    403    403    403    403    ok     403    403    403",
    ("GET", "/api/v1/orders/<int:order_id>/payments"):                               "401    ok     ok     ok     ok     ok     ok     ok     ok     404",
    ("POST", "/api/v1/orders/<int:order_id>/payments/offline"):                      "401    403    403    403    ok     ok     ok     403    403    404",
    ("POST", "/api/v1/orders/<int:order_id>/payments/refund"):                       "401    403    403    403    ok     ok     ok     403    403    404",
    ("POST", "/api/v1/orders/<int:order_id>/payments/stripe"):                       "401    403    403    403    403    403    403    ok     ok     403",
    ("POST", "/api/v1/orders/<int:order_id>/reject"):                                "401    403    403    403    403    ok     403    403    403    403",
    ("POST", "/api/v1/orders/<int:order_id>/reschedule"):                            "401    ok     ok     ok     ok     403    403    ok     ok     404",
    ("POST", "/api/v1/orders/<int:order_id>/resolve"):                               "401    ok     ok     ok     ok     403    403    403    403    403",
    # /api/v1/payments
    ("POST", "/api/v1/payments/<int:payment_id>/reverse"):                           "401    403    403    403    ok     ok     403    403    403    403",
    ("POST", "/api/v1/payments/stripe/webhook"):                                     "ok     ok     ok     ok     ok     ok     ok     ok     ok     ok",
    # /api/v1/providers
    ("GET", "/api/v1/providers"):                                                    "401    ok     ok     ok     403    ok     ok     403    403    403",
    ("POST", "/api/v1/providers"):                                                   "401    403    403    403    403    ok     403    403    403    403",
    ("GET", "/api/v1/providers/<int:provider_id>"):                                  "401    ok     ok     ok     403    ok     ok     403    403    403",
    ("PATCH", "/api/v1/providers/<int:provider_id>"):                                "401    403    403    403    403    ok     403    403    403    403",
    ("GET", "/api/v1/providers/<int:provider_id>/caregivers"):                       "401    ok     ok     ok     403    ok     403    403    403    403",
    ("POST", "/api/v1/providers/<int:provider_id>/caregivers"):                      "401    403    403    403    403    ok     403    403    403    403",
    ("PATCH", "/api/v1/providers/<int:provider_id>/caregivers/<int:caregiver_id>"):  "401    403    403    403    403    ok     403    403    403    403",
    ("POST", "/api/v1/providers/<int:provider_id>/documents"):                       "401    403    403    403    403    ok     403    403    403    403",
    ("GET", "/api/v1/providers/<int:provider_id>/documents/<int:document_id>"):      "401    ok     ok     ok     403    ok     403    403    403    403",
    ("POST", "/api/v1/providers/<int:provider_id>/review"):                          "401    ok     ok     403    403    403    403    403    403    403",
    # /api/v1/regions
    ("GET", "/api/v1/regions"):                                                      "401    ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("POST", "/api/v1/regions"):                                                     "401    ok     403    403    403    403    403    403    403    403",
    # /api/v1/service-points (甲's canteen in the elder's community, approved; the point_staff serves there)
    ("GET", "/api/v1/service-points"):                                               "401    ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("POST", "/api/v1/service-points"):                                              "401    403    403    403    403    ok     403    403    403    403",
    ("GET", "/api/v1/service-points/<int:point_id>"):                                "401    ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("PATCH", "/api/v1/service-points/<int:point_id>"):                              "401    403    403    403    403    ok     403    403    403    403",
    ("POST", "/api/v1/service-points/<int:point_id>/check-ins"):                     "401    403    403    403    403    403    403    403    403    ok",
    ("POST", "/api/v1/service-points/<int:point_id>/bookings"):                      "401    ok     403    403    ok     403    403    ok     ok     403",
    ("POST", "/api/v1/service-points/<int:point_id>/review"):                        "401    ok     ok     403    403    403    403    403    403    403",
    # /api/v1/settlements (甲's statement of last month, generated by the district's officer)
    ("GET", "/api/v1/settlements"):                                                  "401    ok     ok     ok     403    ok     403    403    403    403",
    ("POST", "/api/v1/settlements"):                                                 "401    403    ok     ok     403    403    403    403    403    403",
    ("GET", "/api/v1/settlements/<int:statement_id>"):                               "401    ok     ok     404    403    ok     403    403    403    403",
    ("GET", "/api/v1/settlements/<int:statement_id>.csv"):                           "401    ok     ok     404    403    ok     403    403    403    403",
    ("GET", "/api/v1/settlements/<int:statement_id>.xlsx"):                          "401    ok     ok     404    403    ok     403    403    403    403",
    ("POST", "/api/v1/settlements/<int:statement_id>/approve"):                      "401    403    403    404    403    403    403    403    403    403",
    # /api/v1/users
    ("GET", "/api/v1/users"):                                                        "401    ok     403    403    403    403    403    403    403    403",
    ("POST", "/api/v1/users"):                                                       "401    ok     403    403    403    403    403    403    403    403",
    ("PATCH", "/api/v1/users/<int:user_id>"):                                        "401    ok     403    403    403    403    403    403    403    403",
    ("POST", "/api/v1/users/<int:user_id>/password-reset"):                          "401    ok     403    403    403    403    403    403    403    403",
    ("DELETE", "/api/v1/users/<int:user_id>/sessions"):                              "401    ok     403    403    403    403    403    403    403    403",
    # /api/v1/voucher-issuances
    ("POST", "/api/v1/voucher-issuances"):                                           "401    ok     ok     ok     403    403    403    403    403    403",
    # /api/v1/voucher-policies
    ("GET", "/api/v1/voucher-policies"):                                             "401    ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/api/v1/voucher-policies"):                                            "401    ok     ok     403    403    403    403    403    403    403",
    ("PATCH", "/api/v1/voucher-policies/<int:policy_id>"):                           "401    ok     ok     404    403    403    403    403    403    403",
    # pages (server-rendered)
    ("GET", "/audit/calls"):                                                         "login  ok     ok     ok     ok     403    403    403    403    403",
    ("GET", "/audit/cases/<int:case_id>"):                                           "login  ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/audit/cases/<int:case_id>"):                                          "login  ok     ok     ok     403    403    403    403    403    403",
    ("GET", "/bureau/audit-log"):                                                    "login  403    ok     ok     403    403    403    403    403    403",
    ("GET", "/bureau/coverage"):                                                     "login  403    ok     ok     403    403    403    403    403    403",
    ("GET", "/audit/findings"):                                                      "login  ok     ok     ok     403    403    403    403    403    403",
    ("GET", "/audit/samples"):                                                       "login  ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/audit/samples"):                                                      "login  ok     ok     ok     403    403    403    403    403    403",
    ("GET", "/audit/samples/<int:sample_id>"):                                       "login  ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/audit/samples/<int:sample_id>"):                                      "login  ok     ok     ok     403    403    403    403    403    403",
    ("GET", "/audit/samples/<int:sample_id>/calls"):                                 "login  ok     ok     ok     ok     403    403    403    403    403",
    ("POST", "/audit/samples/<int:sample_id>/calls"):                                "login  ok     ok     ok     ok     403    403    403    403    403",
    ("POST", "/audit/scans"):                                                        "login  ok     ok     ok     403    403    403    403    403    403",
    ("GET", "/book"):                                                                "login  ok     403    403    ok     403    403    ok     ok     403",
    ("GET", "/book/confirm"):                                                        "login  ok     403    403    ok     403    403    ok     ok     403",
    ("POST", "/book/confirm"):                                                       "login  ok     403    403    ok     403    403    ok     ok     403",
    ("GET", "/book/when"):                                                           "login  ok     403    403    ok     403    403    ok     ok     403",
    ("GET", "/bureau/hardship-import"):                                              "login  ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/bureau/hardship-import"):                                             "login  ok     ok     ok     403    403    403    403    403    403",
    ("GET", "/bureau/points"):                                                       "login  ok     ok     ok     403    403    403    403    403    403",
    ("GET", "/bureau/points/<int:point_id>"):                                        "login  ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/bureau/points/<int:point_id>/review"):                                "login  ok     ok     403    403    403    403    403    403    403",
    ("GET", "/bureau/providers"):                                                    "login  ok     ok     ok     403    403    403    403    403    403",
    ("GET", "/bureau/providers/<int:provider_id>"):                                  "login  ok     ok     ok     403    403    403    403    403    403",
    ("GET", "/bureau/providers/<int:provider_id>/documents/<int:document_id>"):      "login  ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/bureau/providers/<int:provider_id>/review"):                          "login  ok     ok     403    403    403    403    403    403    403",
    ("GET", "/bureau/dashboard"):                                                    "login  403    ok     ok     403    403    403    403    403    403",
    ("GET", "/bureau/reports"):                                                      "login  403    ok     ok     403    403    403    403    403    403",
    ("GET", "/bureau/reports/<any('voucher-spend', 'coverage', 'orders', 'providers', 'service-points'):name>/download.<any(csv, xlsx):extension>"): "login  403    ok     ok     403    403    403    403    403    403",
    ("GET", "/bureau/settlements"):                                                  "login  ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/bureau/settlements"):                                                 "login  403    ok     ok     403    403    403    403    403    403",
    ("GET", "/bureau/voucher-policies"):                                             "login  ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/bureau/voucher-policies"):                                            "login  ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/bureau/voucher-policies/<int:policy_id>/end"):                        "login  ok     ok     404    403    403    403    403    403    403",
    ("GET", "/bureau/voucher-policies/<int:policy_id>/edit"):                        "login  ok     ok     404    403    403    403    403    403    403",
    ("POST", "/bureau/voucher-policies/<int:policy_id>/edit"):                       "login  ok     ok     404    403    403    403    403    403    403",
    ("GET", "/admin/accounts"):                                                      "login  ok     403    403    403    403    403    403    403    403",
    ("GET", "/admin/accounts/new"):                                                  "login  ok     403    403    403    403    403    403    403    403",
    ("POST", "/admin/accounts/new"):                                                 "login  ok     403    403    403    403    403    403    403    403",
    ("GET", "/admin/accounts/<int:user_id>"):                                        "login  ok     403    403    403    403    403    403    403    403",
    ("POST", "/admin/accounts/<int:user_id>/active"):                                "login  ok     403    403    403    403    403    403    403    403",
    ("POST", "/admin/accounts/<int:user_id>/password"):                              "login  ok     403    403    403    403    403    403    403    403",
    ("POST", "/admin/accounts/<int:user_id>/scope"):                                 "login  ok     403    403    403    403    403    403    403    403",
    ("GET", "/admin/catalogue"):                                                     "login  ok     403    403    403    403    403    403    403    403",
    ("GET", "/admin/catalogue/items/<int:item_id>"):                                 "login  ok     403    403    403    403    403    403    403    403",
    ("POST", "/admin/catalogue/items/<int:item_id>"):                                "login  ok     403    403    403    403    403    403    403    403",
    ("GET", "/bureau/vouchers"):                                                     "login  ok     ok     ok     403    403    403    403    403    403",
    ("POST", "/bureau/vouchers"):                                                    "login  ok     ok     ok     403    403    403    403    403    403",
    ("GET", "/care-plans"):                                                          "login  ok     ok     ok     ok     403    403    ok     ok     403",
    ("POST", "/care-plans/<int:plan_id>/<change>"):                                  "login  ok     ok     ok     ok     404    404    ok     ok     404",
    ("POST", "/care-plans/new"):                                                     "login  ok     ok     ok     ok     403    403    ok     ok     403",
    ("POST", "/caregiver/orders/<int:order_id>/<step>"):                             "login  403    403    403    403    403    ok     403    403    403",
    ("GET", "/caregiver/today"):                                                     "login  403    403    403    403    403    ok     403    403    403",
    ("GET", "/elders"):                                                              "login  ok     ok     ok     ok     403    403    403    403    403",
    ("GET", "/elders/<int:elder_id>"):                                               "login  ok     ok     ok     ok     404    404    ok     ok     404",
    ("POST", "/elders/<int:elder_id>/events"):                                       "login  ok     ok     ok     ok     403    403    403    403    403",
    ("POST", "/elders/<int:elder_id>/verify"):                                       "login  ok     ok     ok     ok     403    403    403    403    403",
    ("GET", "/elders/<int:elder_id>/vouchers"):                                      "login  ok     ok     ok     ok     404    404    ok     ok     404",
    ("GET", "/elders/<int:elder_id>/card"):                                          "login  403    403    403    ok     403    403    ok     ok     403",
    ("GET", "/elders/new"):                                                          "login  ok     ok     ok     ok     403    403    403    403    403",
    ("POST", "/elders/new"):                                                         "login  ok     ok     ok     ok     403    403    403    403    403",
    ("GET", "/login"):                                                               "ok     ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("POST", "/login"):                                                              "ok     ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("POST", "/logout"):                                                             "login  login  login  login  login  login  login  login  login  login",
    ("GET", "/signup"):                                                              "ok     ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("POST", "/signup"):                                                             "ok     ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("GET", "/my/orders"):                                                           "login  403    403    403    403    403    403    ok     ok     403",
    ("POST", "/my/orders/<int:order_id>/<action>"):                                  "login  404    404    404    404    404    404    ok     ok     404",
    ("GET", "/notifications"):                                                       "login  ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("POST", "/notifications/<int:notification_id>/open"):                           "login  404    404    404    404    404    404    ok     404    404",
    ("POST", "/notifications/read-all"):                                             "login  ok     ok     ok     ok     ok     ok     ok     ok     ok",
    ("GET", "/orders/<int:order_id>"):                                               "login  ok     ok     ok     ok     ok     ok     ok     ok     404",
    ("POST", "/orders/<int:order_id>/<action>"):                                     "login  ok     ok     ok     ok     403    403    403    403    403",
    ("POST", "/orders/<int:order_id>/copay"):                                        "login  403    403    403    ok     ok     ok     403    403    404",
    ("POST", "/orders/<int:order_id>/refund"):                                       "login  403    403    403    ok     ok     ok     403    403    404",
    ("POST", "/orders/<int:order_id>/pay-online"):                                   "login  403    403    403    403    403    403    ok     ok     404",
    ("GET", "/orders/queue"):                                                        "login  ok     ok     ok     ok     403    403    403    403    403",
    ("POST", "/payments/<int:payment_id>/reverse"):                                  "login  403    403    403    ok     ok     403    403    403    404",
    ("GET", "/points"):                                                              "login  403    403    403    403    403    403    403    403    ok",
    ("GET", "/points/<int:point_id>/counter"):                                       "login  403    403    403    403    403    403    403    403    ok",
    ("POST", "/points/<int:point_id>/counter"):                                      "login  403    403    403    403    403    403    403    403    ok",
    ("POST", "/points/<int:point_id>/counter/record"):                               "login  403    403    403    403    403    403    403    403    ok",
    ("POST", "/points/<int:point_id>/counter/bookings/<int:booking_id>"):            "login  403    403    403    403    403    403    403    403    ok",
    ("GET", "/meals"):                                                               "login  403    403    403    403    403    403    ok     ok     403",
    ("POST", "/meals"):                                                              "login  403    403    403    403    403    403    ok     ok     403",
    ("GET", "/provider/application"):                                                "login  403    403    403    403    ok     403    403    403    403",
    ("POST", "/provider/application"):                                               "login  403    403    403    403    ok     403    403    403    403",
    ("POST", "/provider/application/documents"):                                     "login  403    403    403    403    ok     403    403    403    403",
    ("GET", "/provider/caregivers"):                                                 "login  403    403    403    403    ok     403    403    403    403",
    ("POST", "/provider/caregivers"):                                                "login  403    403    403    403    ok     403    403    403    403",
    ("POST", "/provider/caregivers/<int:caregiver_id>/active"):                      "login  403    403    403    403    ok     403    403    403    403",
    ("GET", "/provider/caregivers/<int:caregiver_id>"):                              "login  403    403    403    403    ok     403    403    403    403",
    ("POST", "/provider/caregivers/<int:caregiver_id>"):                             "login  403    403    403    403    ok     403    403    403    403",
    ("GET", "/provider/services"):                                                   "login  403    403    403    403    ok     403    403    403    403",
    ("POST", "/provider/services"):                                                  "login  403    403    403    403    ok     403    403    403    403",
    ("GET", "/provider/orders"):                                                     "login  403    403    403    403    ok     403    403    403    403",
    ("POST", "/provider/orders/<int:order_id>/accept"):                              "login  403    403    403    403    ok     403    403    403    403",
    ("POST", "/provider/orders/<int:order_id>/reject"):                              "login  403    403    403    403    ok     403    403    403    403",
    ("GET", "/provider/points"):                                                     "login  403    403    403    403    ok     403    403    403    403",
    ("GET", "/provider/points/<int:point_id>"):                                      "login  403    403    403    403    ok     403    403    403    403",
    ("POST", "/provider/points/<int:point_id>"):                                     "login  403    403    403    403    ok     403    403    403    403",
    ("GET", "/provider/points/new"):                                                 "login  403    403    403    403    ok     403    403    403    403",
    ("POST", "/provider/points/new"):                                                "login  403    403    403    403    ok     403    403    403    403",
    ("GET", "/provider/planned"):                                                    "login  403    403    403    403    ok     403    403    403    403",
    ("GET", "/provider/settlements"):                                                "login  403    403    403    403    ok     403    403    403    403",
    ("GET", "/settlements/<int:statement_id>"):                                      "login  ok     ok     404    403    ok     403    403    403    403",
    ("GET", "/settlements/<int:statement_id>/approve"):                              "login  403    ok     404    403    403    403    403    403    403",
    ("POST", "/settlements/<int:statement_id>/approve"):                             "login  403    403    404    403    403    403    403    403    403",
    ("GET", "/settlements/<int:statement_id>/download.<any(csv, xlsx):extension>"):  "login  ok     ok     404    403    ok     403    403    403    403",
    ("GET", "/static/<path:filename>"):                                              "ok     ok     ok     ok     ok     ok     ok     ok     ok     ok",
}


def _expected(method: str, rule: str) -> dict:
    cells = EXPECTED[(method, rule)].split()
    assert len(cells) == len(CALLERS), f"{method} {rule}: {len(cells)} cells for {len(CALLERS)} callers"
    return dict(zip(CALLERS, cells, strict=True))


# --- across tenants -------------------------------------------------------------------------------------------
# (method, rule, caller, objects of another tenant by path variable, expected). The other tenant's objects: "order"
# (城西街道's elder's order, declined by 甲 and served by 乙), "elder" (that elder, whom the family is not linked to
# and who lives outside 城东街道), "provider" and "b_caregiver" (乙 and its caregiver), "b_point" and "second_point"
# (乙's point and 甲's other one, both in 城西街道, where point_staff_other serves at 甲's), "finding", "case",
# "sample" and "past_order" (城西街道's audit: its visit of last month, served by 乙). Rows with no objects named
# act on the callers' side of the world as another tenant: 乙's admin on 甲's order, 甲's second caregiver on the
# first one's visit, another district's bureau on this district's provider, elder and order.
OTHER_ORDER, OTHER_ELDER = {"order_id": "order"}, {"elder_id": "elder", "order_id": "order"}
OTHER_PROVIDER = {"provider_id": "provider", "caregiver_id": "b_caregiver"}
B_POINT, SECOND_POINT = {"point_id": "b_point"}, {"point_id": "second_point"}
OTHER_AUDIT = {"finding_id": "finding", "case_id": "case", "sample_id": "sample", "past_order": "past_order"}
CROSS = [
    # Provider 甲 on 乙's order (甲 declined it: its offer is closed) and 乙 on 甲's.
    ("GET", "/api/v1/orders/<int:order_id>", "provider_admin", OTHER_ORDER, "404"),
    ("POST", "/api/v1/orders/<int:order_id>/accept", "provider_admin", OTHER_ORDER, "404"),
    ("POST", "/api/v1/orders/<int:order_id>/reject", "provider_admin", OTHER_ORDER, "404"),
    ("POST", "/api/v1/orders/<int:order_id>/cancel", "provider_admin", OTHER_ORDER, "404"),
    ("GET", "/orders/<int:order_id>", "provider_admin", OTHER_ORDER, "404"),
    ("POST", "/provider/orders/<int:order_id>/accept", "provider_admin", OTHER_ORDER, "404"),
    ("POST", "/provider/orders/<int:order_id>/reject", "provider_admin", OTHER_ORDER, "404"),
    ("GET", "/api/v1/orders/<int:order_id>", "provider_admin_b", {}, "404"),
    ("POST", "/api/v1/orders/<int:order_id>/accept", "provider_admin_b", {}, "404"),
    ("POST", "/api/v1/orders/<int:order_id>/cancel", "provider_admin_b", {}, "404"),
    ("POST", "/api/v1/orders/<int:order_id>/reschedule", "provider_admin_b", {}, "404"),
    ("GET", "/orders/<int:order_id>", "provider_admin_b", {}, "404"),
    ("POST", "/provider/orders/<int:order_id>/accept", "provider_admin_b", {}, "404"),
    ("POST", "/provider/orders/<int:order_id>/reject", "provider_admin_b", {}, "404"),
    ("GET", "/api/v1/care-plans/<int:plan_id>", "provider_admin_b", {}, "404"),
    ("GET", "/api/v1/elders/<int:elder_id>", "provider_admin_b", {}, "404"),
    # Provider 甲 on 乙's record, roster and documents.
    ("GET", "/api/v1/providers/<int:provider_id>", "provider_admin", OTHER_PROVIDER, "404"),
    ("PATCH", "/api/v1/providers/<int:provider_id>", "provider_admin", OTHER_PROVIDER, "404"),
    ("GET", "/api/v1/providers/<int:provider_id>/caregivers", "provider_admin", OTHER_PROVIDER, "404"),
    ("POST", "/api/v1/providers/<int:provider_id>/caregivers", "provider_admin", OTHER_PROVIDER, "404"),
    ("POST", "/provider/caregivers/<int:caregiver_id>/active", "provider_admin", OTHER_PROVIDER, "404"),
    ("GET", "/provider/caregivers/<int:caregiver_id>", "provider_admin", OTHER_PROVIDER, "404"),
    ("POST", "/provider/caregivers/<int:caregiver_id>", "provider_admin", OTHER_PROVIDER, "404"),
    ("PATCH", "/api/v1/providers/<int:provider_id>/caregivers/<int:caregiver_id>", "provider_admin", OTHER_PROVIDER,
     "404"),
    ("POST", "/api/v1/providers/<int:provider_id>/documents", "provider_admin", OTHER_PROVIDER, "404"),
    ("GET", "/api/v1/providers/<int:provider_id>/documents/<int:document_id>", "provider_admin", OTHER_PROVIDER,
     "404"),
    ("PATCH", "/api/v1/providers/<int:provider_id>/caregivers/<int:caregiver_id>", "provider_admin",
     {"caregiver_id": "b_caregiver"}, "404"),  # 乙's caregiver through 甲's own path
    # A family on an elder it is not linked to, and her order.
    *[(method, rule, "family", OTHER_ELDER, "404") for method, rule in [
        ("GET", "/api/v1/elders/<int:elder_id>"),
        ("GET", "/api/v1/elders/<int:elder_id>/assessments"),
        ("GET", "/api/v1/elders/<int:elder_id>/events"),
        ("GET", "/api/v1/elders/<int:elder_id>/family-links"),
        ("GET", "/api/v1/elders/<int:elder_id>/status-history"),
        ("GET", "/api/v1/elders/<int:elder_id>/voucher-account"),
        ("POST", "/api/v1/orders"),
        ("POST", "/api/v1/care-plans"),
        ("GET", "/api/v1/orders/<int:order_id>"),
        ("POST", "/api/v1/orders/<int:order_id>/cancel"),
        ("POST", "/api/v1/orders/<int:order_id>/confirm"),
        ("POST", "/api/v1/orders/<int:order_id>/dispute"),
        ("GET", "/elders/<int:elder_id>"),
        ("GET", "/elders/<int:elder_id>/vouchers"),
        ("GET", "/orders/<int:order_id>"),
        ("POST", "/my/orders/<int:order_id>/<action>"),
        ("GET", "/book/when"),
        ("GET", "/book/confirm"),
        ("POST", "/book/confirm"),
        ("GET", "/care-plans"),
        ("POST", "/care-plans/new"),
    ]],
    # An elder on another elder.
    ("GET", "/api/v1/elders/<int:elder_id>", "elder", OTHER_ELDER, "404"),
    ("GET", "/api/v1/elders/<int:elder_id>/voucher-account", "elder", OTHER_ELDER, "404"),
    ("GET", "/api/v1/orders/<int:order_id>", "elder", OTHER_ELDER, "404"),
    ("POST", "/api/v1/orders/<int:order_id>/confirm", "elder", OTHER_ELDER, "404"),
    ("POST", "/api/v1/orders", "elder", OTHER_ELDER, "404"),
    ("GET", "/orders/<int:order_id>", "elder", OTHER_ELDER, "404"),
    # The street's officer on an elder of another street of the same district, and her order.
    *[(method, rule, "bureau_street", OTHER_ELDER, "404") for method, rule in [
        ("GET", "/api/v1/elders/<int:elder_id>"),
        ("PATCH", "/api/v1/elders/<int:elder_id>"),
        ("GET", "/api/v1/elders/<int:elder_id>/assessments"),
        ("POST", "/api/v1/elders/<int:elder_id>/assessments"),
        ("GET", "/api/v1/elders/<int:elder_id>/events"),
        ("POST", "/api/v1/elders/<int:elder_id>/events"),
        ("POST", "/api/v1/elders/<int:elder_id>/family-links"),
        ("POST", "/api/v1/elders/<int:elder_id>/login"),
        ("POST", "/api/v1/elders/<int:elder_id>/verify"),
        ("GET", "/api/v1/elders/<int:elder_id>/voucher-account"),
        ("GET", "/api/v1/orders/<int:order_id>"),
        ("POST", "/api/v1/orders/<int:order_id>/cancel"),
        ("POST", "/api/v1/orders/<int:order_id>/resolve"),
        ("GET", "/elders/<int:elder_id>"),
        ("POST", "/elders/<int:elder_id>/events"),
        ("POST", "/elders/<int:elder_id>/verify"),
        ("GET", "/elders/<int:elder_id>/vouchers"),
        ("GET", "/orders/<int:order_id>"),
        ("GET", "/care-plans"),
    ]],
    # The district's operator sees both streets.
    ("GET", "/api/v1/elders/<int:elder_id>", "operator", OTHER_ELDER, "ok"),
    ("GET", "/api/v1/orders/<int:order_id>", "operator", OTHER_ELDER, "ok"),
    # Another district's bureau on this district's provider (it serves none of that district's streets), elder,
    # order and plan.
    *[(method, rule, "bureau_other_district", {}, "404") for method, rule in [
        ("GET", "/api/v1/providers/<int:provider_id>"),
        ("POST", "/api/v1/providers/<int:provider_id>/review"),
        ("GET", "/api/v1/providers/<int:provider_id>/documents/<int:document_id>"),
        ("GET", "/bureau/providers/<int:provider_id>"),
        ("POST", "/bureau/providers/<int:provider_id>/review"),
        ("GET", "/bureau/providers/<int:provider_id>/documents/<int:document_id>"),
        ("GET", "/api/v1/elders/<int:elder_id>"),
        ("POST", "/api/v1/elders/<int:elder_id>/assessments"),
        ("GET", "/api/v1/orders/<int:order_id>"),
        ("POST", "/api/v1/orders/<int:order_id>/cancel"),
        ("POST", "/api/v1/orders/<int:order_id>/assign"),
        ("POST", "/api/v1/orders/<int:order_id>/reschedule"),
        ("GET", "/api/v1/care-plans/<int:plan_id>"),
        ("POST", "/api/v1/care-plans/<int:plan_id>/end"),
        ("GET", "/elders/<int:elder_id>"),
        ("GET", "/orders/<int:order_id>"),
        ("POST", "/orders/<int:order_id>/<action>"),
        ("PATCH", "/api/v1/voucher-policies/<int:policy_id>"),
        ("POST", "/bureau/voucher-policies/<int:policy_id>/end"),
        ("GET", "/bureau/voucher-policies/<int:policy_id>/edit"),
        ("POST", "/bureau/voucher-policies/<int:policy_id>/edit"),
    ]],
    # A caregiver on another caregiver's visit (甲's second caregiver on the first one's), and on 乙's.
    *[(method, rule, "caregiver_other", {}, "404") for method, rule in [
        ("GET", "/api/v1/orders/<int:order_id>"),
        ("POST", "/api/v1/orders/<int:order_id>/on-the-way"),
        ("POST", "/api/v1/orders/<int:order_id>/check-in"),
        ("POST", "/api/v1/orders/<int:order_id>/check-out"),
        ("GET", "/orders/<int:order_id>"),
        ("POST", "/caregiver/orders/<int:order_id>/<step>"),
    ]],
    ("GET", "/api/v1/orders/<int:order_id>", "caregiver", OTHER_ORDER, "404"),
    ("POST", "/api/v1/orders/<int:order_id>/check-in", "caregiver", OTHER_ORDER, "404"),
    ("POST", "/caregiver/orders/<int:order_id>/<step>", "caregiver", OTHER_ORDER, "404"),
    ("GET", "/orders/<int:order_id>", "caregiver", OTHER_ORDER, "404"),
    # The co-pay's payments: 乙 on 甲's order and its payment, 甲 on 乙's order, a caregiver of another visit
    # recording one, a family on an order of an elder it is not linked to.
    *[(method, rule, "provider_admin_b", {}, "404") for method, rule in [
        ("GET", "/api/v1/orders/<int:order_id>/payments"),
        ("POST", "/api/v1/orders/<int:order_id>/payments/offline"),
        ("POST", "/api/v1/orders/<int:order_id>/payments/refund"),
        ("POST", "/api/v1/payments/<int:payment_id>/reverse"),
        ("POST", "/orders/<int:order_id>/copay"),
        ("POST", "/orders/<int:order_id>/refund"),
        ("POST", "/payments/<int:payment_id>/reverse"),
    ]],
    ("GET", "/api/v1/orders/<int:order_id>/payments", "provider_admin", OTHER_ORDER, "404"),
    ("POST", "/api/v1/orders/<int:order_id>/payments/offline", "provider_admin", OTHER_ORDER, "404"),
    ("POST", "/api/v1/orders/<int:order_id>/payments/refund", "provider_admin", OTHER_ORDER, "404"),
    *[(method, rule, "caregiver_other", {}, "404") for method, rule in [
        ("GET", "/api/v1/orders/<int:order_id>/payments"),
        ("POST", "/api/v1/orders/<int:order_id>/payments/offline"),
        ("POST", "/api/v1/orders/<int:order_id>/payments/refund"),
        ("POST", "/orders/<int:order_id>/copay"),
        ("POST", "/orders/<int:order_id>/refund"),
    ]],
    ("POST", "/api/v1/orders/<int:order_id>/payments/offline", "caregiver", OTHER_ORDER, "404"),
    ("GET", "/api/v1/orders/<int:order_id>/payments", "family", OTHER_ELDER, "404"),
    ("POST", "/api/v1/orders/<int:order_id>/payments/stripe", "family", OTHER_ELDER, "404"),
    ("POST", "/orders/<int:order_id>/pay-online", "family", OTHER_ELDER, "404"),
    ("GET", "/api/v1/orders/<int:order_id>/payments", "bureau_other_district", {}, "404"),
    # Settlement: 甲 on 乙's statement and 乙 on 甲's, another district's bureau on this district's; and the
    # district's other officer, who did not generate 甲's statement, approves it.
    *[(method, rule, caller, others, "404")
      for caller, others in [("provider_admin", {"statement_id": "statement"}), ("provider_admin_b", {}),
                             ("bureau_other_district", {})]
      for method, rule in [
          ("GET", "/api/v1/settlements/<int:statement_id>"),
          ("GET", "/api/v1/settlements/<int:statement_id>.csv"),
          ("GET", "/api/v1/settlements/<int:statement_id>.xlsx"),
          ("GET", "/settlements/<int:statement_id>"),
          ("GET", "/settlements/<int:statement_id>/download.<any(csv, xlsx):extension>"),
      ]],
    *[(method, rule, "bureau_other_district", {}, "404") for method, rule in [
        ("POST", "/api/v1/settlements/<int:statement_id>/approve"),
        ("GET", "/settlements/<int:statement_id>/approve"),
        ("POST", "/settlements/<int:statement_id>/approve"),
    ]],
    ("POST", "/api/v1/settlements/<int:statement_id>/approve", "bureau_district_second", {}, "ok"),
    ("POST", "/settlements/<int:statement_id>/approve", "bureau_district_second", {}, "ok"),
    ("GET", "/settlements/<int:statement_id>/approve", "bureau_district_second", {}, "ok"),
    # Service points: 甲 on 乙's point and 乙 on 甲's canteen; the bureau of another district, and the street's
    # officer on a point of another street; nobody reviews a point outside their district.
    *[(method, rule, caller, others, "404")
      for caller, others, change in [("provider_admin", B_POINT, "PATCH"), ("provider_admin_b", {}, "PATCH"),
                                     ("bureau_other_district", {}, "POST"), ("bureau_street", B_POINT, "POST")]
      for method, rule in [
          ("GET", "/api/v1/service-points/<int:point_id>"),
          ("PATCH", "/api/v1/service-points/<int:point_id>") if change == "PATCH" else
          ("POST", "/api/v1/service-points/<int:point_id>/review"),
      ]],
    ("POST", "/api/v1/service-points/<int:point_id>/review", "provider_admin", B_POINT, "403"),  # never a reviewer
    ("POST", "/api/v1/service-points/<int:point_id>/review", "bureau_district", B_POINT, "ok"),  # 乙 is the district's
    ("PATCH", "/api/v1/service-points/<int:point_id>", "provider_admin", SECOND_POINT, "ok"),  # 甲's other point
    # Point staff at a point they do not serve at: 甲's canteen's staff at 乙's point and at 甲's other point, and
    # the other point's staff at 甲's canteen (of the same provider).
    *[(method, rule, caller, others, "404")
      for caller, others in [("point_staff", B_POINT), ("point_staff", SECOND_POINT), ("point_staff_other", {})]
      for method, rule in [
          ("GET", "/api/v1/service-points/<int:point_id>"),
          ("POST", "/api/v1/service-points/<int:point_id>/check-ins"),
          ("GET", "/points/<int:point_id>/counter"),
          ("POST", "/points/<int:point_id>/counter"),
          ("POST", "/points/<int:point_id>/counter/record"),
          ("POST", "/points/<int:point_id>/counter/bookings/<int:booking_id>"),
      ]],
    ("POST", "/api/v1/service-points/<int:point_id>/check-ins", "point_staff_other", SECOND_POINT, "ok"),
    ("GET", "/points/<int:point_id>/counter", "point_staff_other", SECOND_POINT, "ok"),
    # A meal booked ahead: not served at a counter of another point; not booked for an elder not theirs.
    ("POST", "/points/<int:point_id>/counter/bookings/<int:booking_id>", "point_staff_other", SECOND_POINT, "404"),
    *[("POST", "/api/v1/service-points/<int:point_id>/bookings", caller, OTHER_ELDER, "404")
      for caller in ("family", "elder")],
    # The elder card: a family and an elder on an elder not theirs; the district's operator on either street's.
    *[(method, rule, caller, OTHER_ELDER, "404") for caller in ("family", "elder") for method, rule in [
        ("GET", "/api/v1/elders/<int:elder_id>/card"),
        ("POST", "/api/v1/elders/<int:elder_id>/card/revoke"),
        ("GET", "/elders/<int:elder_id>/card"),
    ]],
    ("GET", "/elders/<int:elder_id>/card", "operator", OTHER_ELDER, "ok"),
    # A provider's pages of its points: 乙's admin on 甲's point, 甲's on 乙's; another district's bureau on them.
    ("GET", "/provider/points/<int:point_id>", "provider_admin_b", {}, "404"),
    ("POST", "/provider/points/<int:point_id>", "provider_admin_b", {}, "404"),
    ("GET", "/provider/points/<int:point_id>", "provider_admin", B_POINT, "404"),
    ("POST", "/provider/points/<int:point_id>", "provider_admin", B_POINT, "404"),
    ("GET", "/bureau/points/<int:point_id>", "bureau_other_district", {}, "404"),
    ("POST", "/bureau/points/<int:point_id>/review", "bureau_other_district", {}, "404"),
    ("GET", "/bureau/points/<int:point_id>", "bureau_street", B_POINT, "404"),
    ("GET", "/api/v1/elders/<int:elder_id>/card", "operator", OTHER_ELDER, "ok"),  # the district's both streets
    # Audit: the street's officer on 城西街道's finding, case and sample; another district's bureau on this
    # district's; the district's operator calls the elders of both streets.
    *[(method, rule, caller, others, "404")
      for caller, others in [("bureau_street", OTHER_AUDIT), ("bureau_other_district", {})]
      for method, rule in [
          ("GET", "/api/v1/audit/anomalies/<int:finding_id>"),
          ("POST", "/api/v1/audit/anomalies/<int:finding_id>/review"),
          ("GET", "/api/v1/audit/samples/<int:sample_id>"),
          ("POST", "/api/v1/audit/samples/<int:sample_id>/calls"),
          ("POST", "/api/v1/audit/samples/<int:sample_id>/decision"),
          ("GET", "/audit/cases/<int:case_id>"),
          ("POST", "/audit/cases/<int:case_id>"),
          ("GET", "/audit/samples/<int:sample_id>"),
          ("POST", "/audit/samples/<int:sample_id>"),
          ("GET", "/audit/samples/<int:sample_id>/calls"),
          ("POST", "/audit/samples/<int:sample_id>/calls"),
      ]],
    ("POST", "/api/v1/audit/samples", "bureau_other_district", {}, "404"),  # 甲 serves none of its streets
    ("GET", "/api/v1/audit/anomalies/<int:finding_id>", "bureau_district", OTHER_AUDIT, "ok"),
    ("GET", "/api/v1/audit/samples/<int:sample_id>", "bureau_district", OTHER_AUDIT, "ok"),
    ("POST", "/api/v1/audit/samples/<int:sample_id>/calls", "operator", OTHER_AUDIT, "ok"),
    ("GET", "/audit/samples/<int:sample_id>/calls", "operator", OTHER_AUDIT, "ok"),
]


# --- the tests ------------------------------------------------------------------------------------------------


def test_every_route_has_a_row(app):
    """A route of the URL map without a row fails here, named, until someone decides who may call it."""
    missing = [f"{method} {rule}" for method, rule in routes(app) if (method, rule) not in EXPECTED]
    assert not missing, ("routes without a row in EXPECTED (tests/security/test_access_matrix.py); add one line per "
                         "path and method saying what each caller gets:\n  " + "\n  ".join(missing))
    gone = [f"{method} {rule}" for method, rule in EXPECTED if (method, rule) not in set(routes(app))]
    assert not gone, "rows for routes the app no longer has:\n  " + "\n  ".join(gone)


@pytest.mark.parametrize("method, rule", list(EXPECTED), ids=[f"{m} {r}" for m, r in EXPECTED])
def test_each_caller_gets_what_the_table_says(app, world, method, rule):
    expected = _expected(method, rule)
    got = {caller: call(app, world, method, rule, caller) for caller in CALLERS}
    wrong = [f"{caller}: expected {expected[caller]}, got {got[caller]}" for caller in CALLERS
             if got[caller] != expected[caller]]
    assert not wrong, f"{method} {rule}\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("method, rule, caller, others, expected", CROSS,
                         ids=[f"{c[2]} {c[0]} {c[1]} {'+'.join(c[3].values()) or 'theirs'}" for c in CROSS])
def test_across_tenants(app, world, method, rule, caller, others, expected):
    assert (method, rule) in EXPECTED, f"{method} {rule} is not a route with a row"
    assert call(app, world, method, rule, caller, others) == expected


def test_lists_hold_only_what_the_caller_may_see(app, world):
    """The lists answer 200 to everyone logged in; what is in them follows the same rules as the rows above."""
    own, theirs = world.ids["order_id"], world.other["order"]
    own_past, their_past = world.ids["past_order"], world.other["past_order"]  # last month's, settled
    meal = world.ids["booking_id"]  # the family's supper booked ahead at 甲's canteen

    def listed(caller, path):
        response = app.test_client().get(path, headers={"Authorization": f"Bearer {world.tokens[caller]}"})
        assert response.status_code == 200
        return {row["id"] for row in response.json}

    assert listed("provider_admin", "/api/v1/orders") == {own, own_past, meal}  # not the order it declined
    assert listed("provider_admin_b", "/api/v1/orders") == {theirs, their_past}
    assert listed("caregiver", "/api/v1/orders") == {own, own_past}
    assert listed("caregiver_other", "/api/v1/orders") == set()
    assert listed("family", "/api/v1/orders") == listed("elder", "/api/v1/orders") == {own, own_past, meal}
    assert listed("bureau_street", "/api/v1/orders") == {own, own_past, meal}
    assert listed("bureau_other_district", "/api/v1/orders") == set()
    assert (listed("operator", "/api/v1/orders") == listed("bureau_district", "/api/v1/orders")
            == {own, theirs, own_past, their_past, meal})
    elders = world.ids["elder_id"], world.other["elder"]
    assert listed("family", "/api/v1/elders") == listed("bureau_street", "/api/v1/elders") == {elders[0]}
    assert listed("operator", "/api/v1/elders") == set(elders)
    for caller in ("provider_admin", "caregiver", "bureau_other_district", "point_staff"):
        assert listed(caller, "/api/v1/elders") == set()
    assert listed("provider_admin", "/api/v1/providers") == {world.ids["provider_id"]}
    statements = world.ids["statement_id"], world.other["statement"]
    assert listed("provider_admin", "/api/v1/settlements") == {statements[0]}
    assert listed("provider_admin_b", "/api/v1/settlements") == {statements[1]}
    assert listed("bureau_district", "/api/v1/settlements") == listed("admin", "/api/v1/settlements") == set(statements)
    for caller in ("bureau_street", "bureau_other_district"):  # statements are the district's: a provider's whole month
        assert listed(caller, "/api/v1/settlements") == set()
    for caller in ("family", "caregiver", "provider_admin", "operator"):
        assert listed(caller, f"/api/v1/orders/{own}/payments") == {world.ids["payment_id"]}
    assert listed("operator", f"/api/v1/orders/{theirs}/payments") == set()
    assert listed("bureau_other_district", "/api/v1/providers") == set()
    # Service points: 甲's canteen (城东街道), 甲's other point and 乙's (城西街道), all approved.
    canteen, second, b_point = world.ids["point_id"], world.other["second_point"], world.other["b_point"]
    assert listed("point_staff", "/api/v1/service-points") == {canteen}
    assert listed("point_staff_other", "/api/v1/service-points") == {second}
    assert listed("provider_admin", "/api/v1/service-points") == {canteen, second}
    assert listed("provider_admin_b", "/api/v1/service-points") == {b_point}
    assert listed("bureau_street", "/api/v1/service-points") == {canteen}
    assert listed("bureau_other_district", "/api/v1/service-points") == set()
    for caller in ("bureau_district", "operator", "family", "elder", "caregiver"):
        assert listed(caller, "/api/v1/service-points") == {canteen, second, b_point}
    assert listed("point_staff", "/api/v1/orders") == {meal}  # the meal booked at its counter
    assert listed("point_staff_other", "/api/v1/orders") == set()
    # Audit: the findings about each street's visit, 城东街道's sample and 城西街道's.
    found, samples = (world.ids["finding_id"], world.other["finding"]), (world.ids["sample_id"], world.other["sample"])
    assert listed("bureau_street", "/api/v1/audit/anomalies") == {found[0]}
    assert listed("bureau_district", "/api/v1/audit/anomalies") == listed("admin", "/api/v1/audit/anomalies") == set(found)
    assert listed("bureau_other_district", "/api/v1/audit/anomalies") == set()
    assert listed("bureau_street", "/api/v1/audit/samples") == {samples[0]}
    assert listed("bureau_district", "/api/v1/audit/samples") == set(samples)
    assert listed("bureau_other_district", "/api/v1/audit/samples") == set()
    # The audit log: each officer reads the events about what is in their region; the platform's own (logins) only
    # the officers at the top of the region tree (the districts').
    def logged(caller, **query):
        response = app.test_client().get("/api/v1/audit/log", query_string={"page_size": 200, **query},
                                         headers={"Authorization": f"Bearer {world.tokens[caller]}"})
        assert response.status_code == 200
        return {row["target_id"] for row in response.json}

    on_orders = {caller: logged(caller, target_type="work_orders") for caller in
                 ("bureau_street", "bureau_district", "bureau_other_district")}
    assert on_orders["bureau_street"] and on_orders["bureau_street"] <= {own, own_past, meal}
    assert {theirs, own} <= on_orders["bureau_district"]
    assert on_orders["bureau_other_district"] == set()
    assert logged("bureau_street", action="auth.login") == set()
    assert logged("bureau_district", action="auth.login")
    assert logged("bureau_street", target_type="audit_samples") == {samples[0]}
    assert logged("bureau_district", target_type="audit_samples") == set(samples)
