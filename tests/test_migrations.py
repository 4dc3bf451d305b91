"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from eldercare import create_app
from eldercare.config import TestConfig
from eldercare.extensions import db

from .scratch import scratch_database


@pytest.fixture
def migrated(tmp_path):
    with scratch_database(tmp_path, "migr") as uri:
        app = create_app(type("MigrConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri}))
        with app.app_context():
            upgrade()
            yield app, uri
            db.session.remove()
            db.engine.dispose()


def test_models_and_migrations_agree(migrated):
    _, uri = migrated
    engine = create_engine(uri)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    engine.dispose()
    assert differences == []


def test_downgrade_to_base_removes_every_table(migrated):
    _, uri = migrated
    downgrade(revision="base")
    engine = create_engine(uri)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
