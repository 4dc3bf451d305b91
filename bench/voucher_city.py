"""The reference city for the voucher benchmarks (issuance, the month's turn): the demo city with `n` elders,
everyone assessed and alive so that all `n` are issued (the worst case for time), and a policy in every
district paying 300 yuan a month to a moderate elder. On PostgreSQL when DATABASE_URL names one."""
import tempfile
from contextlib import contextmanager
from datetime import date, time
from pathlib import Path

import time_machine
from sqlalchemy import select, update

from eldercare import clock, create_app
from eldercare.catalog.models import Category
from eldercare.config import TestConfig
from eldercare.demo import seed
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.regions.models import Region
from eldercare.vouchers.models import VoucherPolicy, VoucherTier
from tests.scratch import scratch_database

MONTHLY_FEN = 30000


@contextmanager
def voucher_city(n: int, label: str):
    """An app context on a new database holding the city; the database is dropped afterwards."""
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), label) as uri:
        app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri}))
        with app.app_context():
            db.create_all()
            seed.seed_demo(n)
            db.session.execute(update(Elder).values(care_level="moderate", status="active"))
            meal = db.session.scalar(select(Category).where(Category.code == "meal"))
            for district_id in db.session.scalars(select(Region.id).where(Region.level == "district")):
                db.session.add(VoucherPolicy(
                    region_id=district_id, name="bench", valid_from=date(2026, 1, 1), categories=[meal],
                    tiers=[VoucherTier(care_level="moderate", hardship="any", monthly_fen=MONTHLY_FEN,
                                       copay_percent=30)]))
            db.session.commit()
            analyze()
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()


def analyze() -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL), as autovacuum would give a live city."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()


def in_month(month: str):
    """The clock at 00:05 on the 1st of `month` in Beijing, when the scheduler turns it: only the current month
    can be issued. The benchmarks time with perf_counter, which the clock does not move."""
    return time_machine.travel(clock.at_local(clock.Month.parse(month).first_day, time(0, 5)), tick=True)
