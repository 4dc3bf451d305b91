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

Target (issue 6): at least 300 orders per second with p99 under 100 ms on 2 cores.

`--chain` (issue 17) measures instead booking with the audit log's hash chain off (AUDIT_CHAIN=0: no MAC per
row, no sealer) and on (a MAC per row as written, and the sealer running beside the load), back to back at one
concurrency, alternating, and prints both rates and their ratio; the target is on within 10% of off.

    DATABASE_URL=... .venv/bin/python -m bench.bench_booking --chain --elders 2000 --duration 3 --max-orders 500"""
import argparse
import json
import os
import random
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from sqlalchemy import func, insert, select, text

from eldercare import create_app
from eldercare.accounts.services import create_user, issue_token, user_for_token
from eldercare.audit import chain
from eldercare.audit.cli import seal_all
from eldercare.audit.models import AuditEvent
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
AUDIT_KEY = "bench-audit-key"  # the server and this process sign and check the log with one key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(uri: str, elders: int, orders: int, bodies_path: Path) -> str:
    """The demo city with this month's and next month's vouchers, an operator's token, and `orders` distinct
    bookings (elder, service, slot) written one JSON body per line; voucher-eligible elders pay with vouchers."""
    app = bench_app(uri)
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


def serve(uri: str, port: int, workers: int, **settings: str) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=uri, SECRET_KEY="bench-secret", ELDERCARE_ENV="bench", AUDIT_KEY=AUDIT_KEY,
               **settings)
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


class Sealer(threading.Thread):
    """The scheduler's sealing job, beside the load as in production, but every `every` seconds rather than every
    minute (the same work, done sooner, so that it falls inside the measured run)."""

    def __init__(self, uri: str, every: float):
        super().__init__(daemon=True)
        self.uri, self.every, self.stop, self.sealed, self.seconds = uri, every, threading.Event(), 0, 0.0

    def run(self):
        app = bench_app(self.uri)
        with app.app_context():
            while not self.stop.wait(self.every):
                self.seal()
            self.seal()
            db.session.remove()
            db.engine.dispose()

    def seal(self):
        began = time.perf_counter()
        self.sealed += seal_all()
        self.seconds += time.perf_counter() - began


def bench_app(uri: str):
    return create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri, "AUDIT_KEY": AUDIT_KEY}))


def sign_unsigned(uri: str) -> int:
    """Give the rows written with the chain off their MAC, outside any measured run, so that the sealer of the
    next "on" run sees a log as the platform writes it (with the chain off, rows have none)."""
    app = bench_app(uri)
    with app.app_context():
        unsigned = db.session.scalars(select(AuditEvent).where(AuditEvent.mac.is_(None))).all()
        for row in unsigned:
            row.nonce = secrets.token_hex(16)
            row.mac = chain.mac_of(row)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return len(unsigned)


def compare_chain(uri: str, token: str, bodies: Path, args) -> None:
    """Booking with the audit chain's writing off (AUDIT_CHAIN=0: rows without their MAC, no sealer) and on (each
    row signed as written, the sealer running beside), back to back in the same run, `--chain-rounds` times
    each, alternating, each on a fresh server after a one-second warm-up."""
    rates, used, sealer_work = {"off": [], "on": []}, 0, []
    app = bench_app(uri)
    with app.app_context():
        print(f"sealed the prepared city's {seal_all():,} audit events first, unmeasured", flush=True)
        db.session.remove()
        db.engine.dispose()
    for _ in range(args.chain_rounds):
        for state in ("off", "on"):
            port = free_port()
            server = serve(uri, port, args.workers, AUDIT_CHAIN="0" if state == "off" else "1")
            sealer = Sealer(uri, args.seal_every) if state == "on" else None
            try:
                warm = load(server, port, "/api/v1/orders", args.chain_concurrency, 1.0, method="POST", token=token,
                            bodies=bodies, skip=used, max_requests=args.max_orders)
                used += warm["used"]
                if sealer:
                    sealer.start()
                r = load(server, port, "/api/v1/orders", args.chain_concurrency, args.duration, method="POST",
                         token=token, bodies=bodies, skip=used, max_requests=args.max_orders)
                used += r["used"]
            finally:
                if sealer:
                    sealer.stop.set()
                    sealer.join(timeout=300)
                server.terminate()
                server.wait(timeout=30)
            rates[state].append(r)
            print(f"chain {state:>3}: {r['rate']:>6.0f} orders/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms "
                  f"{r['statuses']}" + (f"; sealed {sealer.sealed:,} events in {sealer.seconds:.2f} s" if sealer
                                        else f"; signed {sign_unsigned(uri):,} rows afterwards, unmeasured"),
                  flush=True)
            if sealer:
                sealer_work.append((sealer.sealed, sealer.seconds))
    app = bench_app(uri)
    with app.app_context():
        seal_all()
        verdict = chain.verify()
        db.session.remove()
        db.engine.dispose()
    off = sum(r["rate"] for r in rates["off"]) / len(rates["off"])
    on = sum(r["rate"] for r in rates["on"]) / len(rates["on"])
    sealed, seconds = map(sum, zip(*sealer_work, strict=True))
    print(f"booking at concurrency {args.chain_concurrency}, {args.workers} gunicorn workers, {args.duration:.0f} s "
          f"x {args.chain_rounds} rounds each: chain off {off:.0f} orders/s, chain on {on:.0f} orders/s, "
          f"ratio on/off {on / off:.3f}")
    print(f"sealer: {sealed:,} events in {seconds:.2f} s ({seconds * 1e6 / max(sealed, 1):.0f} us an event); "
          f"chain verified: {verdict.ok} ({verdict.checked:,} events, {verdict.pending} unsealed) "
          f"{verdict.reason or ''}")
    print(f"target: chain on within 10% of off: {'met' if on >= 0.9 * off else 'NOT met'}")


def saturation(results: list[tuple[int, dict]]) -> tuple[int, dict]:
    best = max(r["rate"] for _, r in results)
    return next((c, r) for c, r in results if r["rate"] >= 0.95 * best)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per concurrency step")
    parser.add_argument("--max-orders", type=int, default=4_000, help="per step")
    parser.add_argument("--chain", action="store_true",
                        help="instead of the sweep: booking with the audit chain off and on, back to back")
    parser.add_argument("--chain-concurrency", type=int, default=8)
    parser.add_argument("--chain-rounds", type=int, default=2, help="runs of each state, alternating")
    parser.add_argument("--seal-every", type=float, default=1.0, help="seconds between the sealer's passes")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        print("bench_booking measures PostgreSQL under gunicorn: skipped; set DATABASE_URL=postgresql://...")
        return
    total = args.max_orders * (4 * args.chain_rounds if args.chain else len(STEPS))
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), "bench_booking") as uri:
        bodies = Path(tmp) / "bodies.jsonl"
        token = prepare(uri, args.elders, total, bodies)
        if args.chain:
            compare_chain(uri, token, bodies, args)
            return
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
        app = bench_app(uri)
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
