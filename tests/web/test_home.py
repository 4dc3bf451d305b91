"""Each role's home page: what the person can do next, with a few real facts from the database."""
import pytest

from eldercare.elders.models import FamilyLink
from eldercare.extensions import db
from eldercare.providers.models import Caregiver

from ..factories import CommunityFactory, DistrictFactory, ProviderFactory, StreetFactory, UserFactory
from .people import ELDER, HOME_TEXT, ROLES, make_elder, make_people, make_place


def home(pages, username) -> str:
    assert pages.login(username).status_code == 302
    response = pages.client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_has_its_own_home_page(pages, role):
    people = make_people()
    html = home(pages, people[role])
    for text in HOME_TEXT[role]:
        assert text in html, f"{role} home page lacks {text!r}"
    assert 'action="/logout"' in html and 'name="csrf_token"' in html
    for other in set(ROLES) - {role}:
        assert HOME_TEXT[other][0] not in html, f"{role} home page shows {other}'s {HOME_TEXT[other][0]!r}"


@pytest.mark.parametrize("role", ROLES)
def test_no_home_page_calls_working_features_coming_soon(pages, role):
    """The section of what one can do is headed as such; only a feature not built yet carries 即将开放, on its own
    card, and a card with a link is never one of them."""
    import re

    html = home(pages, make_people()[role])
    assert "正在建设中" not in html
    assert not re.search(r'<h2 class="section-title">即将开放</h2>', html)
    for card in re.findall(r'<section class="card card-soon">(.*?)</section>', html, re.S):
        assert "href=" not in card


@pytest.mark.parametrize("role", ROLES)
def test_home_pages_link_only_to_pages_that_exist(pages, role):
    import re

    html = home(pages, make_people()[role])
    for href in set(re.findall(r'href="([^"]+)"', html)):
        if href.startswith("#"):
            continue
        assert pages.client.get(href).status_code == 200, href


def test_api_docs_are_offered_to_admin_and_bureau_only(pages):
    people = make_people()
    for role in ROLES:
        html = home(pages, people[role])
        assert ('href="/api/v1/docs"' in html) == (role in ("admin", "bureau")), role
        pages.logout()


def test_an_unknown_role_gets_a_plain_page_not_an_error(pages):
    UserFactory(username="someone", role="auditor")
    html = home(pages, "someone")
    assert "您的账号角色尚未设置好" in html and "auditor" in html


def test_officers_without_an_area_or_staff_without_a_provider_still_get_a_page(pages, db):
    bureau = UserFactory(username="officer", role="bureau")
    bureau.scope_region_id = None
    worker = UserFactory(username="worker", role="caregiver")
    worker.provider_id = None
    db.session.commit()
    assert "您的账号还没有设置辖区" in home(pages, "officer")
    pages.logout()
    assert "您的账号还没有关联服务机构" in home(pages, "worker")


def test_bureau_counts_only_its_own_area(pages):
    place = make_place()
    make_elder(place, name="甲")
    make_elder(place, name="乙")
    make_elder(place, name="丙", status="deceased")
    elsewhere = make_place()
    make_elder(elsewhere, name="丁")
    # A provider registered elsewhere that serves one of our streets counts; a pending one does not.
    our_street = StreetFactory(parent_id=place.district_id)
    visiting = ProviderFactory(district_id=elsewhere.district_id)
    visiting.service_areas.append(our_street)
    ProviderFactory(district_id=place.district_id, status="pending")
    db.session.commit()
    UserFactory(username="officer", role="bureau", scope_region_id=place.district_id)
    html = home(pages, "officer")
    assert '<dt>在册老人</dt><dd class="number">2</dd>' in html
    assert '<dt>已审核通过的服务商</dt><dd class="number">2</dd>' in html


def test_a_street_officer_sees_the_street(pages):
    district = DistrictFactory()
    street = StreetFactory(parent_id=district.id, name="城东街道")
    CommunityFactory(parent_id=street.id)
    UserFactory(username="street", role="operator", scope_region_id=street.id)
    html = home(pages, "street")
    assert "城东街道" in html and '<dt>在册老人</dt><dd class="number">0</dd>' in html


def test_provider_pages_count_active_caregivers_of_that_provider(pages):
    provider = ProviderFactory(name="安康护理站", status="pending")
    other = ProviderFactory()
    for name, active in (("张", True), ("李", True), ("赵", False)):
        db.session.add(Caregiver(provider_id=provider.id, name=name, active=active))
    db.session.add(Caregiver(provider_id=other.id, name="钱"))
    db.session.commit()
    UserFactory(username="boss", role="provider_admin", provider_id=provider.id)
    html = home(pages, "boss")
    assert "安康护理站" in html and "等待审核" in html
    assert '<dt>护理员人数</dt><dd class="number">2</dd>' in html


def test_family_sees_only_linked_elders(pages):
    place = make_place()
    mine = make_elder(place, name=ELDER)
    make_elder(place, name="陌生人")
    family = UserFactory(username="daughter", role="family")
    db.session.add(FamilyLink(elder_id=mine.id, user_id=family.id, relation="女儿"))
    db.session.commit()
    html = home(pages, "daughter")
    assert ELDER in html and "陌生人" not in html


def test_family_without_links_is_told_how_to_get_one(pages):
    UserFactory(username="daughter", role="family")
    assert "您的账号还没有关联老人" in home(pages, "daughter")


def test_elder_without_a_record_or_assessment(pages, db):
    UserFactory(username="grandpa", role="elder")
    assert "您的个人档案还没有关联到这个账号" in home(pages, "grandpa")
    pages.logout()
    user = UserFactory(username="grandma", role="elder")
    make_elder(make_place(), name="李桂兰", user_id=user.id)
    db.session.commit()
    html = home(pages, "grandma")
    assert "李桂兰，您好" in html and "尚未评估" in html


def test_admin_sees_accounts_by_role(pages):
    make_people()
    UserFactory(username="odd", role="auditor")
    html = home(pages, "admin1")
    assert "<th scope=\"row\">老人</th><td class=\"number\">1</td>" in html
    assert "<th scope=\"row\">auditor</th><td class=\"number\">1</td>" in html
    assert "<th scope=\"row\">合计</th><td class=\"number\">8</td>" in html


def test_header_shows_name_role_and_product(pages, db):
    user = UserFactory(username="wang", role="operator", display_name="王小明")
    html = home(pages, "wang")
    assert "颐养" in html and "Yiyang" in html and "王小明" in html and "话务员/社区工作人员" in html
    assert user.username not in html.split("<main")[0]  # the display name, not the login name
