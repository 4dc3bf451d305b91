"""flask commands: create-user, seed-demo, ..."""
import click
from flask import Flask

from .extensions import db


def register_cli(app: Flask) -> None:
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
    from .careplans.cli import make_planned_orders_command

    app.cli.add_command(make_planned_orders_command)


@click.command("create-user")
@click.option("--role", required=True, type=click.Choice(
    ["elder", "family", "operator", "provider_admin", "caregiver", "bureau", "admin"]))
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
        fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.errors.items())
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
