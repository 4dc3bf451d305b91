"""flask seal-audit-log, verify-audit-log and export-audit-head: the audit log's hash chain from the command line
(and the scheduler's jobs, which call `seal_all` and `export_head`)."""
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..extensions import db
from . import chain


def seal_all(size: int = chain.SEAL_BATCH) -> int:
    """Link every committed, unsealed audit row into the chain, one committed batch at a time (each batch holds
    the sealers' lock only while it runs). Safe to run from two processes at once. Returns how many were sealed."""
    total, after = 0, 0
    while True:
        sealed, after = chain.seal_batch(after, size)
        db.session.commit()
        total += sealed
        if after is None:
            return total


def export_head() -> chain.ExportedHead:
    """Seal, then append today's head line to AUDIT_HEAD_FILE; the line is returned to be printed or kept."""
    seal_all()
    head = chain.current_head()
    chain.append_head(head)
    db.session.commit()
    return head


@click.command("seal-audit-log")
@with_appcontext
def seal_audit_log_command():
    """Link the audit events written since the last seal into the hash chain."""
    click.echo(f"sealed {seal_all():,} audit events")


@click.command("verify-audit-log")
@click.option("--head", "heads", default=None,
              help="An exported head line ('YYYY-MM-DD seq hash') or a file of them, to catch a rewritten chain.")
@click.option("--no-seal", is_flag=True, help="Check without sealing first (reads only).")
@with_appcontext
def verify_audit_log_command(heads, no_seal):
    """Re-check the audit log's hash chain; exit 1 naming the first event changed, removed or inserted."""
    exported = []
    if heads is not None:
        text = Path(heads).read_text(encoding="utf-8") if Path(heads).is_file() else heads
        try:
            exported = chain.parse_heads(text)
        except chain.BadHead as error:
            raise click.BadParameter(str(error), param_hint="--head") from None
    if not no_seal:
        seal_all()
    verdict = chain.verify(exported)
    db.session.rollback()
    against = f", against {len(exported)} exported head(s)" if exported else ""
    if verdict.ok:
        click.echo(f"ok: {verdict.checked:,} events checked ({verdict.sealed:,} sealed, {verdict.pending:,} "
                   f"waiting for the sealer); head {verdict.head_seq} {verdict.head_hash}{against}")
        return
    where = f"event id {verdict.first_bad_id}" if verdict.first_bad_id is not None else "the chain"
    seq = f" (seq {verdict.first_bad_seq})" if verdict.first_bad_seq is not None else ""
    click.echo(f"FAILED at {where}{seq}: {verdict.reason}; {verdict.checked:,} events checked{against}", err=True)
    raise SystemExit(1)


@click.command("export-audit-head")
@with_appcontext
def export_audit_head_command():
    """Seal, append today's head of the audit chain (date, seq, hash) to AUDIT_HEAD_FILE, and print it."""
    head = export_head()
    click.echo(head.line)
