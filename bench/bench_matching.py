"""Matching one order: in the demo city (127 providers, 2,000 caregivers), then with more cities of the same
density added until there are 5,000+ providers and 80,000 caregivers, so the output shows how the time grows
with the number of providers. Each size also times a primary-key lookup on the same connection: the ratio
says how many round trips' worth of work a match costs.

    .venv/bin/python -m bench.bench_matching [--samples 300]

Targets (DESIGN.md, issue 5): median < 5 ms for the demo city, < 20 ms at 5,000 providers, on PostgreSQL."""
import argparse
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from sqlalchemy import insert, select

from eldercare import create_app
from eldercare.catalog.models import Category, Item
from eldercare.clock import LOCAL
from eldercare.config import TestConfig
from eldercare.demo import seed
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.orders.matching import Need, rank
from eldercare.orders.models import WorkOrder
from eldercare.providers.models import (
    Availability,
    Caregiver,
    Certificate,
    Provider,
    caregiver_categories,
    provider_areas,
    provider_categories,
)
from eldercare.regions.models import Region
from tests.scratch import scratch_database

PROVIDERS_PER_CITY = 127
CAREGIVERS_PER_CITY = 2_000
ORDERS_PER_CAREGIVER = 3  # already booked that day: the reference city's 5,000+ orders a day
STREETS_PER_CITY = 12


def visit_day() -> date:
    today = datetime.now(LOCAL).date()
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)  # next Monday


