"""The anomaly scan over a month of visits: N orders (150,000 by default, the reference city's month) checked in
last month: four fifths home visits by caregivers who work two visits a day, for elders who each book one or two
items a few times a month, and one fifth lunches at the counters of the providers' canteens, each canteen elder
eating at one canteen on 8 to 22 days. 1% of N are planted to break each order-level rule (overlap across
providers by one phone, far from home, too short, too long, after a death, in hospital, impossible travel, a
future time, booked too often, an expired certificate, one lunch at two canteens) and about a tenth of the
providers made to spike against their three previous months. Booked too often is planted from the rule's own
limit in this city (FREQUENT_FACTOR times the other elders' mean for the item, at least FREQUENT_MIN): each
planted elder has twice the limit, and the visits past the limit are the planted findings. Times `rules.scan`
over the month, then checks that every planted order was found and no clean one flagged, rule by rule (exit
status 1 if not). Printed beside its baseline from the same run: a plain scan of the same orders (count and sum
over the month) and one window pass over them.

    DATABASE_URL=postgresql://... .venv/bin/python -m bench.bench_audit_scan [--orders 150000]

Target (DESIGN.md, "Performance targets"): under 10 s on PostgreSQL."""
import argparse
import math
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
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
from eldercare.servicepoints.models import CheckIn, ServicePoint
from tests.scratch import scratch_database

TARGET_S = 10.0
CITY = (32.45, 119.92)  # the centre; homes within about 10 km
SLOTS = ((8, 0), (14, 0))  # each caregiver's two visits a day, Beijing time
FAR_FUTURE_DAYS = 30
VISITS_A_MONTH = (1, 8)  # an elder's visits in the month, fewest and most
CANTEEN_SHARE = 5  # a fifth of the month's orders are lunches at the canteens' counters ...
LUNCHES_A_MONTH = (8, 22)  # ... each canteen elder's, at one canteen, on this many days
MEAL_VOUCHER_FEN = 840


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
                as_planted = run(args.orders, random.Random(args.seed))  # nosec B311  a reproducible city
            finally:
                db.session.remove()
                db.engine.dispose()
    if not as_planted:
        sys.exit(1)


def run(n: int, rng: random.Random) -> bool:
    """Build, plant and scan the month; whether every planted order was found and no clean one flagged."""
    month = clock.this_month().previous()
    days = (month.next().first_day - month.first_day).days
    build_start = time.perf_counter()
    city = City(n, month, days, rng)
    planted = city.plant()
    city.write()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
    db.session.commit()
    print(f"built {len(city.orders) + len(city.meals):,} orders of {month} ({len(city.orders):,} home visits, "
          f"{len(city.meals):,} canteen lunches), {len(city.caregivers):,} caregiver registrations, "
          f"{len(city.providers)} providers and canteens in {time.perf_counter() - build_start:.1f} s")

    start = time.perf_counter()
    report = rules.scan(month.first_day, month.last_day)
    db.session.commit()
    scanning = time.perf_counter() - start
    start = time.perf_counter()
    again = rules.scan(month.first_day, month.last_day)
    db.session.commit()
    rescanning = time.perf_counter() - start
    assert again.findings == 0, again
    span = rules.Span(month.first_day, month.last_day, clock.now())
    took = {}  # each rule's query alone, as the scan runs it, for where the time goes
    for rule, query in rules.RULE_QUERIES.items():
        start = time.perf_counter()
        query(span)
        took[rule] = time.perf_counter() - start
    db.session.commit()

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
          f"{scanning / window:.1f}x the window pass (the scan runs {len(rules.RULES)} rules, several with window "
          f"passes)")
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
              f"clean ones flagged {clean:4,}  (its query alone {took[rule]:.2f} s)")
    print("  all planted found, no clean one flagged" if all_ok else "  NOT all as planted: see above")
    return all_ok


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


