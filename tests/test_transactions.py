"""One commit per request (transactions.py): a success commits once at the end, an error answer leaves nothing
written (the Idempotency-Key row included) and a retry runs again; a failed commit never answers a success;
no token is stored for replay; and `.commit()` stays where the rule allows it."""
import ast
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

import eldercare
from eldercare import create_app, idempotency, transactions
from eldercare.config import TestConfig
from eldercare.errors import Conflict
from eldercare.extensions import csrf, db
from eldercare.idempotency import IdempotencyKey
from eldercare.orders import booking
from eldercare.orders.models import WorkOrder
from eldercare.regions.models import Region
from eldercare.vouchers import holds, ledger

from .factories import PASSWORD, UserFactory
from .orders import conftest as order_tests
from .orders import flows as order_flows
from .orders.conftest import next_monday

# The order tests' fixtures: the small city they book in, and an accepted voucher-paid order with the family.
city, flow = order_tests.city, order_flows.flow

PACKAGE = Path(eldercare.__file__).parent


def snapshot() -> dict:
    """Every row of every table: "nothing written" means this is unchanged."""
    db.session.expire_all()
    return {table.name: sorted(map(tuple, db.session.execute(select(table)).all()), key=repr)
            for table in db.metadata.sorted_tables}


def keys() -> list[IdempotencyKey]:
    db.session.expire_all()
    return db.session.scalars(select(IdempotencyKey)).all()


def booking_body(city, hour=10):
    return {"elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": next_monday(hour).isoformat()}


def key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


# --- the guard every request of the suite runs under -------------------------------------------------------


@pytest.fixture
def guarded(tmp_path):
    """An app of its own (routes can be added before its first request) with the suite's commit guard."""
    config = type("GuardConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'g.sqlite3'}"})
    app = create_app(config)
    with app.app_context():
        db.create_all()

    def region(code):
        db.session.add(Region(code=code, name=code, level="district"))
        db.session.flush()

    @app.post("/api/v1/_test/once")
    def once():
        region("ONCE")
        return {}, 201

    @app.post("/api/v1/_test/twice")
    def twice():
        region("FIRST")
        db.session.commit()  # what a handler must not do
        region("SECOND")
        return {}, 201

    @app.post("/api/v1/_test/beside")
    def beside():
        with db.engine.begin() as connection:  # a commit on a connection of its own is a commit too
            connection.execute(Region.__table__.insert().values(code="BESIDE", name="BESIDE", level="district"))
        region("SESSION")
        return {}, 201

    for view in (once, twice, beside):
        csrf.exempt(view)  # as the API's blueprints are: no session cookie authorises these
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def codes(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Region.code)))


def test_the_guard_fails_a_request_that_commits_twice(guarded):
    client = guarded.test_client()
    assert client.post("/api/v1/_test/once").status_code == 201
    assert guarded.extensions["commit_guard"] == [] and codes(guarded) == {"ONCE"}
    response = client.post("/api/v1/_test/twice")
    assert response.status_code == 500  # the second commit is refused, so the answer is no success
    assert codes(guarded) == {"ONCE", "FIRST"}
    assert [entry.split(" (")[0] for entry in guarded.extensions["commit_guard"]] == ["POST /api/v1/_test/twice"]
    guarded.extensions["commit_guard"].clear()
    assert client.post("/api/v1/_test/beside").status_code == 500
    assert "connection" in guarded.extensions["commit_guard"][0]
    assert codes(guarded) == {"ONCE", "FIRST", "BESIDE"}


def test_the_suite_runs_under_the_guard(app):
    assert app.config["COMMIT_GUARD"] is True and "commit_guard" in app.extensions


# --- an error answer leaves nothing, and the retry runs ---------------------------------------------------


def test_a_refused_booking_with_a_key_leaves_no_key_and_its_retry_runs(api, city):
    city.provider("一", caregivers=2)
    client = api.as_(city.operator)
    first = client.post("/api/v1/orders", json=booking_body(city))
    assert first.status_code == 201
    headers, body = key(), booking_body(city)
    before = snapshot()
    refused = client.post("/api/v1/orders", json=body, headers=headers)  # the slot is taken
    assert refused.status_code == 409 and "scheduled_start" in refused.json["errors"]
    assert snapshot() == before and keys() == []
    assert client.post(f"/api/v1/orders/{first.json['id']}/cancel", json={"reason": "改期"}).status_code == 200
    retried = client.post("/api/v1/orders", json=body, headers=headers)
    assert retried.status_code == 201 and "Idempotent-Replay" not in retried.headers
    [stored] = keys()
    assert stored.status_code == 201 and stored.response_body == retried.get_data(as_text=True)
    replayed = client.post("/api/v1/orders", json=body, headers=headers)
    assert replayed.headers["Idempotent-Replay"] == "true" and replayed.json == retried.json


