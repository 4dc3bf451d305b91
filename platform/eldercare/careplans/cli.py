"""`flask make-planned-orders --date YYYY-MM-DD`."""
from datetime import date

import click


@click.command("make-planned-orders")
@click.option("--date", "day", required=True, help="The day whose planned visits to book, YYYY-MM-DD.")
def make_planned_orders_command(day):
    """Book one day's visits for every active care plan (idempotent: a rerun books nothing twice)."""
    from .making import make_planned_orders

    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    report = make_planned_orders(when)
    click.echo(f"{when}: {report.made} orders made, {report.already} already made, "
               f"{report.kept_caregiver} kept their caregiver, {len(report.refused)} refused.")
    for plan_id, why in report.refused:
        click.echo(f"  plan {plan_id}: {why}")
