"""Login throttling (issue 19, low): failed logins are counted per account and per address, in the limiter's
shared store, by the login page and the API together; X-Forwarded-For names the client only behind as many
proxies as TRUSTED_PROXIES says.

Under the old rule (one count per address, 5 a minute, in process memory) a botnet guessed one password from
many addresses unhindered, a NAT's 6th failure locked out everyone behind it, a forged X-Forwarded-For was
either ignored or believed depending on the deployment, and 4 gunicorn workers kept 4 separate counts."""
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import pytest
from limits.storage import storage_from_string

from eldercare import create_app
from eldercare.config import TestConfig
from eldercare.extensions import db

from ..factories import PASSWORD, UserFactory
from ..pages import csrf_token

WRONG = "not-the-password"
ACCOUNT_LIMIT = 5  # TestConfig.LOGIN_ACCOUNT_FAILURE_LIMIT: 5 per 15 minutes
ADDRESS_LIMIT = 20  # TestConfig.LOGIN_ADDRESS_FAILURE_LIMIT: 20 per minute


def api_login(client, username, password=WRONG, address="192.0.2.1", headers=None):
    return client.post("/api/v1/auth/tokens", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def page_login(client, username, password=WRONG, address="192.0.2.1"):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    form = {"username": username, "password": password, "csrf_token": csrf_token(page)}
    return client.post("/login", data=form, environ_base={"REMOTE_ADDR": address})


def retry_after(response) -> int:
    return int(response.headers["Retry-After"])


# --- per account ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["wang", "nobody-has-this-name"])
def test_an_account_locks_after_five_failures_from_any_addresses(client, username):
    UserFactory(username="wang")
    # A botnet: every guess from another address, in any case of the username.
    codes = [api_login(client, name, address=f"198.51.100.{i}").status_code
             for i, name in enumerate([username, username.upper(), f" {username} ", username, username.title()])]
    assert codes == [401] * ACCOUNT_LIMIT
    locked = api_login(client, username, address="203.0.113.9")
    assert locked.status_code == 429 and locked.json["code"] == 429
    assert 0 < retry_after(locked) <= 15 * 60
    # The right password waits too: it is not even checked. An account that does not exist behaves the same, so
    # the lock-out tells nobody which usernames are real.
    assert api_login(client, username, PASSWORD, address="203.0.113.10").status_code == 429
    # Other accounts are untouched, from the same addresses.
    UserFactory(username="li")
    assert api_login(client, "li", PASSWORD, address="198.51.100.0").status_code == 201


def test_a_right_password_clears_its_own_accounts_count(client):
    UserFactory(username="wang")
    assert [api_login(client, "wang", address=f"198.51.100.{i}").status_code for i in range(4)] == [401] * 4
    assert api_login(client, "Wang", PASSWORD).status_code == 201
    # The owner's earlier mistakes are forgiven; a full count of new failures is needed to lock the account.
    assert [api_login(client, "wang", address=f"198.51.100.{i}").status_code for i in range(5)] == [401] * 5
    assert api_login(client, "wang").status_code == 429


# --- per address ---------------------------------------------------------------------------------------------


def test_an_address_locks_after_twenty_failures_across_accounts(client):
    UserFactory(username="wang")
    # One machine trying one guess on many accounts; each account's count stays at 1.
    codes = [api_login(client, f"user{i}", address="192.0.2.7").status_code for i in range(ADDRESS_LIMIT)]
    assert codes == [401] * ADDRESS_LIMIT
    locked = api_login(client, "someone-else", address="192.0.2.7")
    assert locked.status_code == 429 and 0 < retry_after(locked) <= 60
    assert api_login(client, "wang", PASSWORD, address="192.0.2.7").status_code == 429
    # Another address is not locked out, and neither is wang's account.
    assert api_login(client, "wang", PASSWORD, address="192.0.2.8").status_code == 201


def test_people_behind_one_address_are_not_locked_out_by_a_few_mistakes(client):
    """A NAT (an office, a carrier): several people mistyping now and then stay well under the address's count,
    and one person's success does not wipe out the count of the others' failures."""
    for name in ("wang", "li", "zhao"):
        UserFactory(username=name)
    for name in ("wang", "li", "zhao"):
        assert [api_login(client, name).status_code for _ in range(3)] == [401] * 3
    assert all(api_login(client, name, PASSWORD).status_code == 201 for name in ("wang", "li", "zhao"))
    # 9 failures so far; a success of wang's did not reset them: 11 more reach the address's limit.
    assert [api_login(client, f"guess{i}").status_code for i in range(ADDRESS_LIMIT - 9)] == [401] * 11
    assert api_login(client, "wang", PASSWORD).status_code == 429


# --- the page and the API count together ------------------------------------------------------------------------


def test_the_page_and_the_api_share_both_counts(client):
    UserFactory(username="wang")
    assert [api_login(client, "wang", address=f"198.51.100.{i}").status_code for i in range(3)] == [401] * 3
    assert [page_login(client, "WANG", address=f"198.51.100.{i}").status_code for i in range(3, 5)] == [401] * 2
    page = page_login(client, "wang", PASSWORD, address="203.0.113.1")
    assert page.status_code == 429 and page.mimetype == "text/html" and 0 < retry_after(page) <= 15 * 60
    assert "尝试次数过多" in page.get_data(as_text=True)
    api = api_login(client, "wang", PASSWORD, address="203.0.113.2")
    assert api.status_code == 429 and api.is_json and 0 < retry_after(api) <= 15 * 60

    # The address count, too: failures on the page and the API from one address add up.
    failures = [page_login(client, f"p{i}", address="192.0.2.50").status_code for i in range(10)]
    failures += [api_login(client, f"a{i}", address="192.0.2.50").status_code for i in range(10)]
    assert failures == [401] * ADDRESS_LIMIT
    assert api_login(client, "x", address="192.0.2.50").status_code == 429
    assert page_login(client, "x", address="192.0.2.50").status_code == 429


# --- X-Forwarded-For -----------------------------------------------------------------------------------------


@pytest.fixture
def app_behind(database_uri):
    """An app of its own with TRUSTED_PROXIES set (ProxyFix is wired in create_app), on the suite's database."""
    made = []

    def build(proxies: int):
        app = create_app(type("ProxyConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_uri,
                                                             "TRUSTED_PROXIES": proxies}))
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.engine.dispose()


