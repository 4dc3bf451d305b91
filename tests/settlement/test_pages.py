"""The pages: the bureau's month with generate and approve (approval asks first; the generating officer is told
another must approve), the statement with its lines, held back visits and reconciliation, the provider's own
statements and completed work, and the home pages' links. Chinese by default, English on request."""
from sqlalchemy import select

from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.settlement.models import Statement

from .conftest import NOVEMBER, at


def form(pages, path, **data):
    return pages.client.post(path, data={"csrf_token": pages.token(path), **data})


def test_the_bureau_settles_a_month_and_another_officer_approves(december, town, pages):
    a, _ = town.providers
    order = town.visit(a, at(3))
    disputed = town.visit(a, at(4), status="disputed", dispute_reason="护理员迟到两小时")
    pages.login(town.officer.username)
    home = pages.client.get("/").get_data(as_text=True)
    assert "/bureau/settlements" in home and "打开结算" in home
    month = pages.client.get("/bureau/settlements").get_data(as_text=True)
    assert "2026-11" in month and "结算 2026-11" in month  # last month by default
    done = form(pages, f"/bureau/settlements?period={NOVEMBER}")
    assert done.status_code == 302
    listed = pages.client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已生成 1 份结算单" in listed and a.name in listed
    statement = db.session.scalar(select(Statement))
    page = pages.client.get(f"/settlements/{statement.id}").get_data(as_text=True)
    assert "王*英" in page and "王秀英" not in page and "护理员迟到两小时" in page and "有争议" in page
    assert "与服务券账本一致" in page and "10.50" in page
    assert "您生成了这份结算单，须由另一位工作人员审批" in page
    assert "审批这份结算单" not in page
    assert pages.client.get(f"/settlements/{statement.id}/download.csv").status_code == 200

    pages.logout()
    pages.login(town.second.username)
    page = pages.client.get(f"/settlements/{statement.id}").get_data(as_text=True)
    assert "审批这份结算单" in page
    confirm = pages.client.get(f"/settlements/{statement.id}/approve").get_data(as_text=True)
    assert "确认审批并支付 10.50 元" in confirm
    assert db.session.get(Statement, statement.id).status == "draft"  # asking changed nothing
    approved = form(pages, f"/settlements/{statement.id}/approve")
    assert approved.status_code == 302
    shown = pages.client.get(approved.headers["Location"]).get_data(as_text=True)
    assert "已审批" in shown
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).status == "settled"
    assert db.session.get(WorkOrder, disputed.id).status == "disputed"


def test_a_month_not_begun_cannot_be_settled_from_the_page(december, town, pages):
    pages.login(town.officer.username)
    page = pages.client.get("/bureau/settlements?period=2027-01").get_data(as_text=True)
    assert "这个月还没有开始" in page
    refused = form(pages, "/bureau/settlements?period=2027-01")
    assert refused.status_code == 422 and db.session.scalar(select(Statement)) is None
    assert pages.client.get("/bureau/settlements?period=２０２６-１１").status_code == 422


def test_the_provider_sees_its_statements_and_its_completed_work(december, town, pages, api):
    a, b = town.providers
    done = town.visit(a, at(3))
    waiting = town.visit(a, at(2, 9, month=12), status="completed")
    other = town.visit(b, at(3))
    made = api.as_(town.officer).post("/api/v1/settlements", json={"period": NOVEMBER}).json
    mine = next(s for s in made if s["provider_id"] == a.id)
    theirs = next(s for s in made if s["provider_id"] == b.id)
    pages.login(a.admin.username)
    assert "/provider/settlements" in pages.client.get("/").get_data(as_text=True)
    listed = pages.client.get("/provider/settlements").get_data(as_text=True)
    assert f"/settlements/{mine['id']}" in listed and f"/settlements/{theirs['id']}" not in listed
    assert "草稿：等待审批" in listed
    page = pages.client.get(f"/settlements/{mine['id']}").get_data(as_text=True)
    assert "王*英" in page and "审批这份结算单" not in page
    assert pages.client.get(f"/settlements/{theirs['id']}").status_code == 404
    assert pages.client.get(f"/settlements/{mine['id']}/approve").status_code == 403
    queue = pages.client.get("/provider/orders").get_data(as_text=True)
    assert "已完成" in queue and f">{done.id}<" in queue and f">{waiting.id}<" in queue
    assert f">{other.id}<" not in queue
    english = pages.client.get(f"/settlements/{mine['id']}?lang=en").get_data(as_text=True)
    assert "Reconciliation with the voucher ledger" in english


def test_other_roles_are_kept_out(december, town, pages):
    from ..factories import UserFactory

    family = UserFactory(role="family")
    pages.login(family.username)
    assert pages.client.get("/bureau/settlements").status_code == 403
    assert pages.client.get("/provider/settlements").status_code == 403
    assert pages.client.get("/settlements/1").status_code == 403
