"""Scheduled jobs: thin wrappers that open an app context, call a domain service and commit once at the end
(services only flush; issuance and care plans' orders commit batch by batch themselves). Each is idempotent and
safe to run from two schedulers at once (the services claim their rows with SKIP LOCKED)."""
import logging

from flask import Flask

from . import clock

log = logging.getLogger(__name__)
_app: Flask | None = None  # set by the scheduler process; APScheduler stores jobs by reference, not closures


def bind(app: Flask) -> None:
    global _app
    _app = app


def expire_offers() -> int:
    """Move on orders whose offer was not answered in time."""
    from .extensions import db
    from .orders.dispatch import expire_offers as expire

    with _app.app_context():
        moved = expire()
        db.session.commit()
    if moved:
        log.info("moved %d orders on from unanswered offers", moved)
    return moved


def monthly_vouchers() -> int:
    """On the 1st: lapse what may not carry over, then issue the month (both idempotent, so a second
    scheduler, a retry or a run after a crash changes nothing more)."""
    from .extensions import db
    from .vouchers.issuance import issue_period, lapse_period

    period = clock.this_month()  # Beijing's month: at 00:05 on the 1st a UTC server is still on the last day
    with _app.app_context():
        lapse_period(period)
        report = issue_period(period)
        db.session.commit()  # issuance commits batch by batch itself; this ends the job's last transaction
    log.info("issued %s vouchers to %d elders", period, report.issued)
    return report.issued


def auto_confirm_visits() -> int:
    """Confirm visits nobody confirmed within 48 hours of check-out."""
    from .extensions import db
    from .orders.lifecycle import auto_confirm

    with _app.app_context():
        confirmed = auto_confirm()
        db.session.commit()
        return confirmed


def planned_orders() -> int:
    """Book the care plans' visits of the day that starts PLAN_AHEAD_HOURS from now (48 by default). Hourly,
    so a plan made today still gets its visits the day after tomorrow; reruns make nothing twice."""
    from datetime import timedelta

    from .careplans.making import make_planned_orders
    from .extensions import db

    with _app.app_context():
        ahead = timedelta(hours=_app.config["PLAN_AHEAD_HOURS"])
        day = clock.local_date(clock.now() + ahead)
        report = make_planned_orders(day)
        db.session.commit()  # the plans' orders are committed batch by batch; this ends the job's last transaction
    if report.made or report.refused:
        log.info("%s: %d planned orders made, %d refused", day, report.made, len(report.refused))
    return report.made


def monthly_settlement() -> int:
    """On the 1st: a statement per provider for last month's confirmed visits, committed pass by pass (see generate).
    Safe twice: a provider with nothing new gets no statement, and an order is on one statement only."""
    from .extensions import db
    from .settlement.services import generate

    period = clock.this_month().previous()  # Beijing's month, as for the vouchers
    with _app.app_context():
        made = generate(period, each=lambda _made, _providers: db.session.commit())
        db.session.commit()
        count = len(made)
    log.info("settled %s: %d statements", period, count)
    return count


def audit_scan() -> int:
    """Run the anomaly rules over yesterday's visits (Beijing's yesterday); a rerun finds nothing twice."""
    from datetime import timedelta

    from .audit.rules import scan
    from .extensions import db

    day = clock.today() - timedelta(days=1)
    with _app.app_context():
        report = scan(day, day)
        db.session.commit()
    log.info("audit scan of %s: %d new findings", day, report.findings)
    return report.findings


def seal_audit_log() -> int:
    """Link the audit events committed since the last run into the hash chain (audit/chain.py)."""
    from .audit.cli import seal_all

    with _app.app_context():
        return seal_all()


def export_audit_head() -> str:
    """Append the day's head of the audit chain to AUDIT_HEAD_FILE, for the bureau to keep elsewhere."""
    from .audit.cli import export_head

    with _app.app_context():
        line = export_head().line
    log.info("audit chain head: %s", line)
    return line


# (id, function, trigger arguments given the app's config)
JOBS = (
    ("expire-offers", expire_offers, lambda config: dict(trigger="interval", seconds=config["OFFER_SWEEP_SECONDS"])),
    ("auto-confirm", auto_confirm_visits, lambda config: dict(trigger="interval", minutes=10)),
    ("planned-orders", planned_orders, lambda config: dict(trigger="interval", hours=1)),
    # 00:05 Beijing time on the 1st of each month.
    ("monthly-vouchers", monthly_vouchers,
     lambda config: dict(trigger="cron", day=1, hour=0, minute=5, timezone=clock.LOCAL)),
    # 02:00 Beijing time on the 1st: last month's statements.
    ("monthly-settlement", monthly_settlement,
     lambda config: dict(trigger="cron", day=1, hour=2, minute=0, timezone=clock.LOCAL)),
    # 01:30 Beijing time: yesterday's visits, checked out and confirmed by now for the most part.
    ("audit-scan", audit_scan, lambda config: dict(trigger="cron", hour=1, minute=30, timezone=clock.LOCAL)),
    ("seal-audit-log", seal_audit_log, lambda config: dict(trigger="interval", minutes=1)),
    # 00:15 Beijing time each day: the head as the day closed.
    ("export-audit-head", export_audit_head,
     lambda config: dict(trigger="cron", hour=0, minute=15, timezone=clock.LOCAL)),
)
