"""Test harness: one schema per run, emptied after every test; the same suite on SQLite and, when
DATABASE_URL names one, PostgreSQL. Tests commit like real requests do, so concurrency tests can use
real connections and the browser tests a live server on the same database."""
import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from eldercare import create_app
from eldercare.config import TestConfig
from eldercare.extensions import db as _db
from eldercare.extensions import limiter

from .browser import page_routes
from .factories import FACTORIES, make_token
from .pages import Pages
from .scratch import scratch_database


def pytest_configure(config):
    page_routes.register(config)  # every page route is visited by a browser test (tests/browser/page_routes.py)


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    with scratch_database(tmp_path_factory.mktemp("db"), "run") as uri:
        yield uri


class FreshContextClient(FlaskClient):
    """Each request in its own app context, as in production. Tests hold an app context open for the
    factories, and a request would otherwise reuse it, carrying `g` (and the logged-in user) over."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_uri):
    config = type("RunConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_uri})
    app = create_app(config)
    app.test_client_class = FreshContextClient
    with app.app_context():
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
    # TestConfig.COMMIT_GUARD: every request the test made committed at most once (transactions.py).
    caught = app.extensions["commit_guard"]
    twice, caught[:] = list(caught), []
    assert not twice, f"requests that committed more than once: {twice}"


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


@pytest.fixture
def pages(client):
    """The test client used like a browser: `pages.login(username)`, forms with `pages.token(path)`."""
    return Pages(client)
