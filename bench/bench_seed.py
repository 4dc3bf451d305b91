"""Seeding the demo city: `flask seed-demo` (bulk INSERTs) against a baseline of the same elders added as ORM
objects one by one, in the same run and on the same database (SQLite, or PostgreSQL when DATABASE_URL is set).

    .venv/bin/python -m bench.bench_seed [--elders 20000]

The issue's budget is 20,000 elders, with the whole city around them, in under a minute."""
import argparse
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete

from eldercare import create_app
from eldercare.config import TestConfig
from eldercare.demo import seed
from eldercare.elders.models import Assessment, Elder, FamilyLink
from eldercare.extensions import db
from eldercare.regions.models import Region
from tests.scratch import scratch_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=seed.DEFAULT_ELDERS)
    n = parser.parse_args().elders
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), "bench_seed") as uri:
        app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri}))
        with app.app_context():
            db.create_all()
            start = time.perf_counter()
            seed.seed_demo(n)
            bulk = time.perf_counter() - start

            # Baseline: the same number of elders, drawn the same way, written through the ORM's unit of work.
            db.session.execute(delete(FamilyLink))
            db.session.execute(delete(Assessment))
            db.session.execute(delete(Elder))
            db.session.commit()
            regions = [{c.name: getattr(r, c.name) for c in Region.__table__.columns} for r in db.session.scalars(
                db.select(Region))]
            by_id = {r["id"]: r for r in regions}
            communities = [r for r in regions if r["level"] == "community"]
            rng, taken = random.Random(seed.SEED), set()
            start = time.perf_counter()
            for i in range(n):
                row, _ = seed._elder(rng, communities[i % len(communities)], by_id, taken)
                db.session.add(Elder(**row))
                if i % seed.BATCH == seed.BATCH - 1:
                    db.session.commit()
            db.session.commit()
            orm = time.perf_counter() - start
            dialect = db.engine.dialect.name
            db.session.remove()
            db.engine.dispose()
    print(f"{dialect}: seed-demo --elders {n}: whole city {bulk:.1f} s "
          f"(budget 60 s); elders alone through the ORM {orm:.1f} s; ratio city/ORM-elders {bulk / orm:.2f}")


if __name__ == "__main__":
    main()
