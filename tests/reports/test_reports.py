"""Each report's figures against totals worked out here, independently, from the city's orders and ledger rows (and
against the known numbers the city was built with); CSV and Excel downloads; scope; bad parameters."""
import csv
import io
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from eldercare.audit.findings import Finding
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.regions.models import Region
from eldercare.servicepoints.models import ServicePoint
from eldercare.settlement.models import Statement, StatementLine
from eldercare.vouchers import issuance, ledger
from eldercare.vouchers.eligibility import explain
from eldercare.vouchers.models import (
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    VoucherCommunityMonth,
    VoucherGrant,
)

from .conftest import DECEMBER, NOVEMBER, OCTOBER, at, travel

URL = "/api/v1/audit/reports/"


def report(api, city, name, user=None, **params):
    response = api.as_(user or city.officer).get(URL + name, query_string={"period": str(NOVEMBER), **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- the independent side: plain Python over the rows -------------------------------------------------------


def region_of(elder_id) -> dict:
    """{"community", "street", "district"} ids of an elder's home."""
    elder = db.session.get(Elder, elder_id)
    community = db.session.get(Region, elder.community_id)
    street = db.session.get(Region, community.parent_id)
    return {"community": community.id, "street": street.id, "district": street.parent_id}


def orders_in(city, months=(NOVEMBER,), region=None):
    """The orders booked to start in `months` for elders of `region` (a district or street; 海陵区 by default)."""
    region = region or city.district
    found = []
    for order in db.session.scalars(select(WorkOrder)):
        start = order.scheduled_start
        if any(m.bounds()[0] <= start < m.bounds()[1] for m in months) and region.id in region_of(
                order.elder_id).values():
            found.append(order)
    return found


def ledger_by_order(kind) -> dict[int, int]:
    fen = defaultdict(int)
    for t in db.session.scalars(select(LedgerTransaction).where(LedgerTransaction.kind == kind)):
        fen[t.order_id] += t.amount_fen
    return fen


def elder_available_moves(kind, period, region) -> int:
    """What `kind` movements of `period` moved on the available accounts of `region`'s elders, from the entries."""
    total = 0
    for entry, account, txn in db.session.execute(
            select(LedgerEntry, LedgerAccount, LedgerTransaction)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)).all():
        if txn.kind == kind and txn.period == period and account.kind == "elder_available" and \
                region.id in region_of(account.owner_id).values():
            total += entry.amount_fen
    return total


# --- voucher spend ------------------------------------------------------------------------------------------


def test_voucher_spend_matches_the_ledger_and_the_known_numbers(api, city):
    captured, reversed_, held, released = (ledger_by_order(k) for k in ("capture", "reversal", "hold", "release"))
    orders = orders_in(city)
    spent = {o.id: captured[o.id] - reversed_[o.id] for o in orders}
    still_held = {o.id: held[o.id] - released[o.id] - captured[o.id] for o in orders}
    issued = elder_available_moves("issue", "2026-11", city.district)
    lapsed = -elder_available_moves("lapse", "2026-12", city.district)  # November's lapse, at December's start
    assert (sum(spent.values()), sum(still_held.values()), issued, lapsed) == (6250, 1050, 110000, 102700)
    assert issued == sum(spent.values()) + sum(still_held.values()) + lapsed  # every fen of November accounted for

    by_district = report(api, city, "voucher-spend")
    assert by_district["totals"] == {"spent_fen": 6250, "held_fen": 1050, "issued_fen": 110000,
                                     "lapsed_fen": 102700, "orders": sum(1 for o in orders if captured[o.id])}
    assert [(r["name"], r["spent_fen"], r["issued_fen"]) for r in by_district["rows"]] == [("海陵区", 6250, 110000)]

    for group_by, key in (("street", lambda o: region_of(o.elder_id)["street"]),
                          ("provider", lambda o: o.provider_id), ("category", lambda o: o.item.category_id)):
        want_spent, want_held = defaultdict(int), defaultdict(int)
        for o in orders:
            want_spent[key(o)] += spent[o.id]
            want_held[key(o)] += still_held[o.id]
        rows = report(api, city, "voucher-spend", group_by=group_by)["rows"]
        got = {r["id"]: (r["spent_fen"], r["held_fen"]) for r in rows}
        assert {k: v for k, v in got.items() if v != (0, 0)} == \
            {k: (want_spent[k], want_held[k]) for k in want_spent if (want_spent[k], want_held[k]) != (0, 0)}, group_by
    streets = {r["name"]: r for r in report(api, city, "voucher-spend", group_by="street")["rows"]}
    assert set(streets) == {"城东街道", "城西街道"}  # 高港区's street is not the officer's
    assert streets["城东街道"]["issued_fen"] == elder_available_moves("issue", "2026-11", city.streets[0]) == 80000
    assert streets["城西街道"]["lapsed_fen"] == -elder_available_moves("lapse", "2026-12", city.streets[1])
    providers = {r["name"]: r["spent_fen"] for r in report(api, city, "voucher-spend", group_by="provider")["rows"]}
    assert providers == {"甲居家养老服务中心": 1050 + 2800, "乙居家养老服务中心": 1350 + 1050}


def summary_from_the_entries() -> dict[tuple[int, str], list[int]]:
    """{(community, month): [issued, lapsed]} worked out from every entry on an elder's available account."""
    found = defaultdict(lambda: [0, 0])
    for entry, account, txn in db.session.execute(
            select(LedgerEntry, LedgerAccount, LedgerTransaction)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)).all():
        if account.kind == "elder_available" and txn.kind in ("issue", "lapse"):
            community = region_of(account.owner_id)["community"]
            if txn.kind == "issue":
                found[community, txn.period][0] += entry.amount_fen
            else:
                found[community, txn.period][1] -= entry.amount_fen
    return dict(found)


