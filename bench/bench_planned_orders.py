"""One day's orders from the care plans: active daily plans spread over the demo city's elders, made by the
order-making job through the booking service (price, voucher share and hold, matching, dispatch), printed with
the time for a plain bulk insert of the same number of work-order rows in the same run and database.

    DATABASE_URL=postgresql://... .venv/bin/python -m bench.bench_planned_orders [--plans 50000]

Target (issue 7): 50,000 plans' orders in under 30 seconds on PostgreSQL. With fewer plans than that the
time for 50,000 is projected from the rate measured (orders are made one by one, so the rate holds)."""
import argparse
import random
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from sqlalchemy import delete, insert, select

from eldercare import create_app
from eldercare.careplans.making import make_planned_orders
from eldercare.careplans.models import CarePlan
from eldercare.catalog.models import Item
from eldercare.config import TestConfig
from eldercare.demo import seed
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.orders.matching import LOCAL
from eldercare.orders.models import WorkOrder
from eldercare.vouchers import ledger
from tests.scratch import scratch_database

TARGET_PLANS = 50_000


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
            day = datetime.now(LOCAL).date() + timedelta(days=2)
            elders = db.session.scalars(select(Elder.id).where(Elder.status == "active")).all()
            items = db.session.scalars(select(Item.id).where(Item.active.is_(True))).all()
            slots = [clock(h, m) for h in range(8, 17) for m in (0, 15, 30, 45)]
            plans = []
            for n in range(args.plans):  # distinct (elder, time) so no plan collides with another's slot
                elder = elders[n % len(elders)]
                plans.append(dict(elder_id=elder, item_id=rng.choice(items), freq="daily", weekdays=[],
                                  interval_weeks=1, time_of_day=slots[(n // len(elders)) % len(slots)],
                                  quantity=1, start_date=date.today(), pay_with="self", status="active",
                                  family_care_bed=False, paused_by_registry=False))
            db.session.execute(insert(CarePlan), plans)
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                db.session.execute(db.text("ANALYZE"))
                db.session.commit()

            start = time.perf_counter()
            report = make_planned_orders(day)
            making = time.perf_counter() - start
            assert report.made + len(report.refused) == args.plans, report
            again = make_planned_orders(day)
            assert again.made == 0 and again.already == report.made, again
            assert ledger.check().ok

            # Baseline: the same number of work-order rows, inserted plainly in batches.
            db.session.execute(delete(WorkOrder).where(WorkOrder.note == "bench"))
            at = datetime.combine(day + timedelta(days=1), clock(9), LOCAL)
            start = time.perf_counter()
            for begin in range(0, args.plans, 5000):
                db.session.execute(insert(WorkOrder), [
                    dict(elder_id=p["elder_id"], item_id=p["item_id"], status="pending", scheduled_start=at,
                         scheduled_end=at + timedelta(hours=1), quantity=1, price_fen=1500, voucher_fen=0,
                         copay_fen=1500, pay_with="self", note="bench", ranking=[])
                    for p in plans[begin:begin + 5000]])
                db.session.commit()
            plain = time.perf_counter() - start
            dialect = db.engine.dialect.name
            db.session.remove()
            db.engine.dispose()
    rate = report.made / making if making else 0.0
    projected = TARGET_PLANS / rate if rate else float("inf")
    print(f"{dialect}: {args.plans:,} plans -> {report.made:,} orders made ({len(report.refused):,} refused) in "
          f"{making:.1f} s, {rate:.0f} orders/s; a rerun made none; plain insert of {args.plans:,} rows {plain:.2f} s; "
          f"ratio {making / plain:.0f}x")
    print(f"projected for {TARGET_PLANS:,} plans: {projected:.0f} s (target 30 s): "
          f"{'met' if projected <= 30 else 'NOT met'}")


if __name__ == "__main__":
    main()
