"""`flask scheduler`: the one process that runs timed work (offer deadlines now; vouchers and settlement
later). APScheduler keeps its jobs in the application's database, so they survive a restart; what each job
acts on (an offer's deadline, a month's issuance) is itself in the database, so nothing is lost while the
process is down: the next run catches up."""
import signal

import click
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import current_app
from flask.cli import with_appcontext

from . import jobs

JOB_TABLE = "apscheduler_jobs"


def build_scheduler(app, scheduler_class=BlockingScheduler):
    jobs.bind(app)
    store = SQLAlchemyJobStore(url=app.config["SQLALCHEMY_DATABASE_URI"], tablename=JOB_TABLE)
    scheduler = scheduler_class(jobstores={"default": store}, timezone="UTC",
                                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    for job_id, func, trigger in jobs.JOBS:
        scheduler.add_job(func, id=job_id, replace_existing=True, **trigger(app.config))
    return scheduler


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once now and exit (for cron or a check).")
@with_appcontext
def scheduler_command(once):
    """Run the scheduler process (offer deadlines; later vouchers and settlements)."""
    app = current_app._get_current_object()
    if once:
        jobs.bind(app)
        for job_id, func, _ in jobs.JOBS:
            click.echo(f"{job_id}: {func()}")
        return
    scheduler = build_scheduler(app)
    click.echo(f"Scheduler running {len(jobs.JOBS)} jobs; Ctrl-C to stop.")
    # SIGTERM (a service manager's stop, `flask serve` stopping its scheduler) shuts down as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
