"""Booking under a real server: `POST /api/v1/orders` served by gunicorn on PostgreSQL, driven from a second
process (bench/loadgen.py) at rising concurrency, beside the trivial `GET /api/v1/health` of the same app under
the same server. At each endpoint's saturation point (the lowest concurrency reaching 95% of its best rate) it
prints requests per second and p50/p99 latency, and the ratio, which is the cost of a booking over the cost of
being served at all. Loopback only; each run is bounded in time and count.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.bench_booking

The city is given a month of past visits first (one a day for each caregiver, ~60,000 orders) and its statistics
gathered, as in any city that has run Yiyang for a while: on an empty orders table PostgreSQL plans matching's
per-caregiver checks as scans of the whole table, and keeps those plans while the table fills within the minute
before it looks again, which measured a city on its first morning rather than a running one.

Target (issue 6): at least 300 orders per second with p99 under 100 ms on 2 cores."""
import argparse
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from sqlalchemy import func, insert, select, text

from eldercare import create_app
from eldercare.accounts.services import create_user, issue_token, user_for_token
from eldercare.catalog.models import Item
from eldercare.clock import LOCAL
from eldercare.config import TestConfig
from eldercare.demo import seed
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.orders.matching import Need, rank
from eldercare.orders.models import WorkOrder
from eldercare.providers.models import Caregiver
from eldercare.vouchers import ledger
from eldercare.vouchers.eligibility import explain
from tests.scratch import scratch_database
from tests.vouchers.issuing import issue

ROOT = Path(__file__).resolve().parent.parent
STEPS = (1, 2, 4, 8, 16, 32)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(uri: str, elders: int, orders: int, bodies_path: Path) -> str:
    """The demo city with this month's and next month's vouchers, an operator's token, and `orders` distinct
    bookings (elder, service, slot) written one JSON body per line; voucher-eligible elders pay with vouchers."""
    app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri}))
    with app.app_context():
        db.create_all()
        seed.seed_demo(elders)
        today = datetime.now(LOCAL).date()
        for month in {today.strftime("%Y-%m"), (today + timedelta(days=8)).strftime("%Y-%m")}:
            issue(month)  # in its month: only the current month can be issued
        add_history(today)
        admin = create_user(username="bench-admin", password="bench-password-1", role="admin")
        token, _ = issue_token(admin)
        db.session.commit()
        rng = random.Random(6)
        people = db.session.scalars(select(Elder).where(Elder.status == "active")).all()
        items = db.session.scalars(select(Item).where(Item.active.is_(True))).all()
        paying = {}
        slots = [(d, h, m) for d in range(1, 8) for h in range(8, 17) for m in (0, 30)]
        seen, lines = set(), []
        while len(lines) < orders:
            elder, (d, h, m) = rng.choice(people), rng.choice(slots)
            if (elder.id, d, h, m) in seen:
                continue
            seen.add((elder.id, d, h, m))
            start = datetime.combine(today + timedelta(days=d), clock(h, m), LOCAL)
            key = (elder.id, start.strftime("%Y-%m"))
            if key not in paying:
                eligibility = explain(elder, key[1])
                paying[key] = {c.id for c in eligibility.policy.categories} if eligibility.eligible else set()
            voucher_items = [i for i in items if i.category_id in paying[key] and i.price_fen <= 5000]
            item = rng.choice(voucher_items) if voucher_items else rng.choice(items)
            lines.append(dict(elder_id=elder.id, item_id=item.id, scheduled_start=start.isoformat(),
                              pay_with="voucher" if voucher_items else "self"))
        bodies_path.write_text("\n".join(json.dumps(b) for b in lines) + "\n", encoding="utf-8")
        db.session.remove()
        db.engine.dispose()
    return token


