"""`flask seed-demo`: the demo city is complete, plausible, deterministic, and safe to run twice."""
from collections import Counter

import pytest
from sqlalchemy import func, select

from eldercare.accounts.models import User
from eldercare.catalog.models import Category, Item
from eldercare.demo.people import REFERENCE_DATE, age_on
from eldercare.demo.seed import CAREGIVERS, DEMO_PASSWORD, seed_demo
from eldercare.elders.assessment import score
from eldercare.elders.idnumber import birth_date_of, gender_of, is_valid
from eldercare.elders.models import Assessment, Elder, FamilyLink
from eldercare.providers.models import Caregiver, Provider, provider_areas
from eldercare.regions.models import Region

from ..conftest import _empty_all_tables

ELDERS = 600


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def seeded(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--elders", str(ELDERS)])
    assert result.exit_code == 0, result.output
    return result.output


def test_regions_are_six_districts_of_streets_of_communities(seeded, db):
    levels = Counter(db.session.scalars(select(Region.level)))
    assert levels["district"] == 6
    assert 55 <= levels["street"] <= 65
    assert 550 <= levels["community"] <= 650
    # Every street's parent is a district and every community's a street.
    parent_level = dict(db.session.execute(select(Region.id, Region.level)).all())
    for region in db.session.scalars(select(Region).where(Region.level != "district")):
        assert parent_level[region.parent_id] == {"street": "district", "community": "street"}[region.level]
        assert 31.5 < region.lat < 33.5 and 119.3 < region.lng < 120.7  # in and around Taizhou


def test_catalogue_api_lists_247_items_in_11_categories(seeded, api):
    items, page = [], 1
    while True:
        response = api.get(f"/api/v1/catalog/items?page={page}&page_size=100")
        assert response.status_code == 200
        items += response.json
        if len(response.json) < 100:
            break
        page += 1
    assert len(items) == 247
    assert len({i["category_code"] for i in items}) == 11
    assert len(api.get("/api/v1/catalog/categories").json) == 11
    assert all(i["price_fen"] > 0 and i["duration_minutes"] > 0 for i in items)
    by_category = Counter(i["category_code"] for i in items)
    assert min(by_category.values()) >= 10  # no category is a token one


def test_providers_serve_every_street_and_offer_every_category_in_each_district(seeded, db):
    assert count(db, Provider) == 127
    providers = db.session.scalars(select(Provider)).all()
    assert all(p.status == "approved" and p.service_areas and p.categories for p in providers)
    served = set(db.session.scalars(select(provider_areas.c.region_id)))
    streets = set(db.session.scalars(select(Region.id).where(Region.level == "street")))
    assert served == streets
    categories = count(db, Category)
    for district in db.session.scalars(select(Region).where(Region.level == "district")):
        offered = {c.id for p in providers if p.district_id == district.id for c in p.categories}
        assert len(offered) == categories, district.name
    assert len({p.license_no for p in providers}) == 127


def test_caregivers_work_for_providers_in_categories_their_provider_offers(seeded, db):
    assert count(db, Caregiver) == CAREGIVERS
    for caregiver in db.session.scalars(select(Caregiver)):
        assert caregiver.categories
        assert {c.id for c in caregiver.categories} <= {c.id for c in caregiver.provider.categories}
    staff = Counter(db.session.scalars(select(Caregiver.provider_id)))
    assert min(staff.values()) >= 3


def test_caregivers_have_hours_and_the_certificates_their_categories_need(seeded, db):
    from eldercare.demo.people import REFERENCE_DATE
    from eldercare.providers.models import CATEGORY_CERTIFICATE

    expired = 0
    for caregiver in db.session.scalars(select(Caregiver)):
        assert caregiver.availability and all(a.start_time < a.end_time for a in caregiver.availability)
        kinds = {c.kind for c in caregiver.certificates}
        assert {CATEGORY_CERTIFICATE[c.code] for c in caregiver.categories if c.code in CATEGORY_CERTIFICATE} <= kinds
        expired += any(c.expires_on < REFERENCE_DATE for c in caregiver.certificates)
    assert 0 < expired < CAREGIVERS * 0.1  # a few lapsed, as in life


def test_provider_prices_are_at_most_the_guide_price(seeded, db):
    from eldercare.providers.models import ProviderPrice

    prices = db.session.scalars(select(ProviderPrice)).all()
    assert prices and all(0 < p.price_fen <= p.item.price_fen for p in prices)
    for provider in db.session.scalars(select(Provider)).all()[:10]:
        offered = {c.id for c in provider.categories}
        assert {p.item.category_id for p in provider.prices} == offered


def test_elders_are_plausible(seeded, db):
    elders = db.session.scalars(select(Elder)).all()
    assert len(elders) == ELDERS
    assert len({e.id_number for e in elders}) == ELDERS
    for e in elders:
        assert is_valid(e.id_number), e.id_number
        assert birth_date_of(e.id_number) == e.birth_date and gender_of(e.id_number) == e.gender
        assert 60 <= age_on(e.birth_date, REFERENCE_DATE) < 100
        assert 31.5 < e.lat < 33.5 and 119.3 < e.lng < 120.7
        assert e.community.level == "community" and e.address.startswith("泰州市")
        assert (e.hardship == "none") == (e.hardship_since is None) == (e.hardship_source is None)
    assert set(Counter(e.hardship for e in elders)) == {"none", "low_income", "dibao", "tekun"}
    assert 0.4 < sum(e.gender == "F" for e in elders) / ELDERS < 0.7


def test_about_a_third_are_assessed_and_their_level_follows_the_standard(seeded, db):
    assessments = db.session.scalars(select(Assessment)).all()
    assert 0.2 * ELDERS < len(assessments) < 0.45 * ELDERS
    for a in assessments:
        assert score(a.items, a.diagnoses, a.risk_events_30d) == (a.total_score, a.care_level)
        assert a.elder.care_level == a.care_level
        assert a.assessed_on < REFERENCE_DATE
        assessor = db.session.get(User, a.assessor_id)
        assert assessor.role == "operator" and assessor.scope_region_id == a.elder.community.parent_id
    assert len({a.care_level for a in assessments}) == 5
    assert count(db, Elder) - len(assessments) == db.session.scalar(
        select(func.count()).where(Elder.care_level.is_(None)))


@pytest.mark.parametrize("username, role", [
    ("admin", "admin"), ("bureau", "bureau"), ("operator", "operator"), ("provider", "provider_admin"),
    ("caregiver", "caregiver"), ("family", "family"), ("elder", "elder"),
])
def test_each_demo_login_works_with_the_demo_password(seeded, client, username, role):
    assert f"{username} " in seeded  # printed at the end
    response = client.post("/api/v1/auth/tokens", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 201, response.json
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.status_code == 200 and me.json["role"] == role


def test_demo_logins_have_their_scope_and_links(seeded, db):
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert users["bureau"].scope_region.name == "海陵区"
    assert users["operator"].scope_region.name == "城东街道"
    assert users["provider"].provider_id == users["caregiver"].provider_id is not None
    caregiver = db.session.scalar(select(Caregiver).where(Caregiver.user_id == users["caregiver"].id))
    assert caregiver.provider_id == users["provider"].provider_id
    elder = db.session.scalar(select(Elder).where(Elder.user_id == users["elder"].id))
    assert elder.community.parent.name == "城东街道" and elder.hardship == "dibao" and elder.care_level
    linked = set(db.session.scalars(select(FamilyLink.elder_id).where(FamilyLink.user_id == users["family"].id)))
    assert len(linked) == 2 and elder.id in linked


def test_running_it_again_changes_nothing(seeded, app, db):
    before = [count(db, m) for m in (Region, Item, Provider, Caregiver, Elder, User, Assessment)]
    again = app.test_cli_runner().invoke(args=["seed-demo", "--elders", "50"])
    assert again.exit_code == 0 and "already" in again.output
    assert [count(db, m) for m in (Region, Item, Provider, Caregiver, Elder, User, Assessment)] == before


def _snapshot(db):
    return (
        db.session.execute(select(Region.code, Region.name, Region.lat, Region.lng).order_by(Region.code)).all(),
        db.session.execute(select(Provider.name, Provider.license_no, Provider.base_lat).order_by(Provider.id)).all(),
        db.session.execute(select(Caregiver.name, Caregiver.phone).order_by(Caregiver.id)).all(),
        db.session.execute(select(Elder.name, Elder.id_number, Elder.lat, Elder.care_level).order_by(Elder.id)).all(),
    )


def test_the_same_command_builds_the_same_city_and_more_elders_only_add_elders(db):
    seed_demo(40)
    first = _snapshot(db)
    _empty_all_tables()
    seed_demo(80)
    second = _snapshot(db)
    assert second[:3] == first[:3]
    assert second[3][:40] == first[3] and len(second[3]) == 80


def test_elders_beyond_the_reference_city_are_refused(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--elders", "400000"])
    assert result.exit_code == 2
    assert "357000" in result.output
    assert count(db, Region) == 0


def test_every_district_has_a_voucher_policy_and_the_month_is_issued(seeded, db):
    from eldercare.clock import Month
    from eldercare.vouchers import ledger
    from eldercare.vouchers.eligibility import explain
    from eldercare.vouchers.models import LedgerAccount, VoucherGrant, VoucherPolicy

    assert count(db, VoucherPolicy) == 6
    opened = set(db.session.scalars(select(LedgerAccount.owner_id).where(LedgerAccount.kind == "elder_available")))
    assert opened == set(db.session.scalars(select(Elder.id)))  # every elder's account, as at registration
    period = str(Month.current())  # the seed issues the current month, as the scheduler would
    issued = set(db.session.scalars(select(VoucherGrant.elder_id).where(VoucherGrant.period == period)))
    for elder in db.session.scalars(select(Elder)):
        assert (elder.id in issued) == explain(elder, period).eligible
    assert issued and ledger.check().ok


def test_the_demo_couple_has_regular_care_kept_by_the_demo_provider_and_caregiver(seeded, db):
    from eldercare.careplans.models import CarePlan
    from eldercare.providers.models import Caregiver

    plans = db.session.scalars(select(CarePlan).order_by(CarePlan.id)).all()
    carer = db.session.scalar(select(Caregiver).join(User, User.id == Caregiver.user_id)
                              .where(User.username == "caregiver"))
    assert [(p.freq, p.family_care_bed) for p in plans] == [("daily", True), ("weekly", False)]
    assert {(p.provider_id, p.caregiver_id) for p in plans} == {(carer.provider_id, carer.id)}
    assert all(p.item.category in carer.categories for p in plans)
