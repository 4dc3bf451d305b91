"""`flask settle --period YYYY-MM`."""
import click

from ..errors import ServiceError
from ..extensions import db


@click.command("settle")
@click.option("--period", required=True, help="The month, YYYY-MM: any month begun (the current one settles what "
                                              "is confirmed so far).")
def settle_command(period):
    """One statement per provider for the month's confirmed visits not yet on a statement (a supplementary one
    after the first), committed pass by pass (the providers no other run holds, then the others once free):
    stopped half-way and run again, it settles each order exactly once."""
    from ..apibase import month_from
    from .services import generate, providers_to_settle

    try:
        month = month_from(period)
        total = len(providers_to_settle(month))
        with click.progressbar(length=total, label=f"Settling {month}", show_pos=True) as bar:
            def each(_made, providers):
                db.session.commit()  # the pass's statements stay, whatever happens to the next
                bar.update(providers)

            made = generate(month, each=each)
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    lines = sum(s.line_count for s in made)
    fen = sum(s.voucher_total_fen for s in made)
    held = sum(len(s.held_back or []) for s in made)
    click.echo(f"{month}: {len(made):,} statements, {lines:,} orders, {fen / 100:,.2f} yuan of vouchers; "
               f"{held:,} orders held back.")
