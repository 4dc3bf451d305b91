"""The bureau's reports over a span of months and a region (the officer's scope or a region below it): voucher
spend, coverage (保障率), orders by category and status, and providers' records.

Each report is a few set-based aggregates: the database groups a span's orders (or elders, or ledger movements) by
community, item, provider or status (a few hundred groups at most), and the small tables (regions, items,
categories, providers, policies) roll those groups up here to streets, districts and categories. No order or
elder row comes to Python.

What the figures mean:

- An order belongs to the month of its booked start (Beijing time) and to the elder's community.
- Spent: the voucher share captured for the provider when the visit ended (check-out, or the counter), less what a
  confirmed audit case gave back; a dispute upheld cancels the order, and its reversal with it. Still held: the
  voucher share of the span's orders booked and not yet served or cancelled (their hold is on the elder's held
  account). Issued: what the ledger moved to the region's elders for the span's months. Lapsed: what lapsed from
  their accounts when each month of the span ended (the lapse at the start of the next month). Both from the
  summary the ledger keeps by community and month, each elder in the community he lived in when the money moved.
- Coverage: eligible elders are those the voucher rule (`vouchers.eligibility.tier_for`, the policy in force in
  the span's last month) gives a tier now, active and 60 or older; covered: those of them granted vouchers for a
  month of the span. Served: elders with at least one visit served in the span; registered: elders registered by
  the span's end.
- Service points: the points in the region (by the point's own community), with every visit served at their
  counter in the span, whoever the elder: visits served, on average a day (the span's days up to today), elders
  served (each once) and the voucher share spent as above.
- Providers: on time is a check-in no later than 15 minutes after the booked start (as check-out counts it);
  complaints are disputed orders; findings are the anomaly rules' findings about the span's orders; settled is
  the voucher share of the span's orders on an approved settlement statement."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, and_, case, cast, exists, extract, func, select

from .. import clock
from ..audit.findings import AuditCase, Finding
from ..catalog.models import Category, Item
from ..clock import Month
from ..elders.models import Elder
from ..errors import NotFound, invalid
from ..extensions import db
from ..orders.lifecycle import ON_TIME
from ..orders.models import WorkOrder
from ..providers.models import Provider
from ..regions.models import Region
from ..regions.services import descendant_ids
from ..servicepoints.models import ServicePoint
from ..vouchers.eligibility import MIN_AGE, policy_for, tier_for
from ..vouchers.models import VoucherCommunityMonth, VoucherGrant

NAMES = ("voucher-spend", "coverage", "orders", "providers", "service-points")
GROUPS = ("district", "street", "provider", "category")
LONGEST_SPAN = 36  # months in one report
# The voucher share of an order in these states was captured (check-out, the counter) and not released.
CAPTURED = ("completed", "confirmed", "settled", "disputed")
# ... and in these it is still held on the elder's account: booked, not yet served or cancelled.
HOLDING = ("pending", "dispatched", "accepted", "in_service", "escalated")
SERVED = CAPTURED

TITLES = {"voucher-spend": _l("Voucher spend"), "coverage": _l("Coverage rate"), "orders": _l("Orders"),
          "providers": _l("Providers"), "service-points": _l("Service points")}
POINT_KINDS = {"canteen": _l("Canteen"), "bathing": _l("Bathing point"), "day_care": _l("Day-care centre")}
STATUS_LABELS = {"pending": _l("pending"), "dispatched": _l("offered"), "accepted": _l("accepted"),
                 "in_service": _l("in service"), "completed": _l("completed"), "confirmed": _l("confirmed"),
                 "settled": _l("settled"), "escalated": _l("escalated"), "cancelled": _l("cancelled"),
                 "disputed": _l("disputed")}


@dataclass(frozen=True)
class Span:
    """The months a report covers, first to last inclusive."""

    first: Month
    last: Month

    @classmethod
    def of(cls, period: Month | None = None, first: Month | None = None, last: Month | None = None) -> "Span":
        """A month (`period`), or a range of months (`first` to `last`, either alone meaning one month); the
        current month when nothing is given. Invalid (422) naming `to` for a range backwards or too long."""
        if period is not None:
            return cls(period, period)
        first, last = first or last or Month.current(), last or first or Month.current()
        if last < first:
            raise invalid("to", _l("The last month comes before the first."))
        if len(_months(first, last)) > LONGEST_SPAN:
            raise invalid("to", _l("A report covers at most %(months)d months.", months=LONGEST_SPAN))
        return cls(first, last)

    @property
    def months(self) -> list[str]:
        return [str(m) for m in _months(self.first, self.last)]

    def bounds(self):
        """[start, end) in UTC."""
        return self.first.bounds()[0], self.last.bounds()[1]

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first} – {self.last}"


def _months(first: Month, last: Month) -> list[Month]:
    months, month = [], first
    while month <= last and len(months) <= LONGEST_SPAN:
        months.append(month)
        month = month.next()
    return months


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # a lazy translation
    kind: str  # text, count, fen or rate


@dataclass
class Report:
    name: str
    span: Span
    region: Region | None  # None: the whole city (benchmarks, scripts)
    columns: list[Column]
    rows: list[dict]
    totals: dict
    group_by: str | None = None
    summary: list[Column] = field(default_factory=list)  # the totals shown as figures, in this order

    @property
    def title(self):
        return TITLES[self.name]

    def as_dict(self) -> dict:
        return dict(name=self.name, group_by=self.group_by, from_=str(self.span.first), to=str(self.span.last),
                    region_id=self.region.id if self.region else None,
                    columns=[dict(key=c.key, label=str(c.label), kind=c.kind) for c in self.columns],
                    rows=self.rows, totals=self.totals)


# --- where --------------------------------------------------------------------------------------------------


def region_for(user, region_id: int | None) -> Region:
    """The region a report covers: the officer's scope, or `region_id` inside it; NotFound (404) for a region
    outside it or none, as for any other record the officer may not see."""
    scope = getattr(user, "scope_region_id", None)
    if scope is None:
        raise NotFound(_l("No such region."))
    wanted = scope if region_id is None else region_id
    if wanted != scope and wanted not in descendant_ids(scope):
        raise NotFound(_l("No such region."))
    region = db.session.get(Region, wanted)
    if region is None:
        raise NotFound(_l("No such region."))
    return region


@dataclass
class Map:
    """The small tables a report rolls its groups up with: every region (a city has a few hundred), and the
    communities under the report's region."""

    regions: dict  # id -> Region row (id, code, name, level, parent_id)
    communities: list[int] | None  # None: every community (the whole city)

    @classmethod
    def load(cls, region: Region | None) -> "Map":
        rows = {r.id: r for r in db.session.execute(
            select(Region.id, Region.code, Region.name, Region.level, Region.parent_id))}
        if region is None:
            return cls(rows, None)
        below = descendant_ids(region.id)
        return cls(rows, sorted(i for i in below if rows[i].level == "community"))

    def up(self, community_id: int, level: str) -> int | None:
        """The street or district a community lies in."""
        node = self.regions.get(community_id)
        while node is not None and node.level != level:
            node = self.regions.get(node.parent_id)
        return node.id if node is not None else None

    def under(self, region: Region | None, level: str) -> list[int]:
        """The regions of `level` under `region` (or the whole city), by code."""
        if region is None:
            found = [r for r in self.regions.values() if r.level == level]
        else:
            wanted = set(descendant_ids(region.id))
            found = [r for r in self.regions.values() if r.level == level and r.id in wanted]
        return [r.id for r in sorted(found, key=lambda r: r.code)]


