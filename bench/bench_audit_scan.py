"""The anomaly scan over a month of visits: N orders (150,000 by default, the reference city's month) checked in
last month by caregivers who work two visits a day, with 1% of them planted to break each order-level rule
(overlap across providers by one phone, far from home, too short, too long, after a death, in hospital,
impossible travel, a future time, booked too often, an expired certificate) and about a tenth of the providers
made to spike against their three previous months. Times `rules.scan` over the month, then checks that every
planted order was found and no clean one flagged, rule by rule. Printed beside its baseline from the same run:
a plain scan of the same orders (count and sum over the month) and one window pass over them.

    DATABASE_URL=postgresql://... .venv/bin/python -m bench.bench_audit_scan [--orders 150000]

Target (DESIGN.md, "Performance targets"): under 10 s on PostgreSQL."""
import argparse
import math
import random
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import func, insert, select, text

from eldercare import clock, create_app, sql
from eldercare.audit import rules
from eldercare.audit.findings import Finding
from eldercare.catalog.models import Category, Item
from eldercare.config import TestConfig
from eldercare.elders.models import Elder, ElderEvent
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.providers.models import Caregiver, Certificate, Provider
from eldercare.regions.models import Region
from tests.scratch import scratch_database

TARGET_S = 10.0
CITY = (32.45, 119.92)  # the centre; homes within about 10 km
SLOTS = ((8, 0), (14, 0))  # each caregiver's two visits a day, Beijing time
FAR_FUTURE_DAYS = 30


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), "bench_audit_scan") as uri:
        app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri}))
        with app.app_context():
            db.create_all()
            try:
                run(args.orders, random.Random(args.seed))  # nosec B311  a reproducible city
            finally:
                db.session.remove()
                db.engine.dispose()


def run(n: int, rng: random.Random) -> None:
    month = clock.this_month().previous()
    days = (month.next().first_day - month.first_day).days
    build_start = time.perf_counter()
    city = City(n, month, days, rng)
    planted = city.plant()
    city.write()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
    db.session.commit()
    print(f"built {len(city.orders):,} orders of {month} ({n:,} in the month), {len(city.caregivers):,} caregiver "
          f"registrations, {len(city.providers)} providers in {time.perf_counter() - build_start:.1f} s")

    start = time.perf_counter()
    report = rules.scan(month.first_day, month.last_day)
    db.session.commit()
    scanning = time.perf_counter() - start
    start = time.perf_counter()
    again = rules.scan(month.first_day, month.last_day)
    db.session.commit()
    rescanning = time.perf_counter() - start
    assert again.findings == 0, again

    found = defaultdict(set)
    for rule, order_id in db.session.execute(select(Finding.rule, Finding.order_id)):
        found[rule].add(order_id)
    baseline, window = baselines(month)
    dialect = db.engine.dialect.name
    print(f"{dialect}: scan of {month} ({n:,} visits, {report.findings:,} findings) in {scanning:.2f} s: "
          f"{'meets' if scanning <= TARGET_S else 'MISSES'} the {TARGET_S:.0f} s target; rescan {rescanning:.2f} s, "
          f"{again.findings} new")
    print(f"  baseline: a plain scan of the same orders (count, sum) {baseline:.3f} s, one window pass (lag per "
          f"caregiver) {window:.3f} s; ratio {scanning / baseline:.0f}x the plain scan, "
          f"{scanning / window:.1f}x the window pass (the scan runs 11 rules, several with window passes)")
    all_ok = True
    for rule in rules.RULES:
        want, got = planted[rule], found[rule]
        if rule == "spend_spike":  # one finding a provider: compare the providers
            providers = dict(db.session.execute(select(WorkOrder.id, WorkOrder.provider_id).where(
                WorkOrder.id.in_(got))).all()) if got else {}
            got = set(providers.values())
        hit, missed, clean = len(want & got), len(want - got), len(got - want)
        all_ok &= not missed and not clean
        unit = "providers" if rule == "spend_spike" else "orders"
        print(f"  {rule:20s} planted {len(want):6,} {unit:9s} found {hit:6,}  missed {missed:4,}  "
              f"clean ones flagged {clean:4,}")
    print("  all planted found, no clean one flagged" if all_ok else "  NOT all as planted: see above")


