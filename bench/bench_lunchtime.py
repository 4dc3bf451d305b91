"""A city's lunchtime at the canteens under a real server: `POST /api/v1/service-points/{id}/check-ins` served by
gunicorn on PostgreSQL, each check-in sent to its own point with its own point staff's token by a second process
(bench/loadgen.py, `--body-format routed`), at rising concurrency, beside the trivial `GET /api/v1/health` of the
same app under the same server (bench/bench_booking.py's server, load steps, CPU accounting and saturation
report). Loadgen sends each body once, so every check-in is a different elder at the point that serves them.

The city: the demo city with `--elders` elders (its month's vouchers issued by the seed), `--points` approved
canteens in its most populous communities, each a meal provider's serving that street (else one of the
district's), open all day every day in Beijing time (the server runs on the real clock) with a daily capacity
above what the bench sends, a point_staff account and bearer token per point, and `--checkins` distinct elders,
dealt round the points (~checkins/points each) in the order loadgen sends them, so that consecutive check-ins
go to different points: concurrent across points, in turn at each. Elders are found at the counter by their
card's QR payload (every other one) or by name and the last six ID characters (the others, unless that pair is
not unique in the city: then by card); those with vouchers pay with them, the others themselves.

After the concurrency steps, the check-ins left are served at the saturation concurrency ("the rest of the
lunchtime"), so that all of them are sent: the issue's lunchtime is 20,000 check-ins within one hour.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.bench_lunchtime

Target (issue 20): at least 100 check-ins per second with p99 under 100 ms on 2 cores."""
import argparse
import json
import os
import random
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.bench_booking import STEPS, free_port, load, saturation, serve
from eldercare import clock, create_app
from eldercare.accounts.services import create_user, issue_token
from eldercare.catalog.models import Item
from eldercare.config import TestConfig
from eldercare.demo import seed
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.providers.models import Provider, provider_areas, provider_categories
from eldercare.regions.models import Region
from eldercare.servicepoints import services as points
from eldercare.servicepoints.models import CheckIn, PointItem, ServicePoint
from eldercare.vouchers import ledger
from eldercare.vouchers.eligibility import explain
from tests.scratch import scratch_database

PATH = "/api/v1/service-points/{id}/check-ins"
LUNCH = "meal.lunch_canteen"
ALL_DAY = [dict(weekday=d, start="00:00", end="23:59") for d in range(7)]  # the real clock: open whenever run
SECRET = "bench-secret"  # nosec B105 - the key bench_booking.serve gives the server: the cards are signed with it


def config(uri: str):
    return type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": SECRET})


def prepare(uri: str, elders: int, n_points: int, checkins: int, bodies_path: Path) -> dict:
    """The city, its canteens and their staff, and `checkins` routed check-in lines; returns a summary."""
    app = create_app(config(uri))
    with app.app_context():
        db.create_all()
        seed.seed_demo(elders)  # issues the current month's vouchers
        lunch = db.session.scalar(select(Item).where(Item.code == LUNCH))
        point_list = add_points(n_points, lunch)
        tokens = {}
        for n, point in enumerate(point_list, 1):
            staff = create_user(username=f"bench-counter-{n}", password="bench-password-1", role="point_staff",
                                provider_id=point.provider_id, service_point_ids=[point.id])
            tokens[point.id], _ = issue_token(staff)
        db.session.commit()

        people = db.session.scalars(select(Elder).where(Elder.status == "active").order_by(Elder.id)).all()
        if len(people) < checkins:
            raise SystemExit(f"{checkins} check-ins need as many active elders; the city has {len(people)}")
        # The server finds an elder by name and the last six ID characters only when that pair is unique.
        # (The numbers are sealed in the database: the pairs are counted here, as they are read and opened.)
        pairs = Counter((name, number[12:18]) for name, number in db.session.execute(select(Elder.name,
                                                                                          Elder.id_number)))
        rng = random.Random(20)
        diners = rng.sample(people, checkins)
        month = str(clock.Month.current())
        lines, ways = [], Counter()
        for n, elder in enumerate(diners):
            point = point_list[n % len(point_list)]
            last6 = elder.id_number[12:18]
            if n % 2 == 0 and pairs[(elder.name, last6)] == 1:
                body, way = dict(name=elder.name, id_last6=last6), "name + ID"
            else:
                body, way = dict(card=points.card_payload(elder)), "card"
            eligibility = explain(elder, month)
            pays = "voucher" if eligibility.eligible and eligibility.pays_for(lunch.category_id) else "self"
            ways[way] += 1
            ways[pays] += 1
            lines.append(dict(path=PATH.format(id=point.id), token=tokens[point.id],
                              body=body | dict(item_id=lunch.id, pay_with=pays, method="cash")))
        bodies_path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n",
                               encoding="utf-8")
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return dict(points=len(point_list), ways=ways)


