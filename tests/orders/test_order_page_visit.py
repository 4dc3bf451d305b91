"""The order's page tells the family how the visit went (issue 18: check-in and check-out times, the caregiver's
note and the rating given were not shown)."""
from datetime import timedelta

from eldercare.extensions import db
from eldercare.orders.models import WorkOrder


def test_the_family_sees_when_the_caregiver_came_what_they_noted_and_the_rating(pages, flow):
    order = db.session.get(WorkOrder, flow["order"]["id"])
    start = flow["start"]
    order.status, order.check_in_at, order.check_out_at = "confirmed", start + timedelta(minutes=3), start + \
        timedelta(minutes=35)
    order.service_note, order.rating, order.rating_comment = "老人胃口好，吃完了", 4, "准时"
    db.session.commit()
    pages.login(flow["family"].username)
    html = pages.client.get(f"/orders/{order.id}").get_data(as_text=True)
    for shown in ("护理员到达时间", "服务结束时间", "老人胃口好，吃完了", "老人或家属的评价", "★★★★", "4 星", "准时"):
        assert shown in html, shown
    assert f"{(start + timedelta(minutes=3)).hour}:{(start + timedelta(minutes=3)).minute:02d}" in html


def test_before_the_visit_nothing_of_it_is_shown(pages, flow):
    pages.login(flow["family"].username)
    html = pages.client.get(f"/orders/{flow['order']['id']}").get_data(as_text=True)
    assert "护理员到达时间" not in html and "老人或家属的评价" not in html