def test_the_summary_by_community_is_what_the_ledger_moved_and_check_ledger_finds_a_difference(app, city):
    with travel(at(DECEMBER, 10)):  # 钱七, eligible since November 15th, gets December's vouchers the same day
        assert issuance.issue_now_if_eligible(city.elders["钱七"]) == 30000
        db.session.commit()
    summary = {(r.community_id, r.period): [r.issued_fen, r.lapsed_fen]
               for r in db.session.scalars(select(VoucherCommunityMonth))}
    want = summary_from_the_entries()
    assert summary == want
    east, west = city.communities[0].id, city.communities[1].id
    # October and November issued by the month's run, November's and December's lapse, 钱七's December.
    assert {k for k, v in want.items() if v[0]} == {(east, "2026-10"), (west, "2026-10"), (east, "2026-11"),
                                                    (west, "2026-11"), (west, "2026-12")}
    assert want[west, "2026-12"][0] == 30000 and want[east, "2026-12"][1] > 0 and want[west, "2026-12"][1] > 0
    assert ledger.check().ok

    db.session.execute(VoucherCommunityMonth.__table__.update().where(
        VoucherCommunityMonth.community_id == west, VoucherCommunityMonth.period == "2026-11")
        .values(issued_fen=VoucherCommunityMonth.issued_fen + 100))
    db.session.commit()
    result = ledger.check()
    issued = want[east, "2026-11"][0] + want[west, "2026-11"][0]
    assert result.summary_unmatched == [(city.district.id, "2026-11", "issue", issued + 100, issued)]
    output = app.test_cli_runner().invoke(args=["check-ledger"])
    assert output.exit_code == 1
    assert f"district {city.district.id}, 2026-11: the reports' summary has {issued + 100} fen issued" in \
        output.output


def test_a_range_of_months_adds_october(api, city):
    spend = report(api, city, "voucher-spend", period=None, **{"from": "2026-10", "to": "2026-11"})
    october = sum(o.voucher_fen for o in orders_in(city, (OCTOBER,)))
    assert october == 1050
    assert spend["totals"]["spent_fen"] == 6250 + october
    assert spend["totals"]["issued_fen"] == elder_available_moves("issue", "2026-10", city.district) + 110000
    assert (spend["from"], spend["to"]) == ("2026-10", "2026-11")