def test_an_invalid_request_with_a_key_leaves_no_key(api, city):
    client, headers, body = api.as_(city.operator), key(), booking_body(city) | {"quantity": 0}
    before = snapshot()
    assert client.post("/api/v1/orders", json=body, headers=headers).status_code == 422
    assert snapshot() == before


def test_a_booking_that_wrote_everything_and_then_was_refused_leaves_nothing(api, city, monkeypatch):
    """The view's service flushed the order, its history, offers and audit events, then a refusal came."""
    city.provider("一", caregivers=2)
    real = booking.book

    def book_then_refuse(*args, **kwargs):
        order = real(*args, **kwargs)
        db.session.flush()
        assert db.session.get(WorkOrder, order.id) is not None
        raise Conflict("refused after writing", {"order": ["refused after writing"]})

    monkeypatch.setattr(booking, "book", book_then_refuse)
    client, headers, body = api.as_(city.operator), key(), booking_body(city)
    before = snapshot()
    refused = client.post("/api/v1/orders", json=body, headers=headers)
    assert refused.status_code == 409 and refused.json["errors"] == {"order": ["refused after writing"]}
    assert snapshot() == before
    monkeypatch.setattr(booking, "book", real)
    retried = client.post("/api/v1/orders", json=body, headers=headers)
    assert retried.status_code == 201 and keys()[0].status_code == 201


def test_an_unexpected_error_leaves_nothing_and_the_retry_runs(api, city, monkeypatch):
    """A 500, as a killed process would: neither the work nor the key's row was ever committed."""
    city.provider("一", caregivers=2)
    real = booking.book
    seen = {}

    def book_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        db.session.flush()
        with db.engine.connect() as other:  # what survives if the process dies here: nothing of this request
            seen["keys"] = other.scalar(select(func.count()).select_from(IdempotencyKey))
            seen["orders"] = other.scalar(select(func.count()).select_from(WorkOrder))
        raise RuntimeError("the process dies here")

    monkeypatch.setattr(booking, "book", book_then_fail)
    client, headers, body = api.as_(city.operator), key(), booking_body(city)
    before = snapshot()
    assert client.post("/api/v1/orders", json=body, headers=headers).status_code == 500
    assert seen == {"keys": 0, "orders": 0}
    assert snapshot() == before
    monkeypatch.setattr(booking, "book", real)
    assert client.post("/api/v1/orders", json=body, headers=headers).status_code == 201


def test_a_refused_page_form_that_redirects_leaves_nothing(flow, pages, monkeypatch):
    """Cancelling from "my orders" moved the order, withdrew nothing, returned the vouchers, then was refused:
    the page answers with a redirect and its message, and nothing of the cancellation is kept."""
    f = flow
    real = holds.release

    def release_then_refuse(*args, **kwargs):
        real(*args, **kwargs)
        db.session.flush()
        raise Conflict("refused after writing")

    monkeypatch.setattr(holds, "release", release_then_refuse)
    pages.login(f["family"].username)
    token = pages.token("/my/orders")
    before = snapshot()
    cancel = f"/my/orders/{f['order']['id']}/cancel"
    confirmed = {"reason": "住院了", "csrf_token": token, "confirmed": "yes"}
    assert pages.client.post(cancel, data=confirmed).status_code == 302
    assert snapshot() == before
    db.session.expire_all()
    assert db.session.get(WorkOrder, f["order"]["id"]).status == "accepted"
    monkeypatch.setattr(holds, "release", real)
    assert pages.client.post(cancel, data=confirmed).status_code == 302
    db.session.expire_all()
    assert db.session.get(WorkOrder, f["order"]["id"]).status == "cancelled" and ledger.check().ok


def test_a_refused_booking_page_shows_the_reason_and_keeps_nothing(flow, pages, monkeypatch):
    f = flow
    real = booking.book

    def book_then_refuse(*args, **kwargs):
        real(*args, **kwargs)
        db.session.flush()
        raise Conflict("refused after writing")

    monkeypatch.setattr(booking, "book", book_then_refuse)
    pages.login(f["family"].username)
    start = f["start"].replace(hour=11)
    form = dict(elder_id=f["city"].elder.id, item_id=f["city"].lunch.id, day=start.date().isoformat(),
                time=start.strftime("%H:%M"), quantity="1", pay_with="voucher", csrf_token=pages.token("/book"))
    before = snapshot()
    response = pages.client.post("/book/confirm", data=form)
    assert response.status_code == 422 and "refused after writing" in response.get_data(as_text=True)
    assert snapshot() == before


