"""One day's orders from the care plans of the demo city, in the steady state: each plan kept by a provider
that serves the elder's street (and, where it has one serving the category, a caregiver), paid with vouchers
where the elder has them for the month and vouchers pay for the service, otherwise by the family. The
order-making job makes them (price, voucher share, duplicate check from the booking rules; voucher holds,
offers, the kept caregiver where free, history, audit and notifications), then runs again and must make
nothing. Printed with the time for a plain bulk insert of the same number of work-order rows in the same run
and database, and the ratio.

    DATABASE_URL=postgresql://... .venv/bin/python -m bench.bench_planned_orders [--plans 50000]

Target (issue 7): 50,000 plans' orders in under 30 seconds on PostgreSQL."""
import argparse
import random
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

from sqlalchemy import delete, func, insert, select

from eldercare import create_app
from eldercare.careplans.making import due_on, make_planned_orders
from eldercare.careplans.models import CarePlan
from eldercare.catalog.models import Item
from eldercare.clock import LOCAL
from eldercare.config import TestConfig
from eldercare.demo import seed
from eldercare.demo.seed import VOUCHER_CATEGORIES
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.providers.models import Caregiver, Provider, caregiver_categories, provider_areas, provider_categories
from eldercare.regions.models import Region
from eldercare.vouchers import ledger
from eldercare.vouchers.models import VoucherGrant
from tests.scratch import scratch_database
from tests.vouchers.issuing import issue

TARGET_PLANS = 50_000
BUDGET_S = 30.0


def _plans(n: int, day, rng: random.Random) -> list[dict]:
    """n daily plans, each elder's at distinct times, kept by a provider serving the elder's street."""
    from eldercare.catalog.models import Category

    elders = db.session.execute(select(Elder.id, Region.parent_id).join(Region, Region.id == Elder.community_id)
                                .where(Elder.status == "active").order_by(Elder.id)).all()
    items = db.session.execute(select(Item.id, Item.category_id, Category.code)
                               .join(Category, Category.id == Item.category_id).where(Item.active.is_(True))).all()
    approved = set(db.session.scalars(select(Provider.id).where(Provider.status == "approved")))
    serving = defaultdict(list)  # street -> providers
    for provider_id, street in db.session.execute(select(provider_areas.c.provider_id, provider_areas.c.region_id)):
        if provider_id in approved:
            serving[street].append(provider_id)
    offers = set(db.session.execute(select(provider_categories.c.provider_id, provider_categories.c.category_id)))
    team = defaultdict(list)  # (provider, category) -> caregivers
    for cid, provider_id, category_id in db.session.execute(
            select(Caregiver.id, Caregiver.provider_id, caregiver_categories.c.category_id)
            .join(caregiver_categories, caregiver_categories.c.caregiver_id == Caregiver.id)
            .where(Caregiver.active.is_(True)).order_by(Caregiver.id)):
        team[(provider_id, category_id)].append(cid)
    granted = set(db.session.scalars(select(VoucherGrant.elder_id).where(VoucherGrant.period == f"{day:%Y-%m}")))
    slots = [clock(h, m) for h in range(8, 17) for m in (0, 20, 40)]
    plans, turn = [], defaultdict(int)
    for k in range(n * 3):
        if len(plans) == n:
            break
        elder_id, street = elders[k % len(elders)]
        item_id, category_id, code = rng.choice(items)
        kept = [p for p in serving.get(street, ()) if (p, category_id) in offers]
        if not kept:
            continue
        provider_id = kept[k % len(kept)]
        carers = team[(provider_id, category_id)]
        caregiver_id = carers[turn[(provider_id, category_id)] % len(carers)] if carers else None
        turn[(provider_id, category_id)] += 1
        pays = "voucher" if elder_id in granted and code in VOUCHER_CATEGORIES else "self"
        plans.append(dict(elder_id=elder_id, item_id=item_id, freq="daily", weekdays=[], interval_weeks=1,
                          time_of_day=slots[(k // len(elders)) % len(slots)], quantity=1, start_date=day,
                          pay_with=pays, status="active", family_care_bed=False, paused_by_registry=False,
                          provider_id=provider_id, caregiver_id=caregiver_id))
    return plans


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", type=int, default=TARGET_PLANS)
    parser.add_argument("--elders", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), "bench_planned") as uri:
        app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri}))
        with app.app_context():
            db.create_all()
            seed.seed_demo(args.elders)
            now = datetime.now(LOCAL)
            day = now.date() + timedelta(days=2)
            issue(f"{day:%Y-%m}")  # in its month: only the current month can be issued
            plans = _plans(args.plans, day, rng)
            for begin in range(0, len(plans), 10_000):
                db.session.execute(insert(CarePlan), plans[begin:begin + 10_000])
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                db.session.execute(db.text("ANALYZE"))
                db.session.commit()
            due = len(due_on(day))

            start = time.perf_counter()
            report = make_planned_orders(day, now=now)
            making = time.perf_counter() - start
            assert report.made + len(report.refused) + report.already == due, report
            start = time.perf_counter()
            again = make_planned_orders(day, now=now)
            rerun = time.perf_counter() - start
            assert again.made == 0 and again.already == report.made, again
            check = ledger.check()
            assert check.ok, check
            vouchers = db.session.scalar(select(func.count(WorkOrder.id)).where(WorkOrder.voucher_fen > 0))

            # Baseline: the same number of work-order rows, inserted plainly in batches.
            db.session.execute(delete(WorkOrder).where(WorkOrder.note == "bench"))
            at = datetime.combine(day + timedelta(days=1), clock(9), LOCAL)
            start = time.perf_counter()
            for begin in range(0, report.made, 5000):
                db.session.execute(insert(WorkOrder), [  # each at its own second: one live order per slot
                    dict(elder_id=p["elder_id"], item_id=p["item_id"], status="pending",
                         scheduled_start=at + timedelta(seconds=begin + k), scheduled_end=at + timedelta(hours=1),
                         quantity=1, price_fen=1500, voucher_fen=0, copay_fen=1500, pay_with="self", note="bench",
                         ranking=[])
                    for k, p in enumerate(plans[begin:min(begin + 5000, report.made)])])
                db.session.commit()
            plain = time.perf_counter() - start
            dialect = db.engine.dialect.name
            db.session.remove()
            db.engine.dispose()
    refusals = defaultdict(int)
    for _, why in report.refused:
        refusals[why] += 1
    print(f"{dialect}: {due:,} plans due -> {report.made:,} orders made in {making:.1f} s "
          f"({report.made / making:.0f} orders/s; {report.batched:,} in batches, {report.kept_caregiver:,} taken by "
          f"the kept caregiver, {vouchers:,} with a voucher hold, {len(report.refused):,} refused); "
          f"the rerun made none in {rerun:.1f} s")
    for why, count in sorted(refusals.items(), key=lambda x: -x[1])[:3]:
        print(f"  refused {count:,}: {why}")
    print(f"plain insert of {report.made:,} work-order rows {plain:.2f} s; ratio {making / plain:.1f}x; "
          f"budget {BUDGET_S:.0f} s for {TARGET_PLANS:,} plans: "
          f"{'met' if making <= BUDGET_S and due >= TARGET_PLANS else 'NOT met' if due >= TARGET_PLANS else 'n/a'}")


if __name__ == "__main__":
    main()
