"""Issuing a month's vouchers to the reference city: 357,000 elders (all made eligible; their accounts opened
at registration, as the seed does), on the demo city's districts with a policy each. Printed with the time for a
plain bulk insert of the same number of rows, in the same run and database, so the ratio shows how close
issuance comes to the database's own limit.

    .venv/bin/python -m bench.bench_issuance [--elders 357000]

Target (DESIGN.md, issue 4): under 20 s on PostgreSQL."""
import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import delete, insert, select, update

from eldercare import create_app
from eldercare.catalog.models import Category
from eldercare.clock import Month
from eldercare.config import TestConfig
from eldercare.demo import seed
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.regions.models import Region
from eldercare.vouchers import ledger
from eldercare.vouchers.models import LedgerTransaction, VoucherPolicy, VoucherTier
from tests.scratch import scratch_database
from tests.vouchers.issuing import issue

# Next month, on its 1st (only the current month can be issued): the seed has issued this one.
MONTH = Month.current().next()
PERIOD = str(MONTH)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=357_000)
    n = parser.parse_args().elders
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), "bench_issuance") as uri:
        app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri}))
        with app.app_context():
            db.create_all()
            seed.seed_demo(n)
            # Everyone assessed and alive, so that all n are issued (the worst case for time).
            db.session.execute(update(Elder).values(care_level="moderate", status="active"))
            meal = db.session.scalar(select(Category).where(Category.code == "meal"))
            for district_id in db.session.scalars(select(Region.id).where(Region.level == "district")):
                db.session.add(VoucherPolicy(
                    region_id=district_id, name="bench", valid_from=date(2026, 1, 1), categories=[meal],
                    tiers=[VoucherTier(care_level="moderate", hardship="any", monthly_fen=30000, copay_percent=30)]))
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                db.session.execute(db.text("ANALYZE"))
                db.session.commit()

            start = time.perf_counter()
            report = issue(MONTH)
            issuing = time.perf_counter() - start
            assert report.issued == n, report
            check = ledger.check()
            assert check.ok, check

            # Baseline: the same number of transaction rows, inserted plainly in batches of the same size.
            db.session.execute(delete(LedgerTransaction).where(LedgerTransaction.kind == "bench"))
            elder_ids = list(db.session.scalars(select(Elder.id)))
            start = time.perf_counter()
            for begin in range(0, n, 5000):
                db.session.execute(insert(LedgerTransaction.__table__), [
                    dict(kind="bench", key=f"bench:{e}", period=PERIOD, elder_id=e, amount_fen=30000)
                    for e in elder_ids[begin:begin + 5000]])
                db.session.commit()
            plain = time.perf_counter() - start
            dialect = db.engine.dialect.name
            db.session.remove()
            db.engine.dispose()
    print(f"{dialect}: issue {PERIOD} to {n:,} elders in {issuing:.1f} s (budget 20 s); plain bulk insert of "
          f"{n:,} rows {plain:.1f} s; ratio {issuing / plain:.1f}x (issuance writes a grant and a ledger entry per "
          f"elder, moves each balance, and checks idempotency)")


if __name__ == "__main__":
    main()
