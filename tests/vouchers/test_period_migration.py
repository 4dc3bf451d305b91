"""The migration that has the database refuse a month not written YYYY-MM in ASCII digits: it will not run while
such rows exist, and names them; once they are put right it runs, and the database refuses them from then on."""
import pytest
from alembic import command
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from eldercare import create_app
from eldercare.config import TestConfig
from eldercare.extensions import db

from ..scratch import scratch_database

BEFORE = "c4e8a1f2b7d3"  # the revision just before the check
ODD = ("INSERT INTO ledger_transactions (kind, key, period, amount_fen, created_at) "
       "VALUES ('issue', :key, :period, 30000, CURRENT_TIMESTAMP)")


@pytest.fixture
def before_the_check(tmp_path):
    with scratch_database(tmp_path, "period") as uri:
        app = create_app(type("MigrConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri}))
        with app.app_context():
            upgrade(revision=BEFORE)
            engine = create_engine(uri)
            yield engine
            engine.dispose()
            db.session.remove()
            db.engine.dispose()


def test_the_migration_names_the_rows_to_put_right_and_then_the_database_refuses_them(before_the_check):
    engine = before_the_check
    with engine.begin() as conn:
        conn.execute(text(ODD), {"key": "issue:7:２０２６-１２", "period": "２０２６-１２"})
        conn.execute(text(ODD), {"key": "issue:7:2026-12", "period": "2026-12"})
    # Alembic itself, to see the error (flask-migrate's upgrade logs it and exits).
    with pytest.raises(RuntimeError, match=r"ledger_transactions \(id, period\): \[\(1, '２０２６-１２'\)\]"):
        command.upgrade(current_app.extensions["migrate"].migrate.get_config(), "head")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_transactions WHERE period <> '2026-12'"))
    upgrade()
    for spelling in ("٢٠٢٦-١٢", "2026-1２", "2026-13"):
        with engine.begin() as conn, pytest.raises(IntegrityError, match="period_canonical"):
            conn.execute(text(ODD), {"key": f"issue:7:{spelling}", "period": spelling})
        with engine.begin() as conn, pytest.raises(IntegrityError, match="period_canonical"):
            conn.execute(text("INSERT INTO voucher_grants (period, elder_id, amount_fen) VALUES (:period, 7, 1)"),
                         {"period": spelling})
    with engine.begin() as conn:
        conn.execute(text(ODD), {"key": "hold:1", "period": None})  # a movement of no month
    downgrade(revision=BEFORE)
    with engine.begin() as conn:
        conn.execute(text(ODD), {"key": "issue:7:2026-1２", "period": "2026-1２"})