def test_a_forged_x_forwarded_for_changes_nothing_without_trusted_proxies(client):
    for i in range(ADDRESS_LIMIT):
        forged = {"X-Forwarded-For": f"10.9.{i}.1"}  # a new "address" every time
        assert api_login(client, f"user{i}", address="192.0.2.7", headers=forged).status_code == 401
    locked = api_login(client, "another", address="192.0.2.7", headers={"X-Forwarded-For": "10.9.99.1"})
    assert locked.status_code == 429


def test_behind_one_trusted_proxy_x_forwarded_for_names_the_client(app_behind):
    client = app_behind(1).test_client()
    proxy = "10.0.0.2"  # every request arrives from the proxy; the client is the address it appended

    def through_proxy(username, client_address, forged=None):
        chain = f"{forged}, {client_address}" if forged else client_address
        return api_login(client, username, address=proxy, headers={"X-Forwarded-For": chain})

    assert [through_proxy(f"user{i}", "203.0.113.5").status_code for i in range(ADDRESS_LIMIT)] == [401] * 20
    assert through_proxy("another", "203.0.113.5").status_code == 429
    # What the client itself put in front of the proxy's entry does not help it escape its count...
    assert through_proxy("another", "203.0.113.5", forged="198.51.100.77").status_code == 429
    # ...and another client behind the same proxy is a different address, not locked out.
    assert through_proxy("another", "203.0.113.6").status_code == 401


# --- the shared store: two worker processes, one Redis ---------------------------------------------------------

# A database of its own on the local Redis, emptied by the test before and after, so the development store (db 0)
# is never touched.
REDIS_URL = "redis://127.0.0.1:6379/13"
_worker_app = None


def _start_worker(database_uri: str, storage_uri: str) -> None:
    """In a worker process: the app as gunicorn would build it there, with its own memory and the shared store."""
    global _worker_app
    _worker_app = create_app(type("WorkerConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_uri,
                                                                  "RATELIMIT_STORAGE_URI": storage_uri}))


def _login_in_worker(username: str, password: str, address: str) -> tuple[int, str | None]:
    response = api_login(_worker_app.test_client(), username, password, address=address)
    return response.status_code, response.headers.get("Retry-After")


@pytest.fixture
def redis_store():
    storage = storage_from_string(REDIS_URL)
    if not storage.check():
        reason = f"Redis is not answering at {REDIS_URL}: start redis-server to run the shared-store test"
        if os.environ.get("CI") == "1":
            pytest.fail(reason + " (.ci/run starts it)")
        pytest.skip(reason)
    storage.reset()
    yield REDIS_URL
    storage.reset()


def test_two_worker_processes_share_the_counts_through_redis(redis_store, database_uri, db):
    UserFactory(username="wang")
    db.session.commit()  # the workers read it through connections of their own
    # Separate processes, as gunicorn's workers are: nothing shared but the database and the limiter's store.
    spawn = multiprocessing.get_context("spawn")
    workers = [ProcessPoolExecutor(max_workers=1, mp_context=spawn, initializer=_start_worker,
                                   initargs=(database_uri, redis_store)) for _ in range(2)]
    try:
        def login(worker, password, address):
            return workers[worker].submit(_login_in_worker, "wang", password, address).result(timeout=120)

        # Six failures, alternating between the workers and coming from six addresses.
        answers = [login(i % 2, WRONG, f"198.51.100.{i}") for i in range(6)]
        assert [status for status, _ in answers] == [401] * 5 + [429]
        assert 0 < int(answers[-1][1]) <= 15 * 60
        # Either worker now refuses even the right password.
        assert [login(worker, PASSWORD, "203.0.113.1")[0] for worker in (0, 1)] == [429, 429]
    finally:
        for worker in workers:
            worker.shutdown()
