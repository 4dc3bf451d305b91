"""One check-in at the counter, in process: the SQL statements and the CPU it costs, without a server between.

Builds bench_lunchtime's city (small by default), then sends its check-ins through the Flask test client with
each point's staff token, counting the statements each one runs (a before_cursor_execute listener) and the
process CPU it takes; `--profile` prints cProfile's top functions over them, `--show` one check-in's SQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test PYTHONPATH=$PWD/platform:$PWD \\
        .venv/bin/python -m bench.profile_checkin --checkins 300"""
import argparse
import cProfile
import json
import pstats
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import event

from bench.bench_lunchtime import config, prepare
from eldercare import create_app
from eldercare.extensions import db
from tests.scratch import scratch_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkins", type=int, default=300)
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--elders", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=20, help="check-ins sent first and not counted")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--show", action="store_true", help="print the SQL of one check-in")
    parser.add_argument("--sort", default="cumulative", help="cProfile's order (cumulative, tottime, ...)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), "profile_checkin") as uri:
        bodies = Path(tmp) / "checkins.jsonl"
        prepare(uri, args.elders, args.points, args.checkins, bodies)
        lines = [json.loads(line) for line in bodies.read_text(encoding="utf-8").splitlines()]
        app = create_app(config(uri))
        client = app.test_client()
        statements: list[str] = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute",
                         lambda conn, cursor, stmt, params, context, many: statements.append(stmt))
        counts, cpu, answers, shown = [], [], Counter(), False
        profiler = cProfile.Profile()
        for n, line in enumerate(lines):
            statements.clear()
            measured = n >= args.warmup
            if measured and args.profile:
                profiler.enable()
            t0 = time.process_time()
            r = client.post(line["path"], json=line["body"], headers={"Authorization": f"Bearer {line['token']}"})
            spent = time.process_time() - t0
            if measured and args.profile:
                profiler.disable()
            answers[r.status_code] += 1
            if not measured:
                continue
            counts.append(len(statements))
            cpu.append(spent * 1000)
            if args.show and not shown and r.status_code == 201 and line["body"].get("pay_with") == "voucher":
                shown = True
                print(f"--- one check-in paid by vouchers ({line['body']}): {len(statements)} statements")
                for s in statements:
                    print("   ", " ".join(s.split())[:200])
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    print(f"{len(counts)} check-ins measured (answers {dict(answers)}): statements per check-in mean "
          f"{statistics.mean(counts):.1f} (min {min(counts)}, max {max(counts)}); CPU per check-in mean "
          f"{statistics.mean(cpu):.1f} ms, median {statistics.median(cpu):.1f} ms")
    if args.profile:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(45)


if __name__ == "__main__":
    main()
