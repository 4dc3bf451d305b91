"""The scheduler keeps its jobs in the database: a restarted process finds them, and the offers it sweeps
have their deadlines in the database too, so nothing is lost while it is down."""
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine, text

from eldercare.jobs import JOBS
from eldercare.scheduler import JOB_TABLE, build_scheduler


def test_jobs_are_stored_in_the_database_and_survive_a_restart(app):
    first = build_scheduler(app, BackgroundScheduler)
    first.start(paused=True)
    first.shutdown(wait=False)

    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as conn:
        stored = conn.execute(text(f"SELECT id FROM {JOB_TABLE}")).scalars().all()
    engine.dispose()
    assert "expire-offers" in stored

    second = build_scheduler(app, BackgroundScheduler)
    second.start(paused=True)
    try:
        job = second.get_job("expire-offers")
        assert job is not None and job.trigger.interval.total_seconds() == app.config["OFFER_SWEEP_SECONDS"]
        assert len(second.get_jobs()) == len(JOBS)  # replaced, not duplicated
        assert second.get_job("planned-orders").trigger.interval.total_seconds() == 3600
        monthly = second.get_job("monthly-vouchers")
        assert str(monthly.trigger) == "cron[day='1', hour='0', minute='5']"
        assert str(monthly.trigger.timezone) == "Asia/Shanghai"
        settling = second.get_job("monthly-settlement")  # last month's statements, after the vouchers' turn
        assert str(settling.trigger) == "cron[day='1', hour='2', minute='0']"
        assert str(settling.trigger.timezone) == "Asia/Shanghai"
        assert second.get_job("seal-audit-log").trigger.interval.total_seconds() == 60
        assert str(second.get_job("export-audit-head").trigger) == "cron[hour='0', minute='15']"
    finally:
        second.shutdown(wait=False)