def _in_region(column, where: Map):
    return [] if where.communities is None else [column.in_(where.communities or [-1])]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _sum(expression):
    return func.coalesce(func.sum(expression), 0)


def _count_if(condition):
    return _sum(case((condition, 1), else_=0))


# --- voucher spend ------------------------------------------------------------------------------------------


def voucher_spend(span: Span, region: Region | None, group_by: str = "district") -> Report:
    """Voucher money by district, street, provider or category: what the span's visits spent, what its bookings
    still hold; by district and street also what the ledger issued to the elders there and what lapsed."""
    if group_by not in GROUPS:
        raise invalid("group_by", _l("Group by one of: %(names)s.", names=", ".join(GROUPS)))
    where = Map.load(region)
    o, e, c = WorkOrder.__table__, Elder.__table__, AuditCase.__table__
    start, end = span.bounds()
    key = {"district": e.c.community_id, "street": e.c.community_id, "provider": o.c.provider_id,
           "category": o.c.item_id}[group_by]
    captured = o.c.status.in_(CAPTURED)
    stmt = (select(key, _count_if(captured), _sum(case((captured, o.c.voucher_fen - func.coalesce(
                c.c.reversed_fen, 0)), else_=0)), _sum(case((o.c.status.in_(HOLDING), o.c.voucher_fen), else_=0)))
            .select_from(o).outerjoin(c, c.c.order_id == o.c.id)
            .where(o.c.scheduled_start >= start, o.c.scheduled_start < end, o.c.voucher_fen > 0)
            .group_by(key))
    if where.communities is not None or group_by in ("district", "street"):
        stmt = stmt.join(e, e.c.id == o.c.elder_id).where(*_in_region(e.c.community_id, where))
    money = defaultdict(lambda: dict(orders=0, spent_fen=0, held_fen=0, issued_fen=0, lapsed_fen=0))
    names = _namer(group_by, where)
    for group, orders, spent, held in db.session.execute(stmt):
        row = money[names.key(group)]
        row["orders"] += int(orders)
        row["spent_fen"] += int(spent)
        row["held_fen"] += int(held)
    ledger = _issued_and_lapsed(span, where)
    for community_id, (issued, lapsed) in ledger.items():
        if group_by in ("district", "street"):
            row = money[names.key(community_id)]
            row["issued_fen"] += issued
            row["lapsed_fen"] += lapsed
    columns = [Column("name", names.label, "text"), Column("orders", _l("Visits paid by vouchers"), "count"),
               Column("spent_fen", _l("Spent (yuan)"), "fen"), Column("held_fen", _l("Still held (yuan)"), "fen")]
    if group_by in ("district", "street"):
        columns += [Column("issued_fen", _l("Issued (yuan)"), "fen"), Column("lapsed_fen", _l("Lapsed (yuan)"), "fen")]
        keys = where.under(region, group_by)
    else:
        keys = names.order([k for k in money if k is not None])
    rows = [dict(id=k, name=names.name(k), **{c.key: money[k][c.key] for c in columns[1:]}) for k in keys]
    totals = dict(orders=sum(r["orders"] for r in money.values()),
                  spent_fen=sum(r["spent_fen"] for r in money.values()),
                  held_fen=sum(r["held_fen"] for r in money.values()),
                  issued_fen=sum(i for i, _ in ledger.values()),
                  lapsed_fen=sum(lapsed for _, lapsed in ledger.values()))
    summary = [Column("issued_fen", _l("Issued (yuan)"), "fen"), Column("spent_fen", _l("Spent (yuan)"), "fen"),
               Column("lapsed_fen", _l("Lapsed (yuan)"), "fen"), Column("held_fen", _l("Still held (yuan)"), "fen"),
               Column("orders", _l("Visits paid by vouchers"), "count")]
    return Report("voucher-spend", span, region, columns, rows, totals, group_by=group_by, summary=summary)


