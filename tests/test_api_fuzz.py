"""Schemathesis against the app's own OpenAPI document (issue 19): every operation of /api/v1/openapi.json fed
generated requests, valid and invalid, in-process (WSGI), as each role and as nobody, on a small city with an
accepted order, a care plan and a provider's document. No answer may be a 5xx, and every answer must be what the
document says: a status code the operation lists itself (not only through `default`), the declared content type,
headers and body schema; a method the path does not take is a 405.

Bounded for CI (about 5,000 requests, one to two minutes on two cores): schemathesis' boundary-value cases plus
EXAMPLES generated requests per operation, derandomized, so that a failure comes back on every run and on every
machine."""
import hashlib
import io
import json
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    unsupported_method,
)

from eldercare import create_app
from eldercare.config import TestConfig
from eldercare.extensions import db as _db

from .factories import UserFactory, make_token
from .orders.conftest import city  # noqa: F401  the order tests' small city
from .orders.flows import flow  # noqa: F401  an accepted voucher-paid order in it

EXAMPLES = 25  # generated requests per operation, beyond the boundary-value cases
ANONYMOUS = "anonymous"
# Path ids drawn from this range half the time: the city's rows have the first ids of each table (every test
# starts from empty tables, and PostgreSQL restarts its sequences), so these reach the code behind the 404.
CITY_IDS = st.integers(1, 2)


def _document_app():
    # The document does not depend on the database; the requests go to the suite's app (the `app` fixture).
    return create_app(type("DocumentConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://"}))


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _document_app())


@schema.hook
def before_generate_path_parameters(context, strategy):
    names = [parameter.name for parameter in context.operation.path_parameters]
    if not names:
        return strategy
    return st.one_of(strategy, st.fixed_dictionaries({name: CITY_IDS for name in names}))


def status_code_listed(ctx, response, case):
    """The operation lists the status code itself. flask-smorest gives every operation a `default` error
    response, and schemathesis' status_code_conformance accepts any code when `default` is there."""
    if case.method.upper() != case.operation.method.upper():
        return None  # a method the path does not take: unsupported_method checks the 405
    listed = [code for code in case.operation.responses.status_codes if code != "default"]
    if str(response.status_code) not in listed:
        raise AssertionError(f"Undocumented status {response.status_code}; documented: {', '.join(listed)}")
    return None


CHECKS = [not_a_server_error, status_code_listed, unsupported_method, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture
def tokens(flow):  # noqa: F811  (the fixture above)
    """A token for one person of each role in the city, with something of their own to act on."""
    api, town, provider, family = flow["api"], flow["city"], flow["provider"], flow["family"]
    elder_user = UserFactory(role="elder")
    town.elder.user_id = elder_user.id
    _db.session.commit()
    weekly = {"freq": "weekly", "weekdays": [2], "time": "15:00"}
    plan = api.as_(family).post("/api/v1/care-plans", json={
        "elder_id": town.elder.id, "item_id": town.tidy.id, "rule": weekly, "pay_with": "self",
        "start_date": (flow["start"] + timedelta(days=7)).date().isoformat()})
    assert plan.status_code == 201, plan.json
    document = api.as_(provider.admin).post(
        f"/api/v1/providers/{provider.id}/documents", content_type="multipart/form-data",
        data={"kind": "营业执照", "file": (io.BytesIO(b"%PDF-1.4 fuzz"), "licence.pdf")})
    assert document.status_code == 201, document.json
    people = {"admin": UserFactory(role="admin"), "bureau": town.bureau, "operator": town.operator,
              "provider_admin": provider.admin, "caregiver": flow["carer"], "family": family, "elder": elder_user}
    return {role: make_token(user) for role, user in people.items()} | {ANONYMOUS: None}


def caller(case, tokens) -> str:
    """Who sends `case`: at least half the time a role the operation admits (its x-roles), so that requests get
    past the 403; otherwise anyone, nobody included. A pure function of the case, so that an example that failed
    replays as the same caller while Hypothesis shrinks it."""
    admitted = [role for role in case.operation.definition.raw.get("x-roles", []) if role in tokens]
    weighted = sorted(tokens) + len(tokens) * admitted
    # The headers too: the generated Authorization (replaced by the caller's) varies when nothing else does. No
    # repr() of schemathesis' NOT_SET, which names a memory address and would pick another caller on every run.
    body = None if isinstance(case.body, NotSet) else case.body
    text = json.dumps([case.method, case.path_parameters, case.query, case.headers, body], sort_keys=True,
                      default=repr)
    return weighted[int(hashlib.sha256(text.encode()).hexdigest(), 16) % len(weighted)]


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api(case, app, tokens):
    token = tokens[caller(case, tokens)]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with app.app_context():  # a fresh `g` per request, as in production (see conftest.FreshContextClient)
        response = case.call(app=app, headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers, transport_kwargs={"app": app})


@pytest.mark.parametrize("path", ["/api/v1/orders/{id}", "/api/v1/providers/{id}", "/api/v1/care-plans/{id}",
                                  "/api/v1/providers/1/documents/{id}"])
@pytest.mark.parametrize("row_id", [2**31, 2**63, 10**30])
def test_a_path_id_past_the_id_range_is_404_like_any_unknown_id(api, path, row_id):
    """Found by the run above on PostgreSQL: such an id reached the database and answered 422 ("integer out of
    range"), and past 64 bits on SQLite too, where any other unknown id answers 404."""
    response = api.as_(UserFactory(role="admin")).get(path.format(id=row_id))
    assert response.status_code == 404, response.json
    assert response.json["code"] == 404
