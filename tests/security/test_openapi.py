"""The OpenAPI document says what the API does (issue 19, low): bearer authentication declared and required
where it is, X-Pagination a string header of JSON text, and an empty PATCH refused with 422."""
import json

import pytest

from ..factories import CategoryFactory, ItemFactory, UserFactory


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").json


def operation(spec, path, method):
    return spec["paths"][path][method]


def test_bearer_authentication_is_declared(spec):
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer" and "/auth/tokens" in scheme["description"]


@pytest.mark.parametrize("path, method", [("/api/v1/me", "get"), ("/api/v1/users", "post"),
                                          ("/api/v1/orders", "post"), ("/api/v1/auth/tokens", "delete"),
                                          ("/api/v1/elders/{elder_id}", "patch")])
def test_endpoints_that_need_a_token_say_so(spec, path, method):
    assert operation(spec, path, method)["security"] == [{"bearerAuth": []}]


@pytest.mark.parametrize("path, method", [("/api/v1/auth/tokens", "post"), ("/api/v1/auth/signup", "post"),
                                          ("/api/v1/catalog/items", "get")])
def test_open_endpoints_need_none(spec, path, method):
    assert "security" not in operation(spec, path, method)


def test_x_pagination_is_a_string_header_of_json_text(spec, client):
    header = operation(spec, "/api/v1/catalog/items", "get")["responses"]["200"]["headers"]["X-Pagination"]
    assert header["schema"] == {"type": "string"}
    assert "total" in header["description"] and "JSON" in header["description"]
    ItemFactory(category=CategoryFactory())
    response = client.get("/api/v1/catalog/items")
    assert set(json.loads(response.headers["X-Pagination"])) >= {"total", "page", "page_size"}


def test_an_empty_patch_is_422(api):
    admin = UserFactory(role="admin")
    item = ItemFactory(category=CategoryFactory())
    for body in ({}, None):
        kwargs = {"json": body} if body is not None else {}
        response = api.as_(admin).patch(f"/api/v1/catalog/items/{item.id}", **kwargs)
        assert response.status_code == 422, response.json
        assert response.json["errors"]["_schema"] == ["Send at least one field to change."]


def test_a_patch_with_a_field_still_works(api):
    admin = UserFactory(role="admin")
    item = ItemFactory(category=CategoryFactory(), price_fen=1000)
    response = api.as_(admin).patch(f"/api/v1/catalog/items/{item.id}", json={"price_fen": 1200})
    assert response.status_code == 200 and response.json["price_fen"] == 1200
