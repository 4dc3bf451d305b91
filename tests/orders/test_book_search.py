"""Step 1 of booking finds a service by its name (issue 18: /book listed every item of the city on one page) and
jumps to a category."""
import re
from datetime import datetime

import pytest
import time_machine

from eldercare.clock import LOCAL
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder

from ..factories import UserFactory


def test_the_search_narrows_the_services_and_the_categories_link_to_their_lists(pages, city):
    operator = city.operator
    pages.login(operator.username)
    everything = pages.client.get("/book", query_string={"elder_id": city.elder.id}).get_data(as_text=True)
    assert city.lunch.name in everything and city.tidy.name in everything
    assert f'href="#category-{city.meal.id}"' in everything and f'id="category-{city.meal.id}"' in everything
    found = pages.client.get("/book", query_string={"elder_id": city.elder.id, "q": city.lunch.name})
    html = found.get_data(as_text=True)
    assert city.lunch.name in html and city.tidy.name not in html and "找到 1 项服务" in html
    none = pages.client.get("/book", query_string={"elder_id": city.elder.id, "q": "没有这种服务"})
    assert "找到 0 项服务" in none.get_data(as_text=True)


def test_a_role_that_cannot_book_gets_no_search_either(pages, city):
    pages.login(UserFactory(role="caregiver").username)
    assert pages.client.get("/book", query_string={"elder_id": city.elder.id, "q": "x"}).status_code == 403


@pytest.mark.parametrize("hour, minute, said", [(10, 15, "今天只能预约 10:30 及以后的时间"),
                                                  (18, 45, "今天的时间都已过去")])
def test_the_time_step_says_which_of_todays_times_are_left(pages, city, hour, minute, said):
    with time_machine.travel(datetime(2026, 12, 5, hour, minute, tzinfo=LOCAL), tick=False):
        pages.login(city.operator.username)
        html = pages.client.get("/book/when", query_string={"elder_id": city.elder.id,
                                                            "item_id": city.lunch.id}).get_data(as_text=True)
    assert said in html


def test_the_rating_starts_unchosen(pages, flow):
    order = db.session.get(WorkOrder, flow["order"]["id"])
    order.status = "completed"
    db.session.commit()
    pages.login(flow["family"].username)
    html = pages.client.get("/my/orders").get_data(as_text=True)
    stars = re.findall(r'<input type="radio" name="rating"[^>]*>', html)
    assert len(stars) == 5 and not any("checked" in star for star in stars)
