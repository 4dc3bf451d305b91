"""flask commands: create-user, seed-demo, serve, ..."""
import ctypes
import logging
import os
import signal
import subprocess  # nosec B404
import sys
import threading

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext

from .extensions import db

log = logging.getLogger(__name__)


def register_cli(app: Flask) -> None:
    from .audit.cli import export_audit_head_command, seal_audit_log_command, verify_audit_log_command
    from .demo.cli import seed_demo_command
    from .hardship.cli import import_hardship_command
    from .scheduler import scheduler_command
    from .vouchers.cli import check_ledger_command, issue_vouchers_command

    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(import_hardship_command)
    app.cli.add_command(import_events_command)
    app.cli.add_command(issue_vouchers_command)
    app.cli.add_command(check_ledger_command)
    app.cli.add_command(scheduler_command)
    for command in (seal_audit_log_command, verify_audit_log_command, export_audit_head_command):
        app.cli.add_command(command)
    app.cli.add_command(serve_command)
    from .careplans.cli import make_planned_orders_command

    app.cli.add_command(make_planned_orders_command)
    from .settlement.cli import settle_command

    app.cli.add_command(settle_command)


@click.command("create-user")
@click.option("--role", required=True, type=click.Choice(
    ["elder", "family", "operator", "provider_admin", "caregiver", "point_staff", "bureau", "admin"]))
@click.option("--username", required=True)
@click.option("--region-id", type=int, default=None, help="The region a bureau or operator account works in.")
@click.option("--provider-id", type=int, default=None, help="The provider a provider_admin or caregiver works for.")
@click.password_option()
def create_user_command(role, username, region_id, provider_id, password):
    """Create an account; prompts for the password twice."""
    from .accounts.services import create_user
    from .errors import ServiceError

    try:
        user = create_user(username=username, password=password, role=role,
                           scope_region_id=region_id, provider_id=provider_id)
    except ServiceError as error:
        db.session.rollback()
        fields = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in error.errors.items())
        raise click.ClickException(fields or error.message) from None
    db.session.commit()
    click.echo(f"Created {user.role} account {user.username!r} (id {user.id}).")


@click.command("import-events")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_events_command(path):
    """Record registry events in bulk (id_number,kind,occurred_on,note): deaths, hospital stays, moves into
    care homes. Lists every row that could not be recorded; exit status 1 if any."""
    from .elders.events_import import import_events
    from .errors import ServiceError

    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            report = import_events(f)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    click.echo(f"{report.rows:,} rows: {report.recorded:,} recorded, {report.already:,} already recorded, "
               f"{len(report.rejected):,} rejected.")
    for line, number, reason in report.rejected:
        click.echo(f"line {line}: {number or '-'}: {reason}")
    if report.rejected:
        raise SystemExit(1)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host, port):
    """Serve the pages and run the scheduler beside them, as `make run` does: without the scheduler care plans
    never become orders and unanswered offers never move on. Ctrl-C stops both. In production run the WSGI
    server and `flask scheduler` as two services instead."""
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()
    scheduler = _start_scheduler(click.get_current_context().find_object(ScriptInfo))
    stopping, died = threading.Event(), []

    def watch():
        # A server without its scheduler looks fine and quietly does half the work: stop both instead.
        code = scheduler.wait()
        if not stopping.is_set():
            died.append(code)
            log.error("the scheduler process exited (status %s); stopping the server", code)
            os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, name="scheduler-watch", daemon=True).start()
    # Ctrl-C, and `kill` (SIGTERM), stop the server, and the scheduler with it below. Set here because a shell
    # starts a background job (`make run &`) with SIGINT ignored, and Python then leaves it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)  # a reloader would start a second scheduler
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        _stop(scheduler)
    if died:
        raise SystemExit(1)


def _start_scheduler(info: ScriptInfo | None) -> subprocess.Popen:
    """`flask scheduler` for the same app, as a child process. Its own session, so Ctrl-C reaches only this
    process, which stops it in order; and on Linux it is told to stop if this process dies without doing so."""
    app_path = (info.app_import_path if info else None) or os.environ.get("FLASK_APP") or "wsgi"
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", app_path, "scheduler"],  # nosec B603
                            start_new_session=True, preexec_fn=_stop_with_parent)


def _stop_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent dies (prctl PR_SET_PDEATHSIG; Linux only), so a
    server killed with SIGKILL leaves no scheduler behind."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _stop(scheduler: subprocess.Popen) -> None:
    if scheduler.poll() is not None:
        return
    scheduler.terminate()  # SIGTERM: `flask scheduler` shuts down in order and exits 0
    try:
        scheduler.wait(timeout=10)
    except subprocess.TimeoutExpired:
        scheduler.kill()
        scheduler.wait()