def add_points(n_points: int, lunch: Item) -> list[ServicePoint]:
    """`n_points` approved canteens in the communities with the most elders, each run by a meal provider that
    serves the community's street (else one of the district's), at the guide price or a little below."""
    communities = db.session.execute(
        select(Region.id, Region.parent_id, Region.name, Region.lat, Region.lng, func.count(Elder.id).label("n"))
        .join(Elder, Elder.community_id == Region.id).where(Region.level == "community")
        .group_by(Region.id).order_by(func.count(Elder.id).desc(), Region.id).limit(n_points)).all()
    if len(communities) < n_points:
        raise SystemExit(f"the city has elders in only {len(communities)} communities; ask for fewer --points")
    cooks = set(db.session.scalars(select(provider_categories.c.provider_id)
                                   .where(provider_categories.c.category_id == lunch.category_id)))
    serving = defaultdict(list)  # street id -> meal providers serving it
    for provider_id, street_id in db.session.execute(select(provider_areas.c.provider_id, provider_areas.c.region_id)):
        if provider_id in cooks:
            serving[street_id].append(provider_id)
    district_of = dict(db.session.execute(select(Region.id, Region.parent_id).where(Region.level == "street")).all())
    by_district = defaultdict(list)
    for provider_id, district_id in db.session.execute(select(Provider.id, Provider.district_id)
                                                       .where(Provider.status == "approved")):
        if provider_id in cooks:
            by_district[district_id].append(provider_id)
    rng = random.Random(127)
    made = []
    for c in communities:
        provider_id = rng.choice(serving[c.parent_id] or by_district[district_of[c.parent_id]])
        point = ServicePoint(provider_id=provider_id, name=f"{c.name}老年食堂", kind="canteen", community_id=c.id,
                             address=f"{c.name}居委会一楼", lat=c.lat, lng=c.lng, hours=ALL_DAY,
                             daily_capacity=100_000, status="approved", second_meal="full_price",
                             reviewed_at=clock.now())
        point.items = [PointItem(item_id=lunch.id, price_fen=rng.choice((1000, 1100, 1200)))]
        db.session.add(point)
        made.append(point)
    db.session.flush()
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkins", type=int, default=20_000, help="distinct elders checked in, all told")
    parser.add_argument("--points", type=int, default=127, help="canteens")
    parser.add_argument("--elders", type=int, default=None, help="the city's elders (default: --checkins)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per concurrency step")
    parser.add_argument("--max-per-step", type=int, default=None,
                        help="check-ins at most per step (default: half of them over the steps)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        print("bench_lunchtime measures PostgreSQL under gunicorn: skipped; set DATABASE_URL=postgresql://...")
        return
    elders = max(args.elders or args.checkins, 2)
    per_step = args.max_per_step or max(1, args.checkins // (2 * len(STEPS)))
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), "bench_lunchtime") as uri:
        bodies = Path(tmp) / "checkins.jsonl"
        t0 = time.perf_counter()
        city = prepare(uri, elders, args.points, args.checkins, bodies)
        setup_s = time.perf_counter() - t0
        started = datetime.now(UTC)
        port = free_port()
        server = serve(uri, port, args.workers)
        try:
            health, lunch, used = [], [], 0
            for c in STEPS:
                health.append((c, load(server, port, "/api/v1/health", c, args.duration)))
            lunch_started = time.perf_counter()
            for c in STEPS:
                r = load(server, port, PATH, c, args.duration, method="POST", bodies=bodies, body_format="routed",
                         skip=used, max_requests=per_step)
                used += r["used"]
                lunch.append((c, r))
            sc, _ = saturation(lunch)
            rest = None
            if used < args.checkins:  # the rest of the lunchtime, within what is left of its hour
                left = max(3600 - (time.perf_counter() - lunch_started), 1.0)
                rest = load(server, port, PATH, sc, left, method="POST", bodies=bodies, body_format="routed",
                            skip=used, max_requests=args.checkins - used)
                used += rest["used"]
            lunch_s = time.perf_counter() - lunch_started
        finally:
            server.terminate()
            server.wait(timeout=30)
        app = create_app(config(uri))
        with app.app_context():
            recorded = db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.at >= started))
            subsidised = db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.at >= started,
                                                                                CheckIn.subsidised.is_(True)))
            per_point = db.session.execute(select(func.count(CheckIn.id)).where(CheckIn.at >= started)
                                           .group_by(CheckIn.service_point_id)).scalars().all()
            check = ledger.check()
            db.session.remove()
            db.engine.dispose()

    print(f"gunicorn, {args.workers} sync workers, PostgreSQL, {os.cpu_count()} cores; {args.duration:.0f} s per step; "
          f"{elders:,} elders, {city['points']} canteens, {args.checkins:,} check-ins "
          f"({', '.join(f'{k} {v:,}' for k, v in sorted(city['ways'].items()))}); set up in {setup_s:.0f} s")
    print(f"{'concurrency':>11} {'health/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'check-ins/s':>11} {'p50 ms':>7} "
          f"{'p99 ms':>7}  check-in answers")
    for (c, h), (_, b) in zip(health, lunch, strict=True):
        print(f"{c:>11} {h['rate']:>9.0f} {h['p50']:>7.1f} {h['p99']:>7.1f} {b['rate']:>11.0f} {b['p50']:>7.1f} "
              f"{b['p99']:>7.1f}  {b['statuses']}")
    hc, h = saturation(health)
    bc, b = saturation(lunch)
    print(f"saturation: health {h['rate']:.0f}/s at {hc} (p50 {h['p50']:.1f} ms, p99 {h['p99']:.1f} ms); "
          f"check-in {b['rate']:.0f}/s at {bc} (p50 {b['p50']:.1f} ms, p99 {b['p99']:.1f} ms); "
          f"ratio {h['rate'] / b['rate']:.1f}x the rate, {b['p50'] / h['p50']:.1f}x the median latency")
    for name, r in (("health", h), ("check-in", b)):
        cpu = r["cpu_ms"]
        print(f"CPU per request at saturation, {name}: server {cpu['server']:.1f} ms, PostgreSQL "
              f"{cpu['postgres']:.1f} ms, load generator {cpu['loadgen']:.1f} ms "
              f"(2 cores give {2000 / r['rate']:.1f} ms per request at that rate)")
    if rest is not None:
        print(f"rest of the lunchtime at concurrency {bc}: {rest['requests']:,} check-ins at {rest['rate']:.0f}/s "
              f"(p50 {rest['p50']:.1f} ms, p99 {rest['p99']:.1f} ms)  {rest['statuses']}")
    answers = Counter()
    for r in [r for _, r in lunch] + ([rest] if rest else []):
        answers.update(r["statuses"])
    sent = sum(answers.values())
    refused = {code: n for code, n in sorted(answers.items()) if code != "201"}
    print(f"lunchtime: {sent:,} of {args.checkins:,} check-ins sent in {lunch_s:.0f} s (the hour allows 3600 s): "
          f"{'within the hour' if sent == args.checkins and lunch_s <= 3600 else 'NOT within the hour'}")
    print(f"check-ins recorded {recorded:,} ({subsidised:,} paid by vouchers) = answers 201 {answers['201']:,}: "
          f"{recorded == answers['201']}; refused {sum(refused.values()):,} {refused or ''}; per point "
          f"{min(per_point, default=0)}-{max(per_point, default=0)}; ledger balances: {check.ok}")
    print(f"target >= 100 check-ins/s with p99 < 100 ms: "
          f"{'met' if b['rate'] >= 100 and b['p99'] < 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