def _issued_and_lapsed(span: Span, where: Map) -> dict[int, tuple[int, int]]:
    """{community id: (fen issued to its elders for the span's months, fen lapsed from them at those months'
    ends)}, from the summary the ledger keeps by community and month as the money moves (`VoucherCommunityMonth`,
    checked against the districts' accounts by `flask check-ledger`): a few rows a community, never the entries
    (a month's issue is one entry per elder)."""
    m = VoucherCommunityMonth.__table__
    issue_months = span.months
    lapse_months = [str(Month.parse(p).next()) for p in issue_months]  # a month's lapse is at the next one's start
    found = defaultdict(lambda: [0, 0])
    for community_id, period, issued, lapsed in db.session.execute(
            select(m.c.community_id, m.c.period, m.c.issued_fen, m.c.lapsed_fen)
            .where(m.c.period.in_(sorted(set(issue_months) | set(lapse_months))),
                   *_in_region(m.c.community_id, where))):
        if period in issue_months:
            found[community_id][0] += int(issued)
        if period in lapse_months:
            found[community_id][1] += int(lapsed)
    return {k: tuple(v) for k, v in found.items()}


class _namer:
    """Turns a group's key from the database (community, provider or item id) into the report's row key, and
    names it."""

    def __init__(self, group_by: str, where: Map):
        self.group_by, self.where = group_by, where
        self.label = {"district": _l("District"), "street": _l("Street"), "provider": _l("Provider"),
                      "category": _l("Category")}[group_by]
        self._names, self._sort = {}, {}
        if group_by == "category":
            self._item_category = dict(db.session.execute(select(Item.id, Item.category_id)).all())
            for cid, name, sort_order in db.session.execute(select(Category.id, Category.name, Category.sort_order)):
                self._names[cid], self._sort[cid] = name, (sort_order, cid)
        elif group_by == "provider":
            for pid, name in db.session.execute(select(Provider.id, Provider.name)):
                self._names[pid], self._sort[pid] = name, (name, pid)

    def key(self, group):
        if self.group_by in ("district", "street"):
            return self.where.up(group, self.group_by)
        if self.group_by == "category":
            return self._item_category.get(group)
        return group

    def name(self, key) -> str:
        if self.group_by in ("district", "street"):
            return self.where.regions[key].name
        return self._names.get(key, str(key))

    def order(self, keys: list) -> list:
        return sorted(keys, key=lambda k: self._sort.get(k, ("", k)))


