"""Test harness: one schema per run, emptied after every test; the same suite on SQLite and, when
DATABASE_URL names one, PostgreSQL. Tests commit like real requests do, so concurrency tests can use
real connections and the browser tests a live server on the same database."""
import os

import pytest
from sqlalchemy import text

from eldercare import create_app
from eldercare.config import TestConfig
from eldercare.extensions import db as _db
from eldercare.extensions import limiter

from .factories import FACTORIES, make_token


def _database_uri(tmp_path_factory) -> str:
    if os.environ.get("DATABASE_URL"):
        return TestConfig.SQLALCHEMY_DATABASE_URI
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    config = type("RunConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": _database_uri(tmp_path_factory)})
    app = create_app(config)
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def _empty_all_tables():
    _db.session.rollback()
    tables = list(reversed(_db.metadata.sorted_tables))
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        _db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            _db.session.execute(table.delete())
    _db.session.commit()


@pytest.fixture(autouse=True)
def db(app):
    """An app context and an empty database for every test."""
    with app.app_context():
        for factory in FACTORIES:
            factory._meta.sqlalchemy_session = _db.session
        limiter.reset()
        yield _db
        _db.session.remove()
        _empty_all_tables()


@pytest.fixture
def is_postgres(db):
    return db.engine.dialect.name == "postgresql"


@pytest.fixture
def client(app):
    return app.test_client()


class ApiClient:
    """The test client with a bearer token: `api.as_(user).post(path, json=...)`."""

    def __init__(self, client, token=None):
        self._client = client
        self._token = token

    def as_(self, user):
        return ApiClient(self._client, make_token(user))

    def _headers(self, headers):
        merged = dict(headers or {})
        if self._token:
            merged.setdefault("Authorization", f"Bearer {self._token}")
        return merged

    def get(self, path, headers=None, **kw):
        return self._client.get(path, headers=self._headers(headers), **kw)

    def post(self, path, headers=None, **kw):
        return self._client.post(path, headers=self._headers(headers), **kw)

    def patch(self, path, headers=None, **kw):
        return self._client.patch(path, headers=self._headers(headers), **kw)

    def delete(self, path, headers=None, **kw):
        return self._client.delete(path, headers=self._headers(headers), **kw)


@pytest.fixture
def api(client):
    return ApiClient(client)