def add_city(rng: random.Random, k: int, categories: dict[str, int], item_id: int, elder_id: int) -> None:
    """A synthetic city of the demo's density, placed on a grid across eastern China."""
    lat, lng = 28.0 + (k // 8) * 0.9, 114.0 + (k % 8) * 0.9
    (district,) = seed._insert(Region, [dict(code=f"B{k:03d}", name=f"城{k}", level="district", lat=lat, lng=lng)])
    streets = [dict(code=f"B{k:03d}{s:02d}", name=f"街道{s}", level="street", parent_id=district,
                    lat=lat + rng.uniform(-0.1, 0.1), lng=lng + rng.uniform(-0.1, 0.1))
               for s in range(STREETS_PER_CITY)]
    for row, new_id in zip(streets, seed._insert(Region, streets), strict=True):
        row["id"] = new_id
    providers = []
    for i in range(PROVIDERS_PER_CITY):
        home = rng.choice(streets)
        providers.append(dict(name=f"城{k}服务商{i}", license_no=f"B{k:03d}{i:05d}", status="approved",
                              district_id=district, base_lat=home["lat"] + rng.uniform(-0.01, 0.01),
                              base_lng=home["lng"] + rng.uniform(-0.01, 0.01),
                              service_radius_m=rng.choice((3000, 5000, 8000)),
                              areas={home["id"], *(s["id"] for s in rng.sample(streets, rng.randint(1, 3)))},
                              offered=[c for c, p in seed.CATEGORY_LIKELIHOOD.items() if rng.random() < p] or ["meal"]))
    ids = seed._insert(Provider, [{k2: v for k2, v in p.items() if k2 not in ("areas", "offered")} for p in providers])
    db.session.execute(insert(provider_areas), [dict(provider_id=pid, region_id=a)
                                                for p, pid in zip(providers, ids, strict=True) for a in p["areas"]])
    db.session.execute(insert(provider_categories), [
        dict(provider_id=pid, category_id=categories[c])
        for p, pid in zip(providers, ids, strict=True) for c in p["offered"]])
    team = [(pid, p) for p, pid in zip(providers, ids, strict=True)
            for _ in range(CAREGIVERS_PER_CITY // PROVIDERS_PER_CITY + (rng.random() < 0.75))]
    caregiver_ids = seed._insert(Caregiver, [dict(provider_id=pid, name="护理员", daily_limit=8) for pid, _ in team])
    skills, hours, certificates, orders = [], [], [], []
    day = visit_day()
    for cid, (pid, p) in zip(caregiver_ids, team, strict=True):
        skills += [dict(caregiver_id=cid, category_id=categories[c]) for c in rng.sample(p["offered"],
                                                                                         min(len(p["offered"]), 2))]
        hours += [dict(caregiver_id=cid, weekday=d, start_time=clock(8), end_time=clock(18)) for d in range(6)]
        certificates += [dict(caregiver_id=cid, kind=kind, level=None, expires_on=date(2030, 1, 1))
                         for kind in ("health", "elderly_care", "nurse")]
        for n in range(ORDERS_PER_CAREGIVER):
            start = datetime.combine(day, clock(8 + 3 * n), LOCAL) + timedelta(microseconds=cid)  # one per slot
            orders.append(dict(elder_id=elder_id, item_id=item_id, status="accepted", scheduled_start=start,
                               scheduled_end=start + timedelta(hours=1), provider_id=pid, caregiver_id=cid,
                               price_fen=1500, voucher_fen=0, copay_fen=1500, quantity=1, pay_with="self",
                               ranking=[]))
    for model, rows in ((caregiver_categories, skills), (Availability, hours), (Certificate, certificates),
                        (WorkOrder, orders)):
        db.session.execute(insert(model), rows)
    db.session.commit()


def time_matches(rng: random.Random, elders: list[Elder], items: list[Item], samples: int) -> list[float]:
    day = visit_day()
    timings = []
    for _ in range(samples):
        elder, item = rng.choice(elders), rng.choice(items)
        start = datetime.combine(day, clock(rng.randint(8, 16), rng.choice((0, 30))), LOCAL)
        t0 = time.perf_counter()
        rank(Need.build(elder, item, start, start + timedelta(minutes=item.duration_minutes)))
        timings.append((time.perf_counter() - t0) * 1000)
    return timings


def time_lookup(provider_id: int, samples: int) -> float:
    timings = []
    for _ in range(samples):
        t0 = time.perf_counter()
        db.session.execute(select(Provider.id).where(Provider.id == provider_id)).one()
        timings.append((time.perf_counter() - t0) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--cities", type=int, nargs="+", default=[0, 7, 39],
                        help="synthetic cities to have added at each measurement (cumulative)")
    args = parser.parse_args()
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), "bench_matching") as uri:
        app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri}))
        with app.app_context():
            db.create_all()
            seed.seed_demo(2_000)
            dialect = db.engine.dialect.name
            categories = dict(db.session.execute(select(Category.code, Category.id)).all())
            items = db.session.scalars(select(Item)).all()
            demo_elders = db.session.scalars(select(Elder).limit(500)).all()
            # The demo city's caregivers get the same load as the synthetic cities'.
            demo_orders = []
            day = visit_day()
            for cid, pid in db.session.execute(select(Caregiver.id, Caregiver.provider_id)):
                for n in range(ORDERS_PER_CAREGIVER):
                    start = datetime.combine(day, clock(8 + 3 * n), LOCAL) + timedelta(microseconds=cid)  # one per slot
                    demo_orders.append(dict(elder_id=demo_elders[0].id, item_id=items[0].id, status="accepted",
                                            scheduled_start=start, scheduled_end=start + timedelta(hours=1),
                                            provider_id=pid, caregiver_id=cid, price_fen=1500, voucher_fen=0,
                                            copay_fen=1500, quantity=1, pay_with="self", ranking=[]))
            db.session.execute(insert(WorkOrder), demo_orders)
            db.session.commit()
            if dialect == "postgresql":
                db.session.execute(db.text("ANALYZE"))
                db.session.commit()

            added, lines = 0, []
            for target in args.cities:
                while added < target:
                    add_city(rng, added, categories, items[0].id, demo_elders[0].id)
                    added += 1
                if dialect == "postgresql" and target:
                    db.session.execute(db.text("ANALYZE"))
                    db.session.commit()
                providers = db.session.scalar(select(db.func.count(Provider.id)))
                caregivers = db.session.scalar(select(db.func.count(Caregiver.id)))
                time_matches(rng, demo_elders, items, 20)  # warm the statement cache
                timings = time_matches(rng, demo_elders, items, args.samples)
                lookup = time_lookup(demo_elders[0].id, 200)
                median = statistics.median(timings)
                p90 = statistics.quantiles(timings, n=10)[-1]
                lines.append((providers, caregivers, median, p90, lookup))
                print(f"{dialect}: {providers:,} providers, {caregivers:,} caregivers: match median {median:.2f} ms, "
                      f"p90 {p90:.2f} ms; primary-key lookup {lookup:.3f} ms; ratio {median / lookup:.1f}x",
                      flush=True)
            db.session.remove()
            db.engine.dispose()
    base = lines[0]
    for providers, _, median, _, _ in lines[1:]:
        print(f"growth: {providers / base[0]:.0f}x the providers -> {median / base[2]:.2f}x the median time")


if __name__ == "__main__":
    main()