# --- coverage -----------------------------------------------------------------------------------------------


def coverage(span: Span, region: Region | None) -> Report:
    """保障率 by street: eligible elders granted vouchers for the span over eligible elders, and elders served in
    the span over elders registered."""
    where = Map.load(region)
    e, o, g = Elder.__table__, WorkOrder.__table__, VoucherGrant.__table__
    start, end = span.bounds()
    last = span.last.first_day
    oldest_birth = last.replace(year=last.year - MIN_AGE) if not (last.month == 2 and last.day == 29) else last
    granted = exists(select(g.c.elder_id).where(g.c.elder_id == e.c.id, g.c.period.in_(span.months)))
    counts = defaultdict(lambda: dict(registered=0, eligible=0, covered=0, served=0))
    for community_id, registered in db.session.execute(
            select(e.c.community_id, func.count()).where(e.c.created_at < end, *_in_region(e.c.community_id, where))
            .group_by(e.c.community_id)):
        counts[community_id]["registered"] = int(registered)
    policies = {}
    for community_id, level, hardship, elders, covered in db.session.execute(
            select(e.c.community_id, e.c.care_level, e.c.hardship, func.count(), _count_if(granted))
            .where(e.c.status == "active", e.c.verification_pending.is_(False), e.c.care_level.is_not(None),
                   e.c.birth_date <= oldest_birth, e.c.created_at < end, *_in_region(e.c.community_id, where))
            .group_by(e.c.community_id, e.c.care_level, e.c.hardship)):
        district_id = where.up(community_id, "district")
        if district_id not in policies:
            policies[district_id] = policy_for(district_id, str(span.last)) if district_id else None
        policy = policies[district_id]
        if policy is not None and tier_for(policy, level, hardship) is not None:
            counts[community_id]["eligible"] += int(elders)
            counts[community_id]["covered"] += int(covered)
    served = (select(e.c.community_id, func.count(func.distinct(o.c.elder_id)))
              .select_from(o).join(e, e.c.id == o.c.elder_id)
              .where(o.c.scheduled_start >= start, o.c.scheduled_start < end, o.c.status.in_(SERVED),
                     *_in_region(e.c.community_id, where))
              .group_by(e.c.community_id))
    for community_id, elders in db.session.execute(served):
        counts[community_id]["served"] = int(elders)
    streets = defaultdict(lambda: dict(registered=0, eligible=0, covered=0, served=0))
    for community_id, figures in counts.items():
        street = streets[where.up(community_id, "street")]
        for name, value in figures.items():
            street[name] += value
    columns = [Column("name", _l("Street"), "text"), Column("eligible", _l("Eligible elders"), "count"),
               Column("covered", _l("Eligible elders with vouchers"), "count"),
               Column("coverage_rate", _l("Voucher coverage"), "rate"),
               Column("registered", _l("Elders registered"), "count"), Column("served", _l("Elders served"), "count"),
               Column("served_rate", _l("Served rate"), "rate")]
    rows = [_coverage_row(street_id, where.regions[street_id].name, streets[street_id])
            for street_id in where.under(region, "street")]
    total = {name: sum(s[name] for s in streets.values()) for name in ("registered", "eligible", "covered", "served")}
    totals = _coverage_row(None, None, total)
    summary = [Column("coverage_rate", _l("Voucher coverage"), "rate"),
               Column("eligible", _l("Eligible elders"), "count"),
               Column("covered", _l("Eligible elders with vouchers"), "count"),
               Column("served_rate", _l("Served rate"), "rate"), Column("served", _l("Elders served"), "count"),
               Column("registered", _l("Elders registered"), "count")]
    return Report("coverage", span, region, columns, rows, totals, summary=summary)


