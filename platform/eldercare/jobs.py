"""Scheduled jobs: thin wrappers that open an app context and call a domain service. Each is idempotent and
safe to run from two schedulers at once (the services claim their rows with SKIP LOCKED)."""
import logging

from flask import Flask

log = logging.getLogger(__name__)
_app: Flask | None = None  # set by the scheduler process; APScheduler stores jobs by reference, not closures


def bind(app: Flask) -> None:
    global _app
    _app = app


def expire_offers() -> int:
    """Move on orders whose offer was not answered in time."""
    from .orders.dispatch import expire_offers as expire

    with _app.app_context():
        moved = expire()
    if moved:
        log.info("moved %d orders on from unanswered offers", moved)
    return moved


# (id, function, seconds between runs from config)
JOBS = (("expire-offers", expire_offers, "OFFER_SWEEP_SECONDS"),)