# --- a commit that fails never answers a success -----------------------------------------------------------


@pytest.mark.parametrize(("failure", "code"), [
    (IntegrityError("COMMIT", {}, Exception("a constraint checked at commit")), 409),
    (OperationalError("COMMIT", {}, type("Orig", (Exception,), {"sqlstate": "40001"})("serialization")), 409),
    (RuntimeError("the disk is full"), 500),
])
def test_a_failed_commit_turns_the_answer_into_an_error(api, city, failure, code):
    city.provider("一", caregivers=2)
    client = api.as_(city.operator)

    def fail(session):
        if not session.in_nested_transaction():
            raise failure

    before = snapshot()
    event.listen(Session, "before_commit", fail)
    try:
        response = client.post("/api/v1/orders", json=booking_body(city), headers=key())
    finally:
        event.remove(Session, "before_commit", fail)
    assert response.status_code == code and response.json["code"] == code
    assert "id" not in response.json and "Content-Security-Policy" in response.headers
    assert snapshot() == before


def test_a_failed_commit_of_a_page_form_answers_the_error_page(flow, pages):
    f = flow
    pages.login(f["family"].username)
    token = pages.token("/my/orders")

    def fail(session):
        if not session.in_nested_transaction():
            raise IntegrityError("COMMIT", {}, Exception("a constraint checked at commit"))

    event.listen(Session, "before_commit", fail)
    try:
        response = pages.client.post(f"/my/orders/{f['order']['id']}/cancel",
                                     data={"reason": "住院了", "csrf_token": token, "confirmed": "yes"})
    finally:
        event.remove(Session, "before_commit", fail)
    assert response.status_code == 409 and response.mimetype == "text/html"
    db.session.expire_all()
    assert db.session.get(WorkOrder, f["order"]["id"]).status == "accepted"


# --- no secret is stored or replayed ------------------------------------------------------------------------


def test_a_token_request_with_a_key_is_never_stored_or_replayed(client):
    user = UserFactory(username="wang")
    headers = key()
    body = {"username": "wang", "password": PASSWORD}
    first = client.post("/api/v1/auth/tokens", json=body, headers=headers)
    second = client.post("/api/v1/auth/tokens", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replay" not in second.headers and first.json["token"] != second.json["token"]
    assert keys() == []
    for answer in (first, second):  # both work: the second is a new login, not a copy of the first
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {answer.json['token']}"})
        assert me.json["username"] == user.username
    tokens = [first.json["token"], second.json["token"]]
    for rows in snapshot().values():
        assert not any(token in repr(row) for row in rows for token in tokens)


def test_a_password_in_a_keyed_request_is_not_kept_in_a_reversible_digest(client):
    import hashlib

    body = b'{"username": "li-family", "password": "a-secret-9", "role": "family", "phone": "13800138000"}'
    response = client.post("/api/v1/auth/signup", data=body, content_type="application/json", headers=key())
    assert response.status_code == 201, response.json
    [stored] = keys()
    assert stored.request_hash != hashlib.sha256(b"/api/v1/auth/signup\n" + body).hexdigest()
    assert "a-secret-9" not in repr(snapshot()["idempotency_keys"])


def test_every_answer_that_carries_a_credential_is_never_stored(app):
    """A new endpoint answering with a token, secret or password must be listed in NOT_STORED."""
    spec = app.test_client().get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]

    def names(schema, seen=()):
        if "$ref" in schema:
            ref = schema["$ref"].rsplit("/", 1)[1]
            return set() if ref in seen else names(schemas[ref], (*seen, ref))
        found = set()
        for name, prop in (schema.get("properties") or {}).items():
            found |= {name.lower()} | names(prop, seen)
        for part in ("items", "additionalProperties"):
            if isinstance(schema.get(part), dict):
                found |= names(schema[part], seen)
        for part in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(part) or []:
                found |= names(sub, seen)
        return found

    urls = app.url_map.bind("localhost")
    credentials = {"token", "access_token", "refresh_token", "secret", "password", "api_key", "private_key"}
    carrying = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            for status, answer in operation.get("responses", {}).items():
                schema = (answer.get("content") or {}).get("application/json", {}).get("schema")
                if status.startswith("2") and schema and names(schema) & credentials:
                    concrete = path.replace("{", "").replace("}", "")
                    concrete = "/".join("1" if part.endswith("_id") else part for part in concrete.split("/"))
                    carrying.add(urls.match(concrete, method=method.upper())[0])
    assert carrying == {"accounts.create_token", "accounts.reset_password"}
    assert carrying <= idempotency.NOT_STORED
    assert idempotency.NOT_STORED | transactions.JOB_ENDPOINTS <= set(app.view_functions)


