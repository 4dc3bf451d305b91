"""The month's turn for the reference city: 357,000 elders each holding November's vouchers under policies
that carry nothing over, so turning to December lapses every elder's November money and issues December's (the
worst case: a lapse and a grant for every elder), timed as the scheduler runs it: `lapse_period` then
`issue_period`. Printed beside its baseline from the same run and database: COPY of the very rows the turn
wrote (December's grants, ledger transactions and entries) into the same tables, so the ratio says how close
the turn comes to the fastest way PostgreSQL takes those rows.

    DATABASE_URL=postgresql://... .venv/bin/python -m bench.bench_month_turn [--elders 357000]

Target (DESIGN.md, "Performance targets"): under 20 s on PostgreSQL."""
import argparse
import time

from sqlalchemy import func, select, update

from eldercare.clock import Month
from eldercare.extensions import db
from eldercare.vouchers import ledger
from eldercare.vouchers.issuance import issue_period, lapse_period
from eldercare.vouchers.models import LedgerEntry, LedgerTransaction, VoucherGrant, VoucherPolicy

from .voucher_city import analyze, in_month, voucher_city

BEFORE, PERIOD = "2026-11", "2026-12"
TARGET_S = 20.0
# What the turn wrote, in the order COPY puts it back (a transaction before its entries).
WRITTEN = {
    "voucher_grants": "SELECT * FROM voucher_grants WHERE period = '{p}'",
    "ledger_transactions": "SELECT * FROM ledger_transactions WHERE period = '{p}'",
    "ledger_entries": "SELECT e.* FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id "
                      "WHERE t.period = '{p}'",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=357_000)
    n = parser.parse_args().elders
    with voucher_city(n, "bench_month_turn"):
        db.session.execute(update(VoucherPolicy).values(carry_over_months=0))
        db.session.commit()
        with in_month(BEFORE):
            before = issue_period(Month.parse(BEFORE))
        assert before.issued + before.already == n, before  # the seed issued some of November already
        november = db.session.scalar(select(func.sum(VoucherGrant.amount_fen)).where(VoucherGrant.period == BEFORE))
        analyze()

        with in_month(PERIOD):
            start = time.perf_counter()
            lapsed = lapse_period(Month.parse(PERIOD))
            lapsing = time.perf_counter() - start
            report = issue_period(Month.parse(PERIOD))
            turn = time.perf_counter() - start
        assert lapsed == november, (lapsed, november)
        assert report.issued == n, report
        check = ledger.check()
        assert check.ok, check
        lapses = db.session.scalar(select(func.count(LedgerEntry.id)).join(LedgerTransaction).where(
            LedgerTransaction.kind == "lapse", LedgerEntry.amount_fen < 0))
        assert lapses == n, lapses  # every elder's November lapsed (a movement per batch, an entry per elder)
        dialect = db.engine.dialect.name
        copied, rows = copy_back(PERIOD) if dialect == "postgresql" else (None, {})
    print(f"{dialect}: the month's turn to {PERIOD} for {n:,} elders in {turn:.1f} s (lapse {lapsing:.1f} s, "
          f"issue {turn - lapsing:.1f} s): {'meets' if turn <= TARGET_S else 'MISSES'} the {TARGET_S:.0f} s target")
    if copied is not None:
        print(f"  baseline: COPY of the same rows ({', '.join(f'{t} {c:,}' for t, c in rows.items())}) into the "
              f"same tables {copied:.1f} s; ratio {turn / copied:.1f}x (the turn also reads the balances and "
              f"grants, checks each key once, and moves every balance)")


def copy_back(period: str) -> tuple[float, dict[str, int]]:
    """Take out the rows the turn wrote and time putting them back with COPY, in one transaction."""
    db.session.commit()
    raw = db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        data, rows = {}, {}
        with conn.cursor() as cur:
            for table, query in WRITTEN.items():
                with cur.copy(f"COPY ({query.format(p=period)}) TO STDOUT") as copy:
                    data[table] = b"".join(bytes(block) for block in copy)
                rows[table] = data[table].count(b"\n")
            for table in reversed(WRITTEN):  # entries before their transactions
                where = WRITTEN[table].format(p=period).split(" WHERE ", 1)[1]
                if table == "ledger_entries":
                    cur.execute(f"DELETE FROM ledger_entries e USING ledger_transactions t "
                                f"WHERE t.id = e.transaction_id AND {where}")
                else:
                    cur.execute(f"DELETE FROM {table} WHERE {where}")
        conn.commit()
        conn.autocommit = True  # VACUUM: the COPY writes into tables as clean as the turn found them
        with conn.cursor() as cur:
            for table in WRITTEN:
                cur.execute(f"VACUUM ANALYZE {table}")
        conn.autocommit = False
        start = time.perf_counter()
        with conn.cursor() as cur:
            for table in WRITTEN:
                with cur.copy(f"COPY {table} FROM STDIN") as copy:
                    copy.write(data[table])
        conn.commit()
        return time.perf_counter() - start, rows
    finally:
        raw.close()


if __name__ == "__main__":
    main()
