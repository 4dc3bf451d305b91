"""Scratch databases: a file for SQLite, a database of its own on the PostgreSQL server DATABASE_URL
names, so that test runs (and xdist workers) never share tables."""
import os
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from eldercare.config import TestConfig


@contextmanager
def scratch_database(tmp_dir, label: str):
    """Yield the URI of a new, empty database; drop it afterwards."""
    if not os.environ.get("DATABASE_URL"):
        yield f"sqlite:///{tmp_dir / f'{label}.sqlite3'}"
        return
    server = make_url(TestConfig.SQLALCHEMY_DATABASE_URI)
    name = f"{server.database}_{label}_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
