"""Every API error answers JSON in the API.md format: {code, status, message, errors}."""
import pytest

from eldercare.errors import flatten_errors

FORMAT = {"code", "status", "message", "errors"}


@pytest.mark.parametrize("method,path,code", [
    ("get", "/api/v1/no-such-thing", 404),
    ("get", "/api/v1/", 404),
    ("delete", "/api/v1/me", 405),
    ("put", "/api/v1/catalog/items", 405),
    ("get", "/api/v1/me", 401),
])
def test_api_errors_are_json(client, method, path, code):
    response = getattr(client, method)(path)
    assert response.status_code == code
    assert response.is_json and set(response.json) == FORMAT
    assert response.json["code"] == code and response.json["message"]


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/auth/tokens", data="{not json", content_type="application/json")
    assert response.status_code == 400 and set(response.json) == FORMAT


def test_unexpected_error_is_json_500_without_details():
    from eldercare import create_app
    from eldercare.config import TestConfig

    app = create_app(type("C", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://"}))

    @app.route("/api/v1/_boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/api/v1/_boom")
    assert response.status_code == 500 and set(response.json) == FORMAT
    assert "secret" not in response.get_data(as_text=True)


def test_pages_get_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_nested_errors_flatten_to_dotted_fields():
    nested = {"json": {"tiers": {0: {"monthly_fen": ["Not a valid integer."]}}, "name": ["Missing."]}}
    assert flatten_errors(nested) == {"tiers.0.monthly_fen": ["Not a valid integer."], "name": ["Missing."]}


def test_openapi_document_lists_the_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["info"]["title"] == "Yiyang API"
    for path in ("/api/v1/auth/tokens", "/api/v1/auth/signup", "/api/v1/me", "/api/v1/users",
                 "/api/v1/regions", "/api/v1/catalog/categories", "/api/v1/catalog/items"):
        assert path in spec["paths"]


def test_an_id_too_large_for_the_database_is_a_422_naming_the_field(api, db):
    from .factories import UserFactory

    admin = UserFactory(role="admin")
    huge = 2**63
    r = api.as_(admin).post("/api/v1/orders", json={"elder_id": huge, "item_id": 1,
                                                     "scheduled_start": "2026-12-01T09:00:00+08:00"})
    assert r.status_code == 422 and "elder_id" in r.json["errors"]
    r = api.as_(admin).get(f"/api/v1/orders?elder_id={huge}")
    assert r.status_code == 422 and "elder_id" in r.json["errors"]
    assert api.as_(admin).get(f"/api/v1/orders/{huge}").status_code in (404, 422)
