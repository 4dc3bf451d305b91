"""One transaction per request, ended in one place: `end_request`, after the view has built its answer and
before any of it is sent.

- An answer below 400 (redirects included) commits: the request's work, its audit events and its
  Idempotency-Key record with the stored answer (idempotency.py), all at once.
- An error answer (4xx, 5xx) or an exception rolls everything back, the key record included.
- A commit that fails (a serialization failure or deadlock, a constraint checked at commit) turns the answer
  into 409 for a lost race, or a logged 500: a client never gets a success that was not stored.

Handlers, page views and services only flush. A page form refused by its service calls `discard()`
(web/forms.submit does): the refused work is undone at once, so the page that explains the refusal shows what
is stored, and the request commits nothing even if it answers with a redirect. Jobs (jobs.py), CLI commands
and the batch modules they call commit per batch; a test (tests/test_transactions.py) keeps `.commit()` there.
"""
import logging

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.exceptions import Conflict, InternalServerError

from .audit import services as audit
from .errors import handle_http_exception
from .extensions import db

log = logging.getLogger(__name__)

# Requests that run a batch job (voucher issuance) commit batch by batch, so a crash keeps the batches done
# and a rerun issues the rest; the job is idempotent by itself (once per elder and month). They are the only
# requests that commit more than once, and they ignore Idempotency-Key (idempotency.py says why).
JOB_ENDPOINTS = frozenset({"vouchers.issue", "voucher_pages.issuance_page"})

_DISCARDED = "transaction_discarded"
_COMMITS = "eldercare.commits"  # in the WSGI environ: one count per request, whatever app context it runs in


def as_stored(answer):
    """`answer` as a later GET gives it: flush, and have its objects read back from the database (times in UTC,
    collections in their stored order) rather than as the service left them. An endpoint's answer is built
    before the commit, whose expiry used to do this; a booking skips it, its answer is written as stored."""
    db.session.flush()
    db.session.expire_all()
    return answer


def discard() -> None:
    """Undo what the request has written so far, and commit nothing at its end (a refused page form)."""
    setattr(g, _DISCARDED, True)
    db.session.rollback()


def end_request(response: Response) -> Response:
    """Commit the request's transaction if its answer is a success, else roll it back (see the docstring)."""
    from .idempotency import forget, remember  # idempotency imports this module

    discarded = g.pop(_DISCARDED, False)
    kept = audit.kept_events()  # a failed login: logged whatever the answer
    if not db.session.registry.has() and not kept:  # never touched the database (a static file, a redirect)
        return response
    if discarded or response.status_code >= 400:
        forget()
        db.session.rollback()
        if kept:
            _write_kept(kept)
        return response
    try:
        audit.record_many(kept)
        remember(response)
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - whatever stopped the commit, the answer must not claim success
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection itself may be gone; teardown discards the session
            log.exception("rollback after a failed commit failed")
        return _commit_failed(error)
    return response


def _write_kept(kept: list[dict]) -> None:
    """The audit events a failed request must still leave (audit.record_despite_failure), in a transaction of
    their own after its rollback: the request's only commit."""
    try:
        audit.record_many(kept)
        db.session.commit()
    except Exception:  # noqa: BLE001 - the answer stands; losing the event is logged, never hidden
        log.exception("could not write the audit events of a failed request: %s", [e["action"] for e in kept])
        db.session.rollback()


def _lost_a_race(error: Exception) -> bool:
    """A unique or check constraint, or PostgreSQL's serialization failure and deadlock (SQLSTATE class 40):
    another transaction got there first, and the same request sent again may well succeed."""
    if isinstance(error, IntegrityError):
        return True
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None) or ""
    return sqlstate.startswith("40")


def _commit_failed(error: Exception) -> Response:
    if _lost_a_race(error):
        log.warning("commit refused on %s %s: %s", request.method, request.path, error)
        answer = handle_http_exception(Conflict())
    else:
        log.error("commit failed on %s %s", request.method, request.path, exc_info=error)
        answer = handle_http_exception(InternalServerError())
    return current_app.make_response(answer)


def install_commit_guard(app: Flask) -> None:
    """For the test suite (TestConfig.COMMIT_GUARD): refuse a request's second commit, whether through the
    session or straight on a connection, and list the request in app.extensions["commit_guard"] for the
    test harness to fail the test. Savepoints are not commits; requests in JOB_ENDPOINTS are let through."""
    caught = app.extensions.setdefault("commit_guard", [])

    def count(kind: str) -> None:
        if not has_request_context() or current_app._get_current_object() is not app:
            return
        if request.endpoint in JOB_ENDPOINTS:
            return
        counts = request.environ.setdefault(_COMMITS, {})
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] > 1:
            caught.append(f"{request.method} {request.full_path.rstrip('?')} ({request.endpoint}) committed "
                          f"{counts[kind]} times ({kind})")
            raise AssertionError(f"a request commits once: {caught[-1]}")

    @event.listens_for(Session, "before_commit")
    def session_commit(session):
        if not session.in_nested_transaction():
            count("session")

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "commit")
    def connection_commit(connection):
        count("connection")


def register_transactions(app: Flask) -> None:
    app.after_request(end_request)
    if app.config.get("COMMIT_GUARD"):
        install_commit_guard(app)
