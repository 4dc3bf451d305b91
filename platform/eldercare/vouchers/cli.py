"""`flask issue-vouchers` and `flask check-ledger`."""
import click
from sqlalchemy import func, select

from ..elders.models import Elder
from ..errors import ServiceError
from ..extensions import db


@click.command("issue-vouchers")
@click.option("--period", required=True, help="The current month, YYYY-MM (only it can be issued).")
def issue_vouchers_command(period):
    """Lapse what may not carry over and issue the current month's vouchers to every eligible elder (idempotent:
    a rerun issues only what is missing)."""
    from ..apibase import month_from
    from .issuance import issue_period, lapse_period

    total = db.session.scalar(select(func.count(Elder.id)).where(Elder.status == "active",
                                                                 Elder.care_level.is_not(None)))
    try:
        month = month_from(period)  # parsed once: "２０２６-１２" is refused, not taken for December
        lapsed = lapse_period(month)
        with click.progressbar(length=total, label=f"Issuing {month}", show_pos=True) as bar:
            report = issue_period(month, progress=bar.update)
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    click.echo(f"{month}: {report.issued:,} elders issued {report.total_fen / 100:,.2f} yuan; "
               f"{report.already:,} already had theirs; {report.eligible:,} eligible; "
               f"{len(report.left_out):,} left out by the budget; {lapsed / 100:,.2f} yuan lapsed.")


@click.command("check-ledger")
def check_ledger_command():
    """Prove from the entries that every transaction balances, every cached balance is right, each month's
    grants are exactly what the ledger issued, no elder was granted a month twice however it was spelled, and
    every month is written YYYY-MM in ASCII digits, and the reports' summary of each district's months issued and
    lapsed is what the ledger moved."""
    from .ledger import check

    result = check()
    click.echo(f"{result.transactions:,} transactions, {result.entries:,} entries.")
    for txn in result.unbalanced:
        click.echo(f"transaction {txn} does not balance")
    for account, cached, derived in result.wrong_balances:
        click.echo(f"account {account}: cached {cached} fen, entries say {derived} fen")
    for account in result.negative:
        click.echo(f"account {account} is below zero")
    for period, granted, moved in result.grants_unmatched:
        click.echo(f"{period}: {granted} fen granted but {moved} fen issued to elders")
    for month, elder_id, spellings in result.double_grants:
        click.echo(f"elder {elder_id} was granted {month} {len(spellings)} times: {', '.join(spellings)}")
    for table, row, period in result.odd_periods:
        where = f"{table} row of elder {row}" if table == "voucher_grants" else f"{table} row {row}"
        click.echo(f"{where}: period {period!r} is not a month written YYYY-MM in ASCII digits")
    for district, period, kind, summary, moved in result.summary_unmatched:
        click.echo(f"district {district}, {period}: the reports' summary has {summary} fen {kind}d by community, "
                   f"the district's account {moved} fen")
    if not result.ok:
        raise SystemExit(1)
    click.echo("The ledger balances.")
