"""The 15-minute circle's coverage for the reference city: 357,000 elders in the demo city's communities, its 127
providers and 127 approved canteens, computed for the whole city and for each district. Printed beside the time
of one plain scan of the elders (counting them by community), in the same run and database, so the ratio shows
what finding every (elder, place) pair within 1.5 km costs over reading the elders once; and the number of
statements each map takes.

    .venv/bin/python -m bench.bench_coverage [--elders 357000] [--points 127]

On PostgreSQL when DATABASE_URL names one (the figure that counts), else SQLite."""
import argparse
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import event, func, insert, select

from eldercare import create_app
from eldercare.config import TestConfig
from eldercare.coverage import services
from eldercare.demo import seed
from eldercare.demo.regions import jitter
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.providers.models import Provider
from eldercare.regions.models import Region
from eldercare.servicepoints.models import ServicePoint
from tests.scratch import scratch_database

from .voucher_city import analyze

BATCH = 10_000


def build_city(n: int, n_points: int) -> None:
    """The demo city's regions and providers, `n` elders spread over the communities around their centres as the
    demo spreads them, and `n_points` approved canteens in communities drawn at random."""
    rng = random.Random(17)
    regions = seed._seed_regions(random.Random(f"{seed.SEED}-regions"))
    categories = seed._seed_catalog()
    seed._seed_providers(random.Random(f"{seed.SEED}-providers"), regions, categories)
    communities = [r for r in regions if r["level"] == "community"]
    for start in range(0, n, BATCH):
        rows = []
        for i in range(start, min(start + BATCH, n)):
            c = rng.choice(communities)
            lat, lng = jitter(rng, c["lat"], c["lng"], 0.8)
            rows.append(dict(name=f"老人{i}", id_number=f"{i:018d}", birth_date=date(1950, 1, 1), gender="F",
                             address="泰州市", community_id=c["id"], lat=lat, lng=lng, status="active"))
        db.session.execute(insert(Elder.__table__), rows)
    providers = list(db.session.scalars(select(Provider.id)))
    for k in range(n_points):
        c = rng.choice(communities)
        lat, lng = jitter(rng, c["lat"], c["lng"], 0.5)
        db.session.add(ServicePoint(provider_id=rng.choice(providers), name=f"{c['name']}老年食堂{k}", kind="canteen",
                                    community_id=c["id"], lat=lat, lng=lng, hours=[], daily_capacity=200,
                                    status="approved"))
    db.session.commit()
    analyze()


def timed(fn, repeat: int) -> tuple[float, object, int]:
    """The median time of `repeat` calls, the last answer, and the statements one call ran."""
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    times, answer = [], None
    for r in range(repeat):
        if r == repeat - 1:
            event.listen(db.engine, "before_cursor_execute", listener)
        start = time.perf_counter()
        answer = fn()
        times.append(time.perf_counter() - start)
        db.session.rollback()
    event.remove(db.engine, "before_cursor_execute", listener)
    return statistics.median(times), answer, len(statements)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=357_000)
    parser.add_argument("--points", type=int, default=127)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), "bench_coverage") as uri:
        app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri}))
        with app.app_context():
            db.create_all()
            start = time.perf_counter()
            build_city(args.elders, args.points)
            built = time.perf_counter() - start
            dialect = db.engine.dialect.name
            scan, _, _ = timed(lambda: db.session.execute(
                select(Elder.community_id, func.count()).group_by(Elder.community_id)).all(), args.repeat)
            city, cov, statements = timed(lambda: services.coverage(None), args.repeat)
            districts = list(db.session.scalars(select(Region.id).where(Region.level == "district")))
            per_district = [timed(lambda d=d: services.coverage(d), args.repeat)[0] for d in districts]
            providers = sum(not p.is_point for p in cov.places)
            print(f"{dialect}: city of {args.elders:,} elders, {providers} providers and {args.points} canteens "
                  f"built in {built:.1f} s")
            print(f"  whole city: {city * 1000:.0f} ms in {statements} statements ({len(cov.communities)} "
                  f"communities, {cov.elders - cov.uncovered:,} elders in reach, {cov.uncovered:,} not; "
                  f"{len(cov.with_status('none'))} communities with nothing in reach)")
            print(f"  one district: median {statistics.median(per_district) * 1000:.0f} ms, slowest "
                  f"{max(per_district) * 1000:.0f} ms ({len(districts)} districts)")
            print(f"  baseline, one scan of the elders grouped by community: {scan * 1000:.0f} ms; "
                  f"ratio {city / scan:.1f}x")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