def baselines(month) -> tuple[float, float]:
    lo, hi = month.bounds()
    o = WorkOrder.__table__
    span = (o.c.check_in_at >= lo, o.c.check_in_at < hi)
    start = time.perf_counter()
    db.session.execute(select(func.count(), func.sum(o.c.voucher_fen)).where(*span)).one()
    plain = time.perf_counter() - start
    lagged = select(func.lag(o.c.check_out_at).over(partition_by=o.c.caregiver_id,
                                                    order_by=(o.c.check_in_at, o.c.id)).label("prev")).where(*span)
    start = time.perf_counter()
    db.session.execute(select(func.count()).select_from(lagged.subquery())).one()
    window = time.perf_counter() - start
    db.session.commit()
    return plain, window


def insert_plain(table, rows: list[dict]) -> None:
    """Rows with coordinates by a plain multi-row INSERT (sql.insert_rows sends a float column to PostgreSQL as
    text, which a double precision column refuses)."""
    for chunk in range(0, len(rows), 10_000):
        db.session.execute(insert(table), rows[chunk:chunk + 10_000])


def offset(lat: float, lng: float, metres_north: float, metres_east: float) -> tuple[float, float]:
    return lat + metres_north / 111_195, lng + metres_east / (111_195 * math.cos(math.radians(lat)))


