"""Importing the civil-affairs hardship roster: 100,000 rows through `import_roster` (chunked lookups, one
executemany, bulk audit rows) against a baseline measured in the same run on the same database: the plain
ORM way, one SELECT and one object per row, timed on a slice and scaled to the whole file.

    .venv/bin/python -m bench.bench_hardship_import [--rows 100000]

Issue 3's budget: 100,000 rows in under 30 s on PostgreSQL."""
import argparse
import io
import random
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select

from eldercare import create_app
from eldercare.config import TestConfig
from eldercare.demo import seed
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.hardship.importer import import_roster
from eldercare.sealed import ID_NUMBER, lookup
from tests.scratch import scratch_database

STATUSES = ("none", "low_income", "dibao", "tekun")
BASELINE_ROWS = 3_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    n = parser.parse_args().rows
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), "bench_hardship") as uri:
        app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri}))
        with app.app_context():
            db.create_all()
            seed.seed_demo(n)
            people = db.session.execute(select(Elder.id_number, Elder.hardship, Elder.hardship_since)).all()
            lines = ["id_number,status,effective_date"]
            for p in people:
                if rng.random() < 0.3:  # a third of the roster changed since the last import
                    lines.append(f"{p.id_number},{rng.choice(STATUSES)},2026-{rng.randint(1, 10):02d}-01")
                else:
                    lines.append(f"{p.id_number},{p.hardship},{(p.hardship_since or date(2026, 1, 1)).isoformat()}")
            text = "\n".join(lines) + "\n"

            start = time.perf_counter()
            report = import_roster(io.StringIO(text, newline=""), source="名册导入 bench.csv")
            db.session.commit()
            fast = time.perf_counter() - start

            # Baseline: the ORM one row at a time, on a slice, with the same kind of changes.
            start = time.perf_counter()
            for line in lines[1:BASELINE_ROWS + 1]:
                number, status, since = line.split(",")
                elder = db.session.scalar(select(Elder).where(Elder.id_number_hash == lookup(ID_NUMBER, number)))
                elder.hardship, elder.hardship_since = status, date.fromisoformat(since)
            db.session.commit()
            per_row = (time.perf_counter() - start) / BASELINE_ROWS
            dialect = db.engine.dialect.name
            db.session.remove()
            db.engine.dispose()
    naive = per_row * n
    print(f"{dialect}: import {n:,} rows in {fast:.1f} s ({n / fast:,.0f} rows/s, budget 30 s): "
          f"{report.updated:,} updated, {report.unchanged:,} unchanged, {len(report.rejected)} rejected; "
          f"naive ORM per row {per_row * 1000:.2f} ms = {naive:.0f} s for the file; speed-up {naive / fast:.1f}x")


if __name__ == "__main__":
    main()