def _coverage_row(key, name, figures: dict) -> dict:
    row = dict(figures, coverage_rate=_rate(figures["covered"], figures["eligible"]),
               served_rate=_rate(figures["served"], figures["registered"]))
    return row if key is None else dict(id=key, name=name, **row)


# --- orders -------------------------------------------------------------------------------------------------


def orders(span: Span, region: Region | None) -> Report:
    """The span's orders by category and status: how many, their price and voucher share."""
    where = Map.load(region)
    o, e = WorkOrder.__table__, Elder.__table__
    start, end = span.bounds()
    stmt = (select(o.c.item_id, o.c.status, func.count(), _sum(o.c.price_fen), _sum(o.c.voucher_fen))
            .select_from(o).where(o.c.scheduled_start >= start, o.c.scheduled_start < end)
            .group_by(o.c.item_id, o.c.status))
    if where.communities is not None:
        stmt = stmt.join(e, e.c.id == o.c.elder_id).where(*_in_region(e.c.community_id, where))
    names = _namer("category", where)
    groups = defaultdict(lambda: dict(orders=0, price_fen=0, voucher_fen=0))
    for item_id, status, count, price, voucher in db.session.execute(stmt):
        row = groups[names.key(item_id), status]
        row["orders"] += int(count)
        row["price_fen"] += int(price)
        row["voucher_fen"] += int(voucher)
    statuses = list(STATUS_LABELS)
    keys = sorted(groups, key=lambda k: (names.order(list({c for c, _ in groups})).index(k[0]),
                                         statuses.index(k[1]) if k[1] in statuses else len(statuses)))
    rows = [dict(category_id=c, name=names.name(c), status=s, status_label=str(STATUS_LABELS.get(s, s)),
                 **groups[c, s]) for c, s in keys]
    columns = [Column("name", _l("Category"), "text"), Column("status_label", _l("Status"), "text"),
               Column("orders", _l("Orders"), "count"), Column("price_fen", _l("Price (yuan)"), "fen"),
               Column("voucher_fen", _l("Vouchers (yuan)"), "fen")]
    totals = {k: sum(r[k] for r in groups.values()) for k in ("orders", "price_fen", "voucher_fen")}
    summary = [Column("orders", _l("Orders"), "count"), Column("price_fen", _l("Price (yuan)"), "fen"),
               Column("voucher_fen", _l("Vouchers (yuan)"), "fen")]
    return Report("orders", span, region, columns, rows, totals, summary=summary)


# --- providers ----------------------------------------------------------------------------------------------