def frequent_limits(orders):
    """The frequent_booking rule's limit as it will compute it over `orders` (no visits in the months before,
    so the usual count is the other elders' mean for the item): the limit per item for an elder not yet
    booking it, and a function giving it for one elder and item."""
    counts = Counter((o["elder"], o["item"].id) for o in orders)
    total, pairs = Counter(), Counter()
    for (_elder, item_id), count in counts.items():
        total[item_id] += count
        pairs[item_id] += 1

    def limit(usual):
        return max(usual * rules.FREQUENT_FACTOR, rules.FREQUENT_MIN)

    def limit_of(elder, item_id):
        others = pairs[item_id] - 1
        return limit((total[item_id] - counts[elder, item_id]) / others if others else 0.0)

    return {item_id: limit(total[item_id] / pairs[item_id]) for item_id in pairs}, limit_of


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
        home = n - n // CANTEEN_SHARE  # the home visits; the rest are lunches at a canteen's counter
        per_carer = days * len(SLOTS)
        self.caregivers = [dict(id=c + 1, provider_id=self.providers[c % len(self.providers)].id, name=f"护理员{c}",
                                phone=f"139{c:08d}", certificate=date(2099, 1, 1))
                           for c in range(math.ceil(home / per_carer))]
        # The month's bookings as a city makes them: each elder uses one or two of the items (a habit) a few
        # times a month (VISITS_A_MONTH), so that an elder's usual count of an item is a few, as the
        # frequent_booking rule expects of a real city; the bookings fall into the caregivers' slots in random
        # order.
        self.elders, bookings = [], []
        while len(bookings) < home:
            elder = len(self.elders)
            self.elders.append(self.elder())
            habit = self.rng.sample(self.items, self.rng.randint(1, 2))
            bookings += [(elder, self.rng.choice(habit)) for _ in range(self.rng.randint(*VISITS_A_MONTH))]
        del bookings[home:]
        self.rng.shuffle(bookings)
        taken = set()  # (elder, the visit's place in the caregivers' days): no elder has two visits at once
        for i in range(home):
            while (bookings[i][0], i % per_carer) in taken:
                if i + 1 == home:  # the last one: a new elder's single visit
                    self.elders.append(self.elder())
                    bookings[i] = (len(self.elders) - 1, bookings[i][1])
                    break
                j = self.rng.randrange(i + 1, home)
                bookings[i], bookings[j] = bookings[j], bookings[i]
            taken.add((bookings[i][0], i % per_carer))
        self.events = []
        self.orders = []
        for i, (elder, item) in enumerate(bookings):
            c, k = divmod(i, per_carer)
            day, slot = divmod(k, len(SLOTS))
            self.orders.append(self.visit(i + 1, self.caregivers[c], elder, item, day, slot))
        self.canteens()
        self.history = []

    def canteens(self) -> None:
        """A canteen for each provider, serving a lunch item of its own; some of the elders each eat lunch at
        one canteen on a number of days of the month (LUNCHES_A_MONTH), 11:00 to 12:30, recorded at the
        counter (a completed order at the point and its check-in row), until the month has n // CANTEEN_SHARE
        lunches."""
        meal = self.items[0].category
        self.lunch = Item(code="b.lunch", category=meal, name="堂食午餐", name_en="Canteen lunch", price_fen=1200,
                          unit="份", duration_minutes=30)
        self.points = [ServicePoint(provider_id=p.id, name=f"基准食堂{k}", kind="canteen",
                                    community_id=self.community.id, lat=p.base_lat, lng=p.base_lng, hours=[],
                                    daily_capacity=1000, status="approved") for k, p in enumerate(self.providers)]
        db.session.add_all([self.lunch, *self.points])
        db.session.flush()
        self.meals = []
        want, next_id = self.n // CANTEEN_SHARE, len(self.orders) + 1
        diners = iter(self.rng.sample(range(len(self.elders)), len(self.elders)))
        while len(self.meals) < want:
            elder, where = next(diners), self.rng.choice(self.points)
            days = self.rng.sample(range(self.days), min(self.days, self.rng.randint(*LUNCHES_A_MONTH)))
            for day in days[:want - len(self.meals)]:
                self.meals.append(self.meal(next_id, elder, where, day, self.rng.randint(0, 90)))
                next_id += 1

    def meal(self, order_id, elder, where, day, minutes_after_eleven) -> dict:
        served_on = self.month.first_day + timedelta(days=day)
        at = clock.at_local(served_on, clock_time(11)) + timedelta(minutes=minutes_after_eleven)
        return dict(id=order_id, elder=elder, item=self.lunch, point=where, served_on=served_on, at=at)

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
        # Booked too often: one elder given twice the rule's limit of visits of one item at distinct times, the
        # limit as the clean city makes it (FREQUENT_FACTOR times the usual count per elder, at least
        # FREQUENT_MIN); the items take turns. Which visits are findings is settled from the city as planted.
        groups, expected, turn = [], 0, 0
        clean_limits, _limit_of = frequent_limits(self.orders)
        while expected < share:
            item, turn = self.items[turn % len(self.items)], turn + 1
            limit = math.floor(clean_limits[item.id])
            elder, group = self._own_elder(), []
            for ids in sorted(by_slot.values(), key=lambda _: self.rng.random()):
                i = next((i for i in ids if i not in used and self.orders[i]["item"] is item
                          and self.orders[i]["carer"]["id"] not in cert_carers), None)
                if i is not None:
                    used.add(i)
                    group.append(self.orders[i])
                if len(group) == 2 * limit:
                    break
            for o in group:
                o["elder"] = elder
            groups.append((elder, item, group))
            expected += len(group) - limit
        _usual, limit_of = frequent_limits(self.orders + self.meals)
        counts = Counter((o["elder"], o["item"].id) for o in self.orders + self.meals)
        for elder, item, group in groups:
            group.sort(key=lambda o: (o["check_in_at"], o["id"]))
            limit = limit_of(elder, item.id)
            if len(group) < 1.5 * limit:
                raise RuntimeError(f"a planted group of {len(group)} visits is not clearly over the limit {limit}")
            planted["frequent_booking"] |= {o["id"] for rank, o in enumerate(group, 1) if rank > limit}
        planted_pairs = {(elder, item.id) for elder, item, _group in groups}
        over = [pair for pair, count in counts.items() if pair not in planted_pairs and count > limit_of(*pair)]
        if over:
            raise RuntimeError(f"the clean city books too often by itself: {over[:5]}")
        # One lunch at two canteens: of two elders eating at different canteens on one day, the second's lunch
        # becomes the first's; both of the first's lunches that day are findings.
        by_day = defaultdict(list)
        for m in self.meals:
            by_day[m["served_on"]].append(m)
        meal_used = set()
        while len(planted["meal_at_two_points"]) < share:
            m = self.rng.choice(self.meals)
            other = next((o for o in self.rng.sample(by_day[m["served_on"]], min(50, len(by_day[m["served_on"]])))
                          if o["point"] is not m["point"] and o["id"] not in meal_used), None)
            if m["id"] in meal_used or other is None or other["at"] == m["at"]:
                continue
            meal_used |= {m["id"], other["id"]}
            other["elder"] = m["elder"]
            planted["meal_at_two_points"] |= {m["id"], other["id"]}
        # Spend: each provider's three previous months as much as this one, a tenth of them a fifth of it.
        spend = defaultdict(int)
        for o in self.orders:
            spend[o["carer"]["provider_id"]] += o["voucher_fen"]
        for m in self.meals:
            spend[m["point"].provider_id] += MEAL_VOUCHER_FEN
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
        next_id = len(rows) + len(self.meals) + 1
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
        insert_plain(WorkOrder.__table__, [self.meal_row(m) for m in self.meals])
        sql.insert_rows(CheckIn.__table__, [dict(order_id=m["id"], service_point_id=m["point"].id,
                                                 elder_id=m["elder"] + 1, item_id=self.lunch.id,
                                                 served_on=m["served_on"], slot="lunch", subsidised=True, at=m["at"])
                                            for m in self.meals])
        if db.engine.dialect.name == "postgresql":
            for table in ("work_orders", "elders", "caregivers", "caregiver_certificates", "service_point_check_ins"):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # nosec B608
                                        f"(SELECT max(id) FROM {table}))"))

    def meal_row(self, m) -> dict:
        """A lunch as the counter writes it: completed at once at the point, then confirmed."""
        where = m["point"]
        return dict(id=m["id"], elder_id=m["elder"] + 1, item_id=self.lunch.id, status="confirmed",
                    scheduled_start=m["at"], scheduled_end=m["at"], quantity=1, price_fen=1200,
                    voucher_fen=MEAL_VOUCHER_FEN, copay_fen=1200 - MEAL_VOUCHER_FEN, pay_with="voucher",
                    copay_paid_fen=1200 - MEAL_VOUCHER_FEN, copay_refunded_fen=0, provider_id=where.provider_id,
                    service_point_id=where.id, ranking=[], check_in_at=m["at"], check_in_lat=where.lat,
                    check_in_lng=where.lng, check_out_at=m["at"], check_out_lat=where.lat, check_out_lng=where.lng,
                    actual_minutes=0, confirmed_at=m["at"] + timedelta(hours=3), auto_confirmed=False,
                    created_at=m["at"])

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