class City:
    """The month's orders as rows, built in memory and written set-based; `plant` breaks some on purpose."""

    def __init__(self, n: int, month, days: int, rng: random.Random):
        self.n, self.month, self.days, self.rng = n, month, days, rng
        self.now = clock.now()
        self.district = Region(code="BD", name="基准区", level="district")
        db.session.add(self.district)
        db.session.flush()
        self.community = Region(code="BC", name="基准社区", level="community", parent_id=self.district.id)
        db.session.add(self.community)
        meal = Category(code="meal", name="助餐", name_en="Meals")
        cleaning = Category(code="cleaning", name="助洁", name_en="Cleaning")
        self.items = [Item(code=f"b.{k}", category=meal if k < 3 else cleaning, name=f"服务{k}",
                           name_en=f"Service {k}", price_fen=2000, unit="次", duration_minutes=30 if k < 3 else 60)
                      for k in range(6)]
        db.session.add_all([meal, cleaning, *self.items])
        self.providers = [Provider(name=f"基准服务商{p}", license_no=f"B{p:05d}", status="approved",
                                   district_id=self.district.id, base_lat=CITY[0], base_lng=CITY[1])
                          for p in range(max(4, n // 1200))]
        db.session.add_all(self.providers)
        db.session.flush()
        per_carer = days * len(SLOTS)
        self.caregivers = [dict(id=c + 1, provider_id=self.providers[c % len(self.providers)].id, name=f"护理员{c}",
                                phone=f"139{c:08d}", certificate=date(2099, 1, 1))
                           for c in range(math.ceil(n / per_carer))]
        self.elders = [self.elder() for _ in range(max(len(self.caregivers) + 1, n // 5))]
        self.events = []
        self.orders = []
        for i in range(n):
            c, k = divmod(i, per_carer)
            day, slot = divmod(k, len(SLOTS))
            elder = (c + day * 31 + slot * 17) % len(self.elders)
            item = self.items[self.rng.randrange(len(self.items))]
            self.orders.append(self.visit(i + 1, self.caregivers[c], elder, item, day, slot))
        self.history = []

    def elder(self) -> dict:
        lat, lng = offset(*CITY, self.rng.uniform(-9000, 9000), self.rng.uniform(-9000, 9000))
        return dict(lat=lat, lng=lng)

    def visit(self, order_id, carer, elder, item, day, slot) -> dict:
        home = self.elders[elder]
        start = clock.at_local(self.month.first_day + timedelta(days=day), clock_time(*SLOTS[slot]))
        at_home = offset(home["lat"], home["lng"], 30, 40)
        return dict(id=order_id, elder=elder, item=item, carer=carer, day=day, slot=slot, start=start,
                    check_in_at=start, check_out_at=start + timedelta(minutes=item.duration_minutes),
                    in_point=at_home, out_point=at_home, in_m=50, out_m=50, voucher_fen=1400,
                    confirmed_at=start + timedelta(hours=3))

    def plant(self) -> dict[str, set]:
        """Break 1% of the orders for each order-level rule (disjoint picks), and make some providers spike."""
        share = max(1, self.n // 100)
        pool = list(range(len(self.orders)))
        self.rng.shuffle(pool)
        used: set[int] = set()
        planted: dict[str, set] = {rule: set() for rule in rules.RULES}

        def take(want=lambda o: True):
            while pool:
                i = pool.pop()
                if i not in used and want(self.orders[i]):
                    used.add(i)
                    return self.orders[i]
            raise RuntimeError("ran out of orders to plant")

        by_slot = defaultdict(list)  # (day, slot): orders, for pairs at one time and distinct times
        for i, o in enumerate(self.orders):
            by_slot[o["day"], o["slot"]].append(i)
        by_carer_day = {(o["carer"]["id"], o["day"], o["slot"]): i for i, o in enumerate(self.orders)}

        # Certificates first: whole caregivers whose health certificate ran out before the month.
        carers = list(self.caregivers)
        self.rng.shuffle(carers)
        cert_carers = set()
        by_carer = defaultdict(list)
        for i, o in enumerate(self.orders):
            by_carer[o["carer"]["id"]].append(i)
        for carer in carers:
            if len(planted["certificate_expired"]) >= share:
                break
            carer["certificate"] = self.month.first_day - timedelta(days=1)
            cert_carers.add(carer["id"])
            for i in by_carer[carer["id"]]:
                o = self.orders[i]
                used.add(i)
                if o["item"].duration_minutes == 30:  # the meal items need a health certificate
                    planted["certificate_expired"].add(o["id"])

        for _ in range(share):
            planted["far_from_home"].add(self._set(take(), in_m=self.rng.randint(301, 2000)))
            o = take()
            o["check_out_at"] = o["check_in_at"] + timedelta(minutes=o["item"].duration_minutes / 2 - 1)
            planted["too_short"].add(o["id"])
            o = take(lambda o: o["slot"] == 1)  # the afternoon visit runs into the night
            o["check_out_at"] = o["check_in_at"] + timedelta(hours=17)
            planted["too_long"].add(o["id"])
            o = take()
            o["confirmed_at"] = self.now + timedelta(days=FAR_FUTURE_DAYS)
            planted["future_time"].add(o["id"])
            o = take()
            o["elder"] = self._own_elder()
            self.events.append(dict(elder=o["elder"], kind="death", on=self.month.first_day + timedelta(days=o["day"])))
            planted["after_death"].add(o["id"])
            o = take()
            o["elder"] = self._own_elder()
            self.events.append(dict(elder=o["elder"], kind="hospital_admission",
                                    on=self.month.first_day + timedelta(days=o["day"] - 2)))
            planted["in_hospital"].add(o["id"])
        # Travel: the morning visit checks out at 13:50 and the afternoon one checks in 30 km away at 14:00.
        while len(planted["impossible_travel"]) < share:
            o = take(lambda o: o["slot"] == 1)
            morning = by_carer_day.get((o["carer"]["id"], o["day"], 0))
            if morning is None or morning in used:
                continue
            used.add(morning)
            self.orders[morning]["check_out_at"] = o["check_in_at"] - timedelta(minutes=10)
            o["in_point"] = offset(*self.orders[morning]["out_point"], 0, 30_000)
            planted["impossible_travel"].add(o["id"])
        # Overlap: two visits at one time, the second's caregiver a registration of the first's person with
        # another provider (same phone).
        while len(planted["overlap"]) < share:
            o = take()
            other = next((i for i in by_slot[o["day"], o["slot"]] if i not in used
                          and self.orders[i]["carer"]["provider_id"] != o["carer"]["provider_id"]), None)
            if other is None:
                continue
            used.add(other)
            twin = dict(id=len(self.caregivers) + 1, provider_id=self.orders[other]["carer"]["provider_id"],
                        name=o["carer"]["name"], phone=o["carer"]["phone"], certificate=o["carer"]["certificate"])
            self.caregivers.append(twin)
            self.orders[other]["carer"] = twin
            planted["overlap"] |= {o["id"], self.orders[other]["id"]}
        # Booked too often: 20 visits of one item at 20 different times for one elder; the 11th on are findings.
        while len(planted["frequent_booking"]) < share:
            elder, item = self._own_elder(), self.items[0]
            group = []
            for ids in sorted(by_slot.values(), key=lambda _: self.rng.random()):
                i = next((i for i in ids if i not in used and self.orders[i]["item"] is item
                          and self.orders[i]["carer"]["id"] not in cert_carers), None)
                if i is not None:
                    used.add(i)
                    group.append(self.orders[i])
                if len(group) == 20:
                    break
            for o in group:
                o["elder"] = elder
            group.sort(key=lambda o: (o["check_in_at"], o["id"]))
            planted["frequent_booking"] |= {o["id"] for o in group[10:]}
        # Spend: each provider's three previous months as much as this one, a tenth of them a fifth of it.
        spend = defaultdict(int)
        for o in self.orders:
            spend[o["carer"]["provider_id"]] += o["voucher_fen"]
        spiking = set(self.rng.sample([p.id for p in self.providers], max(1, len(self.providers) // 10)))
        for p in self.providers:
            month = self.month
            for _ in range(3):
                month = month.previous()
                fen = spend[p.id] // 5 if p.id in spiking else spend[p.id]
                self.history.append((p.id, month, fen))
        planted["spend_spike"] = spiking
        return planted

    def _set(self, o, **changes) -> int:
        o.update(changes)
        return o["id"]

    def _own_elder(self) -> int:
        self.elders.append(self.elder())
        return len(self.elders) - 1

    def write(self) -> None:
        elders = [dict(id=e + 1, name=f"老人{e}", id_number=f"B{e:017d}", birth_date=date(1945, 1, 1), gender="F",
                       phone="13912345678", address="基准街1号", community_id=self.community.id, lat=h["lat"],
                       lng=h["lng"], hardship="none", lives_alone=False, emergency_contacts=[], status="active",
                       verification_pending=False, created_at=self.now) for e, h in enumerate(self.elders)]
        insert_plain(Elder.__table__, elders)
        # A Core insert: the phone is sealed and hashed (eldercare/sealed.py), which sql.insert_rows would not do.
        insert_plain(Caregiver.__table__, [dict(id=c["id"], provider_id=c["provider_id"], name=c["name"],
                                                phone=c["phone"], daily_limit=8, active=True, created_at=self.now)
                                           for c in self.caregivers])
        sql.insert_rows(Certificate.__table__, [dict(caregiver_id=c["id"], kind="health", level="A",
                                                     expires_on=c["certificate"]) for c in self.caregivers])
        sql.insert_rows(ElderEvent.__table__, [dict(elder_id=e["elder"] + 1, kind=e["kind"], occurred_on=e["on"],
                                                    created_at=self.now) for e in self.events])
        rows = [self.row(o) for o in self.orders]
        next_id = len(rows) + 1
        history_elder = self._own_elder()
        insert_plain(Elder.__table__, [dict(elders[0], id=history_elder + 1, id_number="BHISTORY", name="history")])
        carer_of = {}
        for c in self.caregivers:
            carer_of.setdefault(c["provider_id"], c)
        for n, (provider_id, month, fen) in enumerate(self.history):
            start = clock.at_local(month.first_day + timedelta(days=14), clock_time(10))
            o = dict(id=next_id + n, elder=history_elder, item=self.items[3], carer=carer_of[provider_id],
                     check_in_at=start, check_out_at=start + timedelta(hours=1), in_point=(CITY[0], CITY[1]),
                     out_point=(CITY[0], CITY[1]), in_m=0, out_m=0, voucher_fen=fen, confirmed_at=start,
                     start=start + timedelta(minutes=n))
            rows.append(self.row(o, status="settled"))
        insert_plain(WorkOrder.__table__, rows)
        if db.engine.dialect.name == "postgresql":
            for table in ("work_orders", "elders", "caregivers", "caregiver_certificates"):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # nosec B608
                                        f"(SELECT max(id) FROM {table}))"))

    def row(self, o, status="confirmed") -> dict:
        item = o["item"]
        return dict(id=o["id"], elder_id=o["elder"] + 1, item_id=item.id, status=status, scheduled_start=o["start"],
                    scheduled_end=o["start"] + timedelta(minutes=item.duration_minutes), quantity=1,
                    price_fen=o["voucher_fen"] + 600, voucher_fen=o["voucher_fen"], copay_fen=600, pay_with="voucher",
                    copay_paid_fen=0, copay_refunded_fen=0, provider_id=o["carer"]["provider_id"],
                    caregiver_id=o["carer"]["id"], ranking=[], check_in_at=o["check_in_at"],
                    check_in_lat=o["in_point"][0], check_in_lng=o["in_point"][1], check_in_distance_m=o["in_m"],
                    check_out_at=o["check_out_at"], check_out_lat=o["out_point"][0], check_out_lng=o["out_point"][1],
                    check_out_distance_m=o["out_m"], confirmed_at=o["confirmed_at"], auto_confirmed=False,
                    created_at=o["start"] - timedelta(days=2), actual_minutes=round(
                        (o["check_out_at"] - o["check_in_at"]).total_seconds() / 60))


if __name__ == "__main__":
    main()