def providers(span: Span, region: Region | None) -> Report:
    """Each provider's record with the region's elders in the span: orders, visits, on-time rate, average
    rating, complaints, audit findings and the voucher share settled."""
    where = Map.load(region)
    o, e, f = WorkOrder.__table__, Elder.__table__, Finding.__table__
    start, end = span.bounds()
    late = cast(extract("epoch", o.c.check_in_at), Float) - cast(extract("epoch", o.c.scheduled_start), Float)
    findings = select(f.c.order_id, func.count().label("n")).group_by(f.c.order_id).subquery()
    stmt = (select(o.c.provider_id, _count_if(o.c.status != "cancelled"), _count_if(o.c.check_in_at.is_not(None)),
                   _count_if(and_(o.c.check_in_at.is_not(None), late <= ON_TIME.total_seconds())),
                   func.count(o.c.rating), _sum(o.c.rating), _count_if(o.c.dispute_reason.is_not(None)),
                   _sum(func.coalesce(findings.c.n, 0)), _sum(case((o.c.status == "settled", o.c.voucher_fen),
                                                                   else_=0)))
            .select_from(o).outerjoin(findings, findings.c.order_id == o.c.id)
            .where(o.c.scheduled_start >= start, o.c.scheduled_start < end, o.c.provider_id.is_not(None))
            .group_by(o.c.provider_id))
    if where.communities is not None:
        stmt = stmt.join(e, e.c.id == o.c.elder_id).where(*_in_region(e.c.community_id, where))
    names = _namer("provider", where)
    rows = []
    for pid, count, visits, on_time, ratings, rating_sum, complaints, found, settled in db.session.execute(stmt):
        rows.append(dict(id=pid, name=names.name(pid), orders=int(count), visits=int(visits), on_time=int(on_time),
                         on_time_rate=_rate(int(on_time), int(visits)), ratings=int(ratings),
                         average_rating=round(int(rating_sum) / int(ratings), 2) if ratings else None,
                         complaints=int(complaints), findings=int(found), settled_fen=int(settled)))
    rows.sort(key=lambda r: (r["name"], r["id"]))
    columns = [Column("name", _l("Provider"), "text"), Column("orders", _l("Orders"), "count"),
               Column("visits", _l("Visits"), "count"), Column("on_time_rate", _l("On time"), "rate"),
               Column("average_rating", _l("Average rating"), "number"),
               Column("complaints", _l("Complaints"), "count"),
               Column("findings", _l("Audit findings"), "count"), Column("settled_fen", _l("Settled (yuan)"), "fen")]
    totals = {k: sum(r[k] for r in rows) for k in ("orders", "visits", "on_time", "ratings", "complaints", "findings",
                                                    "settled_fen")}
    totals["on_time_rate"] = _rate(totals["on_time"], totals["visits"])
    summary = [Column("orders", _l("Orders"), "count"), Column("on_time_rate", _l("On time"), "rate"),
               Column("complaints", _l("Complaints"), "count"), Column("findings", _l("Audit findings"), "count"),
               Column("settled_fen", _l("Settled (yuan)"), "fen")]
    return Report("providers", span, region, columns, rows, totals, summary=summary)


# --- service points -----------------------------------------------------------------------------------------


