import json

import pytest

from eldercare.audit.models import AuditEvent

from ..factories import CategoryFactory, ItemFactory, UserFactory


def test_anyone_can_read_the_catalogue(client):
    meal = CategoryFactory(code="meal", name="助餐", sort_order=1)
    bath = CategoryFactory(code="bathing", name="助浴", sort_order=2)
    ItemFactory(category=meal, code="meal.lunch", name="午餐配送", price_fen=1500, unit="份", duration_minutes=30)
    ItemFactory(category=bath, code="bathing.home", price_fen=12000)
    categories = client.get("/api/v1/catalog/categories").json
    assert [c["code"] for c in categories] == ["meal", "bathing"]
    items = client.get("/api/v1/catalog/items?category_code=meal")
    assert items.status_code == 200
    assert items.json == [{
        "id": items.json[0]["id"], "code": "meal.lunch", "name": "午餐配送", "name_en": items.json[0]["name_en"],
        "category_code": "meal", "price_fen": 1500, "unit": "份", "duration_minutes": 30,
        "voucher_eligible": True, "active": True, "description": None}]


def test_items_are_paginated(client):
    ItemFactory.create_batch(5)
    response = client.get("/api/v1/catalog/items?page_size=2&page=3")
    meta = json.loads(response.headers["X-Pagination"])
    assert meta["total"] == 5 and meta["page"] == 3 and meta["page_size"] == 2
    assert len(response.json) == 1


def test_admin_adds_and_changes_items(api, db):
    admin = UserFactory(role="admin")
    CategoryFactory(code="cleaning")
    created = api.as_(admin).post("/api/v1/catalog/items", json={
        "code": "cleaning.2h", "name": "居家保洁2小时", "category_code": "cleaning", "price_fen": 8000,
        "unit": "次", "duration_minutes": 120})
    assert created.status_code == 201 and created.json["price_fen"] == 8000
    changed = api.as_(admin).patch(f"/api/v1/catalog/items/{created.json['id']}",
                                   json={"price_fen": 7500, "active": False})
    assert changed.status_code == 200 and changed.json["price_fen"] == 7500 and changed.json["active"] is False
    update = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "catalog.item.update"))
    assert update.detail["before"] == {"price_fen": 8000, "active": True}
    assert update.detail["after"] == {"price_fen": 7500, "active": False}


@pytest.mark.parametrize("field,value", [
    ("price_fen", 12.5), ("price_fen", -1), ("price_fen", "80"), ("duration_minutes", 0),
    ("unit", "桶"), ("category_code", "nope"), ("code", "Has Spaces"),
])
def test_bad_item_fields_are_named(api, field, value):
    admin = UserFactory(role="admin")
    CategoryFactory(code="cleaning")
    body = {"code": "cleaning.2h", "name": "保洁", "category_code": "cleaning", "price_fen": 8000,
            "unit": "次", "duration_minutes": 120, field: value}
    response = api.as_(admin).post("/api/v1/catalog/items", json=body)
    assert response.status_code == 422 and field in response.json["errors"]


def test_duplicate_item_code_is_409(api):
    admin = UserFactory(role="admin")
    item = ItemFactory()
    response = api.as_(admin).post("/api/v1/catalog/items", json={
        "code": item.code, "name": "x", "category_code": item.category.code, "price_fen": 1,
        "unit": "次", "duration_minutes": 10})
    assert response.status_code == 409


def test_unknown_item_is_404(api):
    admin = UserFactory(role="admin")
    response = api.as_(admin).patch("/api/v1/catalog/items/999999", json={"price_fen": 1})
    assert response.status_code == 404 and response.json["code"] == 404


@pytest.mark.parametrize("role", ["bureau", "operator", "family", "elder", "provider_admin", "caregiver"])
def test_only_admin_maintains_the_catalogue(api, role):
    item = ItemFactory()
    user = UserFactory(role=role)
    assert api.as_(user).patch(f"/api/v1/catalog/items/{item.id}", json={"price_fen": 1}).status_code == 403
    assert api.patch(f"/api/v1/catalog/items/{item.id}", json={"price_fen": 1}).status_code == 401