# --- coverage -----------------------------------------------------------------------------------------------


def test_coverage_counts_elders_as_the_voucher_rule_and_the_orders_do(api, city):
    want = defaultdict(Counter)
    granted = set(db.session.scalars(select(VoucherGrant.elder_id).where(VoucherGrant.period == "2026-11")))
    served = {o.elder_id for o in orders_in(city) if o.check_out_at is not None}
    for elder in db.session.scalars(select(Elder)):
        street = region_of(elder.id)["street"]
        if region_of(elder.id)["district"] != city.district.id:
            continue
        want[street]["registered"] += 1
        if explain(elder, "2026-11").eligible:
            want[street]["eligible"] += 1
            want[street]["covered"] += elder.id in granted
        want[street]["served"] += elder.id in served
    got = report(api, city, "coverage")
    for row in got["rows"]:
        assert {k: row[k] for k in ("registered", "eligible", "covered", "served")} == \
            {k: want[row["id"]][k] for k in ("registered", "eligible", "covered", "served")}, row["name"]
    totals = got["totals"]
    assert (totals["eligible"], totals["covered"], totals["registered"], totals["served"]) == (4, 3, 6, 4)
    assert (totals["coverage_rate"], totals["served_rate"]) == (0.75, 0.6667)
    west = next(r for r in got["rows"] if r["name"] == "城西街道")
    assert (west["eligible"], west["covered"], west["coverage_rate"]) == (2, 1, 0.5)


# --- orders -------------------------------------------------------------------------------------------------


def test_orders_by_category_and_status(api, city):
    want = Counter()
    money = defaultdict(lambda: [0, 0])
    for o in orders_in(city):
        want[o.item.category.name, o.status] += 1
        money[o.item.category.name, o.status][0] += o.price_fen
        money[o.item.category.name, o.status][1] += o.voucher_fen
    got = report(api, city, "orders")
    assert {(r["name"], r["status"]): r["orders"] for r in got["rows"]} == dict(want)
    assert {(r["name"], r["status"]): [r["price_fen"], r["voucher_fen"]] for r in got["rows"]} == dict(money)
    assert got["totals"]["orders"] == len(orders_in(city)) == 8
    assert want["助餐", "settled"] == 3 and want["助浴", "cancelled"] == 1


# --- providers ----------------------------------------------------------------------------------------------


def test_providers_records(api, city):
    findings = Counter(f.order_id for f in db.session.scalars(select(Finding)))
    settled = defaultdict(int)
    for line, statement in db.session.execute(select(StatementLine, Statement).join(
            Statement, Statement.id == StatementLine.statement_id)).all():
        if statement.status == "approved":
            settled[line.order_id] += line.voucher_fen
    want = defaultdict(Counter)
    ratings = defaultdict(list)
    for o in orders_in(city):
        p = want[o.provider_id]
        p["orders"] += o.status != "cancelled"
        if o.check_in_at is not None:
            p["visits"] += 1
            p["on_time"] += o.check_in_at <= o.scheduled_start + timedelta(minutes=15)
        if o.rating is not None:
            ratings[o.provider_id].append(o.rating)
        p["complaints"] += o.dispute_reason is not None
        p["findings"] += findings[o.id]
        p["settled_fen"] += settled[o.id]
    got = {r["id"]: r for r in report(api, city, "providers")["rows"]}
    assert set(got) == set(want)
    for provider_id, figures in want.items():
        row = got[provider_id]
        for name in ("orders", "visits", "complaints", "findings", "settled_fen"):
            assert row[name] == figures[name], (row["name"], name)
        assert row["on_time_rate"] == round(figures["on_time"] / figures["visits"], 4)
        assert row["average_rating"] == round(sum(ratings[provider_id]) / len(ratings[provider_id]), 2)
    a, b = got[city.providers["甲"].id], got[city.providers["乙"].id]
    assert (a["orders"], a["visits"], a["on_time_rate"], a["average_rating"], a["settled_fen"]) == (4, 3, 0.6667,
                                                                                                    4.0, 1050)
    assert (b["complaints"], b["findings"], b["average_rating"], b["settled_fen"]) == (1, 1, 3.0, 1350)