def service_points(span: Span, region: Region | None) -> Report:
    """Each canteen's, bathing point's and day-care centre's record in the span: visits served at its counter,
    how many a day, elders served and the voucher share spent there."""
    where = Map.load(region)
    p, o, c = ServicePoint.__table__, WorkOrder.__table__, AuditCase.__table__
    start, end = span.bounds()
    points = {r.id: r for r in db.session.execute(
        select(p.c.id, p.c.name, p.c.kind, p.c.provider_id, p.c.status).where(*_in_region(p.c.community_id, where)))}
    served = o.c.status.in_(SERVED)
    at_points = (select().select_from(o).join(p, p.c.id == o.c.service_point_id)
                 .where(o.c.scheduled_start >= start, o.c.scheduled_start < end, *_in_region(p.c.community_id, where)))
    figures = {}
    for point_id, visits, elders, spent in db.session.execute(
            at_points.add_columns(o.c.service_point_id, _count_if(served),
                                  func.count(func.distinct(case((served, o.c.elder_id)))),
                                  _sum(case((o.c.status.in_(CAPTURED), o.c.voucher_fen - func.coalesce(
                                      c.c.reversed_fen, 0)), else_=0)))
            .outerjoin(c, c.c.order_id == o.c.id).group_by(o.c.service_point_id)):
        figures[point_id] = dict(visits=int(visits), elders=int(elders), spent_fen=int(spent))
    every_elder = db.session.scalar(at_points.add_columns(func.count(func.distinct(o.c.elder_id))).where(served))
    days = _days(span)
    providers = dict(db.session.execute(select(Provider.id, Provider.name)).all())
    kinds = list(POINT_KINDS)
    shown = sorted((r for r in points.values() if r.status == "approved" or r.id in figures),
                   key=lambda r: (kinds.index(r.kind) if r.kind in kinds else len(kinds), r.name, r.id))
    rows = []
    for point in shown:
        row = figures.get(point.id, dict(visits=0, elders=0, spent_fen=0))
        rows.append(dict(id=point.id, name=point.name, kind=point.kind,
                         kind_label=str(POINT_KINDS.get(point.kind, point.kind)),
                         provider=providers.get(point.provider_id, ""), visits=row["visits"],
                         per_day=round(row["visits"] / days, 1), elders=row["elders"], spent_fen=row["spent_fen"]))
    visits = sum(f["visits"] for f in figures.values())
    totals = dict(points=len(rows), visits=visits, per_day=round(visits / days, 1), elders=int(every_elder or 0),
                  spent_fen=sum(f["spent_fen"] for f in figures.values()), days=days)
    columns = [Column("name", _l("Service point"), "text"), Column("kind_label", _l("Kind"), "text"),
               Column("provider", _l("Provider"), "text"), Column("visits", _l("Visits"), "count"),
               Column("per_day", _l("Served a day"), "number"), Column("elders", _l("Elders served"), "count"),
               Column("spent_fen", _l("Spent (yuan)"), "fen")]
    summary = [Column("points", _l("Service points"), "count"), Column("visits", _l("Visits"), "count"),
               Column("per_day", _l("Served a day"), "number"), Column("elders", _l("Elders served"), "count"),
               Column("spent_fen", _l("Spent (yuan)"), "fen")]
    return Report("service-points", span, region, columns, rows, totals, summary=summary)


def _days(span: Span) -> int:
    """The span's days up to today (Beijing), at least one: what a day's average divides by."""
    last = min(span.last.next().first_day - timedelta(days=1), clock.today())
    return max((last - span.first.first_day).days + 1, 1)


def build(name: str, span: Span, region: Region | None, group_by: str | None = None) -> Report:
    """One report by its name in the API (`voucher-spend`, `coverage`, `orders`, `providers`,
    `service-points`)."""
    if name == "voucher-spend":
        return voucher_spend(span, region, group_by or "district")
    if name not in NAMES:
        raise NotFound(_l("No such report."))
    return {"coverage": coverage, "orders": orders, "providers": providers,
            "service-points": service_points}[name](span, region)


def spend_by_month(span: Span, region: Region | None) -> list[dict]:
    """The dashboard's spend by month: the voucher share spent on each month's visits, in one pass over the
    span's orders (each order put in its month by comparing its start with the months' bounds, which reads the
    same on every database)."""
    where = Map.load(region)
    o, e, c = WorkOrder.__table__, Elder.__table__, AuditCase.__table__
    months = [Month.parse(m) for m in span.months]
    start, end = span.bounds()
    bucket = case(*((o.c.scheduled_start < m.bounds()[1], i) for i, m in enumerate(months)), else_=len(months))
    captured = o.c.status.in_(CAPTURED)
    stmt = (select(bucket, _sum(case((captured, o.c.voucher_fen - func.coalesce(c.c.reversed_fen, 0)), else_=0)))
            .select_from(o).outerjoin(c, c.c.order_id == o.c.id)
            .where(o.c.scheduled_start >= start, o.c.scheduled_start < end, o.c.voucher_fen > 0)
            .group_by(bucket))
    if where.communities is not None:
        stmt = stmt.join(e, e.c.id == o.c.elder_id).where(*_in_region(e.c.community_id, where))
    spent = {int(i): int(fen) for i, fen in db.session.execute(stmt)}
    return [dict(month=str(m), spent_fen=spent.get(i, 0)) for i, m in enumerate(months)]
