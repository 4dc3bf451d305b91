"""`flask import-hardship FILE.csv`: apply a civil-affairs roster to the whole city."""
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..errors import ServiceError
from ..extensions import db
from .importer import import_roster


@click.command("import-hardship")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_hardship_command(path: Path):
    """Apply a hardship roster (id_number,status,effective_date). Valid rows are applied together; each
    rejected row is listed with its line number; exit status 1 if any row was rejected."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        total = max(sum(1 for _ in f) - 1, 0)
    try:
        with path.open(encoding="utf-8-sig", newline="") as f, \
                click.progressbar(length=total, label="Importing roster", show_pos=True) as bar:
            report = import_roster(f, source=f"名册导入 {path.name}", progress=bar.update)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException("; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in error.errors.items())
                                   or str(error.message)) from None
    except BaseException:
        db.session.rollback()  # nothing half-applied
        raise
    click.echo(f"{report.rows:,} rows: {report.updated:,} updated, {report.unchanged:,} unchanged, "
               f"{len(report.rejected):,} rejected.")
    for r in report.rejected:
        click.echo(f"line {r.line}: {r.id_number or '-'}: {r.reason}")
    if report.rejected:
        raise SystemExit(1)
