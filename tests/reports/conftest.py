"""A small city with known numbers for the reports: 海陵区 (two streets, a voucher policy) and 高港区 (no policy),
vouchers issued for October and November by the real issuance and lapsed at each month's end by the real lapse,
and November's orders in every state a report tells apart, each with the ledger movements its life would leave
(hold, capture, release, an audit's reversal), then November settled and approved.

The known numbers for November in 海陵区: issued 300 + 500 + 300 yuan to 王一, 李二 and 赵四; spent 62.50 yuan (10.50,
28.00, 13.50, 10.50, and 10.50 given back by an audit); still held 10.50 (a pending booking); lapsed 1,027.00; four
eligible elders (钱七 became eligible after the month's issuance), three of them with vouchers; six registered, four
served."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from eldercare import clock
from eldercare.audit import findings
from eldercare.audit.findings import AuditCase, Finding
from eldercare.clock import Month
from eldercare.extensions import db as _db
from eldercare.orders.models import WorkOrder
from eldercare.providers.models import Caregiver
from eldercare.settlement import services as settlement
from eldercare.settlement.scope import providers_of
from eldercare.vouchers import holds, issuance

from ..factories import (
    CategoryFactory,
    CommunityFactory,
    DistrictFactory,
    ElderFactory,
    ItemFactory,
    ProviderFactory,
    StreetFactory,
    UserFactory,
)
from ..vouchers.conftest import make_policy

OCTOBER, NOVEMBER, DECEMBER = Month(2026, 10), Month(2026, 11), Month(2026, 12)


def at(month: Month, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return clock.at_local(date(month.year, month.month, day), time(hour, minute))


def travel(moment: datetime):
    return time_machine.travel(moment, tick=False)


@dataclass
class City:
    district: object
    other_district: object
    streets: list
    communities: list
    categories: dict
    items: dict
    elders: dict
    providers: dict
    officer: object  # 海陵区's officer
    street_officer: object  # 城东街道's
    other_officer: object  # 高港区's
    orders: dict = field(default_factory=dict)


def _visit(city, name, elder, provider, item, start, status, *, voucher_fen, price_fen=None, late_minutes=0,
           rating=None, capture=True, dispute=None):
    """An order as its life leaves it, with its ledger movements (hold, capture) as booking and check-out post
    them."""
    price_fen = price_fen if price_fen is not None else item.price_fen
    served = status in ("completed", "confirmed", "disputed")
    check_in = start + timedelta(minutes=late_minutes) if served else None
    order = WorkOrder(elder_id=elder.id, item_id=item.id, status=status, scheduled_start=start,
                      scheduled_end=start + timedelta(minutes=30), price_fen=price_fen, voucher_fen=voucher_fen,
                      copay_fen=price_fen - voucher_fen, pay_with="voucher" if voucher_fen else "self",
                      provider_id=provider.id, caregiver_id=provider.team[0].id if served else None,
                      check_in_at=check_in, check_out_at=check_in + timedelta(minutes=30) if served else None,
                      check_in_distance_m=10 if served else None, check_out_distance_m=10 if served else None,
                      actual_minutes=30 if served else None, rating=rating,
                      confirmed_at=check_in + timedelta(hours=2) if status == "confirmed" else None,
                      dispute_reason=dispute)
    _db.session.add(order)
    _db.session.flush()
    if voucher_fen:
        holds.hold(order, voucher_fen)
        if served and capture:
            holds.capture(order)
    _db.session.commit()
    city.orders[name] = order
    return order


@pytest.fixture
def city(db):
    with travel(at(OCTOBER, 1, 0, 1)):
        district, other = DistrictFactory(name="海陵区"), DistrictFactory(name="高港区")
        east, west = StreetFactory(parent_id=district.id, name="城东街道"), StreetFactory(parent_id=district.id,
                                                                                         name="城西街道")
        far = StreetFactory(parent_id=other.id, name="口岸街道")
        communities = [CommunityFactory(parent_id=s.id, name=f"{s.name}社区") for s in (east, west, far)]
        meal, bath = CategoryFactory(code="meal", name="助餐"), CategoryFactory(code="bath", name="助浴")
        items = {"meal": ItemFactory(code="meal.lunch", category=meal, name="午餐", price_fen=1500),
                 "bath": ItemFactory(code="bath.home", category=bath, name="上门助浴", price_fen=4000)}
        make_policy(district, [meal, bath])
        c_east, c_west, c_far = communities
        elders = {
            "王一": ElderFactory(community_id=c_east.id, name="王一", care_level="moderate"),
            "李二": ElderFactory(community_id=c_east.id, name="李二", care_level="severe", hardship="dibao",
                               hardship_since=date(2024, 1, 1)),
            "张三": ElderFactory(community_id=c_east.id, name="张三", care_level="intact"),
            "赵四": ElderFactory(community_id=c_west.id, name="赵四", care_level="moderate"),
            "孙五": ElderFactory(community_id=c_west.id, name="孙五", care_level=None),
            "周六": ElderFactory(community_id=c_far.id, name="周六", care_level="moderate"),
        }
        providers = {}
        for name, home in (("甲", district), ("乙", district), ("丙", other)):
            provider = ProviderFactory(name=f"{name}居家养老服务中心", district_id=home.id)
            caregiver = Caregiver(provider_id=provider.id, name=f"{name}护理员")
            _db.session.add(caregiver)
            _db.session.commit()
            provider.team = [caregiver]
            providers[name] = provider
        officer = UserFactory(role="bureau", scope_region_id=district.id, username="hailing")
        second = UserFactory(role="bureau", scope_region_id=district.id, username="hailing2")
        city = City(district, other, [east, west, far], communities, {"meal": meal, "bath": bath}, items, elders,
                    providers, officer, UserFactory(role="bureau", scope_region_id=east.id, username="chengdong"),
                    UserFactory(role="bureau", scope_region_id=other.id, username="gaogang"))
        issuance.issue_period(OCTOBER, region_id=district.id)
    a, b, c = providers["甲"], providers["乙"], providers["丙"]
    e = elders
    with travel(at(OCTOBER, 20, 12)):
        _visit(city, "october", e["王一"], a, items["meal"], at(OCTOBER, 20), "confirmed", voucher_fen=1050, rating=5)
    with travel(at(NOVEMBER, 1, 0, 5)):
        issuance.lapse_period(NOVEMBER, region_id=district.id)
        issuance.issue_period(NOVEMBER, region_id=district.id)
    with travel(at(NOVEMBER, 15, 9)):
        e["钱七"] = ElderFactory(community_id=c_west.id, name="钱七", care_level="moderate")  # after the issuance
    with travel(at(NOVEMBER, 28, 20)):
        _visit(city, "o1", e["王一"], a, items["meal"], at(NOVEMBER, 3), "confirmed", voucher_fen=1050, rating=5)
        _visit(city, "o2", e["王一"], a, items["bath"], at(NOVEMBER, 4), "completed", voucher_fen=2800,
               late_minutes=30)
        _visit(city, "o3", e["李二"], b, items["meal"], at(NOVEMBER, 5), "confirmed", voucher_fen=1350, rating=4)
        _visit(city, "o4", e["赵四"], b, items["meal"], at(NOVEMBER, 6), "disputed", voucher_fen=1050,
               dispute="饭菜是冷的")
        _visit(city, "o5", e["赵四"], a, items["meal"], at(NOVEMBER, 30, 11), "pending", voucher_fen=1050)
        cancelled = _visit(city, "o6", e["李二"], b, items["bath"], at(NOVEMBER, 7), "cancelled", voucher_fen=3200)
        holds.release(cancelled)
        flagged = _visit(city, "o7", e["王一"], b, items["meal"], at(NOVEMBER, 8), "confirmed", voucher_fen=1050,
                         rating=2, late_minutes=10)
        _visit(city, "o10", e["张三"], a, items["meal"], at(NOVEMBER, 9), "confirmed", voucher_fen=0, rating=3)
        _visit(city, "o8", e["周六"], c, items["meal"], at(NOVEMBER, 10), "confirmed", voucher_fen=0, rating=1)
        _db.session.add(Finding(rule="too_short", order_id=flagged.id, severity="medium", facts={}))
        _db.session.flush()
        findings.open_cases([flagged.id], actor_id=None, note="test")
        case = _db.session.query(AuditCase).filter_by(order_id=flagged.id).one()
        findings.decide(officer, case, decision="confirm", note="电话核实：没有上门")
        _db.session.commit()
    with travel(at(DECEMBER, 1, 0, 5)):
        issuance.lapse_period(DECEMBER, region_id=district.id)
    with travel(at(DECEMBER, 3, 10)):
        made = settlement.generate(NOVEMBER, actor=officer, within=providers_of(officer))
        _db.session.commit()
        for statement in made:
            settlement.approve(second, statement.id)
        _db.session.commit()
    for order in city.orders.values():
        _db.session.refresh(order)
    return city
