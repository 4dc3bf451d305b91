"""Issuing a month's vouchers to the reference city: 357,000 elders (all made eligible; their accounts opened
at registration, as the seed does), on the demo city's districts with a policy each. Printed with the time for a
plain bulk insert of the same number of rows, in the same run and database, so the ratio shows how close
issuance comes to the database's own limit.

    .venv/bin/python -m bench.bench_issuance [--elders 357000]

Target (DESIGN.md, issue 4): under 20 s on PostgreSQL."""
import argparse
import time

from sqlalchemy import delete, insert, select

from eldercare.clock import Month
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.vouchers import ledger
from eldercare.vouchers.issuance import issue_period
from eldercare.vouchers.models import LedgerTransaction

from .voucher_city import in_month, voucher_city

PERIOD = "2026-12"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=357_000)
    n = parser.parse_args().elders
    with voucher_city(n, "bench_issuance"), in_month(PERIOD):
        start = time.perf_counter()
        report = issue_period(Month.parse(PERIOD))
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
    print(f"{dialect}: issue {PERIOD} to {n:,} elders in {issuing:.1f} s (budget 20 s); plain bulk insert of "
          f"{n:,} rows {plain:.1f} s; ratio {issuing / plain:.1f}x (issuance writes a grant and a ledger entry per "
          f"elder, moves each balance, and checks idempotency)")


if __name__ == "__main__":
    main()
