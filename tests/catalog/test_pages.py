"""The admin's catalogue pages (issue 18: 服务目录 was "coming soon"): items by category, an item's price and
duration changed (in the log, old and new), refusals beside their fields, nothing written when refused."""
from sqlalchemy import select

from eldercare.audit.models import AuditEvent
from eldercare.catalog.models import Item
from eldercare.extensions import db

from ..factories import ItemFactory, UserFactory


def test_the_admin_changes_an_items_price_and_takes_it_off_booking(pages):
    item = ItemFactory(name="助浴（上门）", price_fen=6000, duration_minutes=60)
    admin = UserFactory(role="admin")
    pages.login(admin.username)
    assert "助浴（上门）" in pages.client.get("/admin/catalogue").get_data(as_text=True)
    token = pages.token(f"/admin/catalogue/items/{item.id}")
    answer = pages.client.post(f"/admin/catalogue/items/{item.id}", data={
        "csrf_token": token, "name": "助浴（上门）", "price": "65.50", "duration_minutes": "75",
        "voucher_eligible": "yes"})
    assert answer.status_code == 302
    db.session.refresh(item)
    assert (item.price_fen, item.duration_minutes, item.voucher_eligible, item.active) == (6550, 75, True, False)
    logged = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "catalog.item.update"))
    assert logged.detail["before"]["price_fen"] == 6000 and logged.detail["after"]["price_fen"] == 6550


def test_bad_values_are_named_and_nothing_changes(pages):
    item = ItemFactory(price_fen=6000, duration_minutes=60)
    pages.login(UserFactory(role="admin").username)
    token = pages.token(f"/admin/catalogue/items/{item.id}")
    answer = pages.client.post(f"/admin/catalogue/items/{item.id}", data={
        "csrf_token": token, "name": "", "price": "６５", "duration_minutes": "0", "active": "yes"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "请按元填写价格" in html and "请填写一次服务的分钟数" in html and "请填写服务名称" in html
    db.session.refresh(item)
    assert (item.price_fen, item.duration_minutes) == (6000, 60)


def test_only_the_admin_reaches_them(pages):
    item = ItemFactory()
    pages.login(UserFactory(role="operator").username)
    assert pages.client.get("/admin/catalogue").status_code == 403
    assert pages.client.get(f"/admin/catalogue/items/{item.id}").status_code == 403
    assert db.session.get(Item, item.id) is not None