def add_history(today, days: int = 30) -> None:
    """A month of done visits before today: each caregiver one a day, for elders and services of the city."""
    rng = random.Random(7)
    elder_ids = db.session.scalars(select(Elder.id)).all()
    items = db.session.execute(select(Item.id, Item.price_fen, Item.duration_minutes)).all()
    team = db.session.execute(select(Caregiver.id, Caregiver.provider_id)).all()
    for back in range(days, 0, -1):
        rows = []
        for caregiver_id, provider_id in team:
            item_id, price, minutes = rng.choice(items)
            start = datetime.combine(today - timedelta(days=back), clock(8 + caregiver_id % 9), LOCAL)
            start += timedelta(seconds=caregiver_id)  # one live order per elder, service and moment
            rows.append(dict(elder_id=rng.choice(elder_ids), item_id=item_id, status="settled",
                             scheduled_start=start, scheduled_end=start + timedelta(minutes=minutes), quantity=1,
                             price_fen=price, voucher_fen=0, copay_fen=price, pay_with="self",
                             provider_id=provider_id, caregiver_id=caregiver_id, ranking=[], created_at=start,
                             auto_confirmed=False))
        db.session.execute(insert(WorkOrder), rows)
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def serve(uri: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=uri, SECRET_KEY="bench-secret", ELDERCARE_ENV="bench")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command name) of every process."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            out.append((int(entry.name), int(stat.rsplit(")", 1)[1].split()[1]), name))
    return out


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU used so far by the server (gunicorn and its workers) and by PostgreSQL (every postgres process)."""
    processes = _processes()
    server = [pid for pid, parent, _ in processes if pid == server_pid or parent == server_pid]
    postgres = [pid for pid, _, name in processes if name == "postgres"]
    hz = os.sysconf("SC_CLK_TCK")
    return dict(server=sum(map(_ticks, server)) / hz, postgres=sum(map(_ticks, postgres)) / hz)


def load(server: subprocess.Popen, port: int, path: str, concurrency: int, duration: float, **extra) -> dict:
    """One step of load; adds the CPU milliseconds per request spent in the server, in PostgreSQL and in the
    load generator, which on a shared machine is where the rate goes."""
    args = [sys.executable, "-m", "bench.loadgen", "--port", str(port), "--path", path,
            "--concurrency", str(concurrency), "--duration", str(duration)]
    for name, value in extra.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    before, children = cpu_seconds(server.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True, timeout=duration + 120)
    after, done = cpu_seconds(server.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.stdout)
    n = max(result["requests"], 1)
    result["cpu_ms"] = {k: (after[k] - before[k]) * 1000 / n for k in after} | dict(
        loadgen=(done.ru_utime + done.ru_stime - children.ru_utime - children.ru_stime) * 1000 / n)
    return result


def floor_costs(token: str, bodies: Path, calls: int = 400) -> dict[str, dict[str, float]]:
    """CPU per call, in this process and in PostgreSQL, of the two steps any booking that matches while the
    caller waits must take besides being served: finding the caller by token, and matching."""
    lines = [json.loads(line) for line in bodies.read_text(encoding="utf-8").splitlines()[:calls]]
    elders = {e.id: e for e in db.session.scalars(select(Elder).where(Elder.id.in_({b["elder_id"] for b in lines})))}
    items = {i.id: i for i in db.session.scalars(select(Item))}
    needs = []
    for b in lines:
        item, start = items[b["item_id"]], datetime.fromisoformat(b["scheduled_start"])
        needs.append(Need.build(elders[b["elder_id"]], item, start,
                                start + timedelta(minutes=item.duration_minutes)))
    steps = {"token auth": lambda n: user_for_token(token), "matching": lambda n: rank(needs[n])}
    out = {}
    for name, step in steps.items():
        db.session.rollback()
        before, cpu = cpu_seconds(-1)["postgres"], time.process_time()
        for n in range(len(needs)):
            step(n)
        out[name] = dict(python=(time.process_time() - cpu) * 1000 / len(needs),
                         postgres=(cpu_seconds(-1)["postgres"] - before) * 1000 / len(needs))
    return out


def saturation(results: list[tuple[int, dict]]) -> tuple[int, dict]:
    best = max(r["rate"] for _, r in results)
    return next((c, r) for c, r in results if r["rate"] >= 0.95 * best)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per concurrency step")
    parser.add_argument("--max-orders", type=int, default=4_000, help="per step")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        print("bench_booking measures PostgreSQL under gunicorn: skipped; set DATABASE_URL=postgresql://...")
        return
    total = args.max_orders * len(STEPS)
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), "bench_booking") as uri:
        bodies = Path(tmp) / "bodies.jsonl"
        token = prepare(uri, args.elders, total, bodies)
        started = datetime.now(UTC)  # orders created after this are the load's
        port = free_port()
        server = serve(uri, port, args.workers)
        try:
            health, booking, used = [], [], 0
            for c in STEPS:
                health.append((c, load(server, port, "/api/v1/health", c, args.duration)))
            for c in STEPS:
                r = load(server, port, "/api/v1/orders", c, args.duration, method="POST", token=token, bodies=bodies,
                         skip=used, max_requests=args.max_orders)
                used += r["used"]
                booking.append((c, r))
        finally:
            server.terminate()
            server.wait(timeout=30)
        app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri}))
        with app.app_context():
            created = db.session.scalar(select(func.count(WorkOrder.id)).where(WorkOrder.created_at >= started))
            check = ledger.check()
            floor = floor_costs(token, bodies)
            db.session.remove()
            db.engine.dispose()

    print(f"gunicorn, {args.workers} sync workers, PostgreSQL, {os.cpu_count()} cores; {args.duration:.0f} s per step")
    print(f"{'concurrency':>11} {'health/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'orders/s':>9} {'p50 ms':>7} "
          f"{'p99 ms':>7}  booking answers")
    for (c, h), (_, b) in zip(health, booking, strict=True):
        print(f"{c:>11} {h['rate']:>9.0f} {h['p50']:>7.1f} {h['p99']:>7.1f} {b['rate']:>9.0f} {b['p50']:>7.1f} "
              f"{b['p99']:>7.1f}  {b['statuses']}")
    hc, h = saturation(health)
    bc, b = saturation(booking)
    created_ok = sum(r["statuses"].get("201", 0) for _, r in booking)
    print(f"saturation: health {h['rate']:.0f}/s at {hc} (p50 {h['p50']:.1f} ms, p99 {h['p99']:.1f} ms); "
          f"booking {b['rate']:.0f} orders/s at {bc} (p50 {b['p50']:.1f} ms, p99 {b['p99']:.1f} ms); "
          f"ratio {h['rate'] / b['rate']:.1f}x the rate, {b['p50'] / h['p50']:.1f}x the median latency")
    for name, r in (("health", h), ("booking", b)):
        cpu = r["cpu_ms"]
        print(f"CPU per request at saturation, {name}: server {cpu['server']:.1f} ms, PostgreSQL "
              f"{cpu['postgres']:.1f} ms, load generator {cpu['loadgen']:.1f} ms "
              f"(2 cores give {2000 / r['rate']:.1f} ms per request at that rate)")
    floor_ms = h["cpu_ms"]["server"] + h["cpu_ms"]["postgres"] + b["cpu_ms"]["loadgen"] + sum(
        f["python"] + f["postgres"] for f in floor.values())
    print("CPU per call of the steps every booking takes: " + "; ".join(
        f"{name} {f['python']:.1f} ms Python + {f['postgres']:.1f} ms PostgreSQL" for name, f in floor.items()))
    print(f"floor for a booking that matches while the caller waits (serving as health, token auth, matching, "
          f"load generator), before writing anything: {floor_ms:.1f} ms of CPU -> at most "
          f"{2000 / floor_ms:.0f} orders/s on 2 cores")
    print(f"orders created {created:,} = answers 201 {created_ok:,}: {created == created_ok}; "
          f"ledger balances: {check.ok}")
    print(f"target >= 300 orders/s with p99 < 100 ms: {'met' if b['rate'] >= 300 and b['p99'] < 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