# --- downloads ----------------------------------------------------------------------------------------------


def test_csv_and_excel_hold_the_report(api, city):
    response = api.as_(city.officer).get(URL + "voucher-spend", query_string={
        "period": "2026-11", "group_by": "provider", "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment; filename=voucher-spend-provider-2026-11-region" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    table = {row[0]: row for row in rows if row and row[0].endswith("服务中心")}
    assert table["甲居家养老服务中心"][2] == "38.50"  # 10.50 + 28.00 yuan spent
    assert ["已使用（元）", "62.50"] in [row[:2] for row in rows] or ["Spent (yuan)", "62.50"] in [r[:2] for r in rows]

    response = api.as_(city.officer).get(URL + "coverage", query_string={"period": "2026-11", "format": "xlsx"})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    first, totals = book.worksheets
    rows = [list(r) for r in first.iter_rows(values_only=True)]
    west = next(r for r in rows if r[0] == "城西街道")
    assert west[1:4] == [2, 1, "50.0%"]
    assert ["75.0%"] == [r[1] for r in totals.iter_rows(values_only=True) if r[1] == "75.0%"]


# --- scope and bad parameters -------------------------------------------------------------------------------


def test_a_street_officer_sees_the_street_only(api, city):
    spend = report(api, city, "voucher-spend", user=city.street_officer, group_by="street")
    assert [r["name"] for r in spend["rows"]] == ["城东街道"]
    east = [o for o in orders_in(city, region=city.streets[0])]
    assert spend["totals"]["spent_fen"] == sum(o.voucher_fen for o in east if o.status in (
        "completed", "confirmed", "settled", "disputed")) - 1050  # o7's audit reversal
    assert report(api, city, "coverage", user=city.street_officer)["totals"]["registered"] == 3
    # The district's officer may narrow to a street; the street's officer may not widen to the district.
    narrowed = report(api, city, "providers", region_id=city.streets[1].id)
    assert {r["name"] for r in narrowed["rows"]} == {"甲居家养老服务中心", "乙居家养老服务中心"}
    assert sum(r["orders"] for r in narrowed["rows"]) == 2  # 赵四's two orders
    for user, region in ((city.street_officer, city.district), (city.street_officer, city.streets[1]),
                         (city.officer, city.other_district), (city.other_officer, city.streets[0])):
        response = api.as_(user).get(URL + "orders", query_string={"period": "2026-11", "region_id": region.id})
        assert response.status_code == 404, (user.username, region.name)
    other = report(api, city, "orders", user=city.other_officer)
    assert other["totals"]["orders"] == 1  # 周六's, served by 丙


@pytest.mark.parametrize("params, field", [
    ({"period": "2026-13"}, "period"), ({"period": "２０２６-１１"}, "period"), ({"from": "2026/10"}, "from"),
    ({"from": "2026-11", "to": "2026-10"}, "to"), ({"from": "2020-01", "to": "2026-11"}, "to"),
    ({"period": "2026-11", "from": "2026-10"}, "period"), ({"group_by": "elder"}, "group_by"),
    ({"format": "pdf"}, "format"), ({"region_id": "0"}, "region_id"), ({"region_id": "abc"}, "region_id"),
])
def test_bad_parameters_name_the_field(api, city, params, field):
    response = api.as_(city.officer).get(URL + "voucher-spend", query_string=params)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"], response.get_json()


def test_only_the_bureau_and_only_known_reports(api, city):
    assert api.as_(city.officer).get(URL + "everything").status_code == 404
    assert api.get(URL + "orders").status_code == 401
    for role in ("admin", "operator", "provider_admin", "family"):
        from ..factories import UserFactory
        assert api.as_(UserFactory(role=role)).get(URL + "orders").status_code == 403, role


# --- service points -----------------------------------------------------------------------------------------


def point(city, name, kind, provider, community, status="approved"):
    found = ServicePoint(provider_id=provider.id, name=name, kind=kind, community_id=community.id, lat=32.49,
                         lng=119.91, hours=[], daily_capacity=100, status=status)
    db.session.add(found)
    db.session.flush()
    return found


def test_service_points_records_match_the_orders_served_there(api, city):
    east, west, far = city.communities
    a, b, c = (city.providers[k] for k in ("甲", "乙", "丙"))
    canteen_a = point(city, "城东老年食堂", "canteen", a, east)
    canteen_b = point(city, "城西助餐点", "canteen", b, west)
    bath = point(city, "城东助浴点", "bathing", a, east)
    idle = point(city, "城西日间照料中心", "day_care", b, west)
    point(city, "待审核助浴点", "bathing", b, west, status="pending")  # not served from, nothing served: not shown
    far_point = point(city, "口岸食堂", "canteen", c, far)  # 高港区's: not the officer's
    at_point = {"o1": canteen_a, "o5": canteen_a, "o3": canteen_b, "o4": canteen_b, "o7": canteen_b, "o2": bath,
                "o8": far_point}
    for name, where in at_point.items():
        city.orders[name].service_point_id = where.id
    db.session.commit()

    captured, reversed_ = ledger_by_order("capture"), ledger_by_order("reversal")
    want = defaultdict(lambda: {"visits": 0, "elders": set(), "spent_fen": 0})
    for order in db.session.scalars(select(WorkOrder).where(WorkOrder.service_point_id.is_not(None))):
        place = db.session.get(ServicePoint, order.service_point_id)
        if place.community_id in (east.id, west.id) and \
                NOVEMBER.bounds()[0] <= order.scheduled_start < NOVEMBER.bounds()[1]:
            figures = want[place.id]
            if order.check_out_at is not None:
                figures["visits"] += 1
                figures["elders"].add(order.elder_id)
            figures["spent_fen"] += captured[order.id] - reversed_[order.id]
    got = report(api, city, "service-points")
    assert [r["name"] for r in got["rows"]] == ["城东老年食堂", "城西助餐点", "城东助浴点", "城西日间照料中心"]
    for row in got["rows"]:
        figures = want[row["id"]]
        assert (row["visits"], row["elders"], row["spent_fen"]) == (
            figures["visits"], len(figures["elders"]), figures["spent_fen"]), row["name"]
        assert row["per_day"] == round(figures["visits"] / 30, 1)  # November's 30 days
    rows = {r["name"]: r for r in got["rows"]}
    assert (rows["城西助餐点"]["visits"], rows["城西助餐点"]["elders"], rows["城西助餐点"]["spent_fen"]) == (3, 3, 2400)
    assert (rows["城东老年食堂"]["visits"], rows["城东老年食堂"]["spent_fen"]) == (1, 1050)  # o5 is still booked
    assert rows["城西日间照料中心"]["visits"] == 0 and rows["城东助浴点"]["provider"] == "甲居家养老服务中心"
    totals = got["totals"]
    assert (totals["points"], totals["visits"], totals["elders"], totals["spent_fen"]) == (4, 5, 3, 6250)
    assert totals["per_day"] == round(5 / 30, 1) and idle.id in {r["id"] for r in got["rows"]}

    # Scope: the street's officer sees 城东街道's points; 高港区's officer sees its own.
    east_only = report(api, city, "service-points", user=city.street_officer)
    assert {r["name"] for r in east_only["rows"]} == {"城东老年食堂", "城东助浴点"}
    assert [r["name"] for r in report(api, city, "service-points", user=city.other_officer)["rows"]] == ["口岸食堂"]

    response = api.as_(city.officer).get(URL + "service-points", query_string={"period": "2026-11", "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    canteen = next(r for r in table if r and r[0] == "城西助餐点")
    assert canteen[3:] == ["3", "0.1", "3", "24.00"]
    response = api.as_(city.officer).get(URL + "service-points", query_string={"period": "2026-11", "format": "xlsx"})
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert ["城东助浴点", 1] == [[r[0], r[3]] for r in book.worksheets[0].iter_rows(values_only=True)
                              if r[0] == "城东助浴点"][0]