def test_issuance_runs_its_own_batches_and_ignores_the_key(api, city):
    from datetime import date

    from eldercare.clock import this_month
    from eldercare.vouchers.models import VoucherPolicy, VoucherTier

    db.session.add(VoucherPolicy(region_id=city.district.id, name="券", valid_from=date(2026, 1, 1), tiers=[
        VoucherTier(care_level="moderate", hardship="any", monthly_fen=30000, copay_percent=30)]))
    db.session.commit()
    period = str(this_month())
    response = api.as_(city.bureau).post("/api/v1/voucher-issuances", json={"period": period}, headers=key())
    assert response.status_code == 201, response.json
    assert keys() == []


# --- a second request with the same key, at the same time (PostgreSQL) -------------------------------------


def _run_together(app, count, work):
    start, results = threading.Barrier(count), []

    def one():
        start.wait(timeout=10)
        results.append(work())

    threads = [threading.Thread(target=one) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _wait_until_another_request_waits_on_a_lock(app) -> bool:
    """True once another connection of this database is waiting for a lock (our key's row), within 10 s."""
    with db.engine.connect() as watcher:  # in the request's app context: its engine, a connection of its own
        for _ in range(200):
            waiting = watcher.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"))
            if waiting:
                return True
            watcher.rollback()
            time.sleep(0.05)
    return False


@pytest.mark.postgres
@pytest.mark.parametrize("first_fails", [False, True])
def test_the_same_key_twice_at_once_runs_once(app, api, city, is_postgres, monkeypatch, first_fails):
    """Both requests miss the key; one inserts it and books; the other's insert waits on the unique index until
    the first transaction ends, then replays its answer, or runs itself if the first failed."""
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    city.provider("一", caregivers=2)
    client, headers, body = api.as_(city.operator), key(), booking_body(city)
    real, calls, waited = booking.book, [], []

    def book_while_the_other_waits(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            return real(*args, **kwargs)
        order = real(*args, **kwargs)
        waited.append(_wait_until_another_request_waits_on_a_lock(app))
        if first_fails:
            raise Conflict("the first one is refused")
        return order

    monkeypatch.setattr(booking, "book", book_while_the_other_waits)
    results = _run_together(app, 2, lambda: client.post("/api/v1/orders", json=body, headers=headers))
    assert waited == [True]
    db.session.expire_all()
    orders = db.session.scalars(select(WorkOrder)).all()
    [stored] = keys()
    assert len(orders) == 1 and stored.status_code == 201
    codes = sorted(r.status_code for r in results)
    if first_fails:
        assert codes == [201, 409] and len(calls) == 2
        ran = next(r for r in results if r.status_code == 201)
        assert "Idempotent-Replay" not in ran.headers and stored.response_body == ran.get_data(as_text=True)
    else:
        assert codes == [201, 201] and len(calls) == 1
        assert sorted(r.headers.get("Idempotent-Replay", "") for r in results) == ["", "true"]
        assert results[0].json == results[1].json == {**results[0].json, "id": orders[0].id}


# --- the rule stays --------------------------------------------------------------------------------------------


def _calls(name: str) -> dict[str, list[int]]:
    """Where `.<name>()` is called in the package: {path: [lines]} (code only, not comments or docstrings)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        lines = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Attribute) and node.func.attr == name]
        if lines:
            found[path.relative_to(PACKAGE).as_posix()] = lines
    return found


# Where a commit may be written: the one request hook, the jobs and CLI commands (per job or batch), the two
# batch modules that commit per batch, the demo seed (`flask seed-demo`), and db.py's connection set-up (a raw
# driver connection's SET, before SQLAlchemy uses it).
MAY_COMMIT = {"transactions.py", "jobs.py", "cli.py", "careplans/making.py", "vouchers/issuance.py",
              "demo/seed.py", "db.py"}
# Where a rollback may be written: the same, and the error handlers, which undo a failed request before they
# render its error (a broken transaction cannot even load the page's user).
MAY_ROLL_BACK = MAY_COMMIT | {"errors.py"}


def _allowed(path: str, allowed: set[str]) -> bool:
    return path in allowed or path.endswith("/cli.py")


def test_only_the_request_hook_jobs_and_commands_commit():
    stray = {path: lines for path, lines in _calls("commit").items() if not _allowed(path, MAY_COMMIT)}
    assert stray == {}, "services and views flush; the request (transactions.py) or the job commits"


def test_only_the_request_hook_jobs_and_commands_roll_back():
    stray = {path: lines for path, lines in _calls("rollback").items() if not _allowed(path, MAY_ROLL_BACK)}
    assert stray == {}, "a refusal is a ServiceError; transactions.py ends the request (discard() for a form)"
