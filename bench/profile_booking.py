"""Bookings in process: the SQL statements and the CPU each costs, without a server between, for comparing two
commits' booking paths (run from either tree with its own PYTHONPATH).

Builds bench_booking's city (small by default), then sends its bookings through the Flask test client of an app
configured as the benchmark's server is (environment, not TestConfig), counting each booking's statements and
the CPU of this process (the app) and of PostgreSQL's backends; `--profile` prints cProfile's top functions
(CPU time), `--show` one booking's SQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test PYTHONPATH=$PWD/platform:$PWD \\
        .venv/bin/python -m bench.profile_booking --orders 600"""
import argparse
import cProfile
import json
import os
import pstats
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import event

from bench import bench_booking
from eldercare import create_app
from eldercare.config import Config
from eldercare.extensions import db
from tests.scratch import scratch_database


def postgres_cpu() -> float:
    return bench_booking.cpu_seconds(os.getpid())["postgres"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--elders", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=50, help="bookings sent first and not counted")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--show", action="store_true", help="print the SQL of one booking")
    parser.add_argument("--width", type=int, default=300, help="characters of each statement --show prints")
    parser.add_argument("--dump", help="also write the profile's stats to this file (pstats)")
    parser.add_argument("--sort", default="cumulative", help="cProfile's order (cumulative, tottime, ...)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), "profile_booking") as uri:
        bodies = Path(tmp) / "bookings.jsonl"
        token = bench_booking.prepare(uri, args.elders, args.orders, bodies)
        lines = [json.loads(line) for line in bodies.read_text(encoding="utf-8").splitlines()]
        app = create_app(type("ServerConfig", (Config,), dict(  # as bench_booking's gunicorn is configured
            SQLALCHEMY_DATABASE_URI=uri, SECRET_KEY="bench-secret", ELDERCARE_ENV="bench",
            AUDIT_KEY=getattr(bench_booking, "AUDIT_KEY", ""))))
        client = app.test_client()
        statements: list[str] = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute",
                         lambda conn, cursor, stmt, params, context, many: statements.append(stmt))
        counts, answers, shown = [], Counter(), False
        profiler = cProfile.Profile(time.process_time)
        headers = {"Authorization": f"Bearer {token}"}
        app_cpu = pg_cpu = 0.0
        for n, body in enumerate(lines):
            statements.clear()
            measured = n >= args.warmup
            p0 = postgres_cpu() if measured else 0  # read outside the profile and the timing
            if measured and args.profile:
                profiler.enable()
            t0 = time.process_time()
            r = client.post("/api/v1/orders", json=body, headers=headers)
            spent = time.process_time() - t0
            if measured and args.profile:
                profiler.disable()
            answers[r.status_code] += 1
            if not measured:
                continue
            app_cpu += spent
            pg_cpu += postgres_cpu() - p0
            counts.append(len(statements))
            if args.show and not shown and r.status_code == 201 and body.get("pay_with") == "voucher":
                shown = True
                print(f"--- one booking paid by vouchers: {len(statements)} statements")
                for s in statements:
                    print("   ", " ".join(s.split())[:args.width])
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    n = len(counts)
    print(f"{n} bookings measured (answers {dict(answers)}): statements per booking mean "
          f"{statistics.mean(counts):.1f} (min {min(counts)}, max {max(counts)}); CPU per booking: app "
          f"{app_cpu * 1000 / n:.2f} ms, PostgreSQL {pg_cpu * 1000 / n:.2f} ms")
    if args.profile:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(50)
        if args.dump:
            profiler.dump_stats(args.dump)


if __name__ == "__main__":
    main()
