"""Step 1 of booking finds a service by its name (issue 18: /book listed every item of the city on one page) and
jumps to a category."""
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
