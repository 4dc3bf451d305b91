"""Every pattern that validates input takes ASCII digits only. Python's `\\d`, int() and str.isdigit() take any
script's digits, so a phone, a licence number or a resident ID number typed in full-width or Arabic-Indic digits
passed, and was stored as another string than the same number in ASCII (a second registration of one person
under a full-width ID number, for one). Each input is sent in both and answers 422 naming the field, and the
same input in ASCII digits is accepted (so the 422 is the digits' doing)."""
from datetime import date

import pytest

from .elders.conftest import payload
from .factories import (
    CategoryFactory,
    CommunityFactory,
    DistrictFactory,
    ElderFactory,
    StreetFactory,
    UserFactory,
    valid_id_number,
)
from .orders.conftest import city, next_monday  # noqa: F401  the city fixture
from .providers.conftest import LICENSE

SCRIPTS = {"full-width": str.maketrans("0123456789", "０１２３４５６７８９"),
           "arabic-indic": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")}


def spelt(value: str, script: str, part: slice = slice(None)) -> str:
    """`value` with the digits in `part` written in `script`."""
    start, stop, _ = part.indices(len(value))
    return value[:start] + value[start:stop].translate(SCRIPTS[script]) + value[stop:]


@pytest.fixture
def place(db):
    district = DistrictFactory(name="海陵区")
    street = StreetFactory(parent_id=district.id, name="城东街道", lat=32.49, lng=119.93)
    return dict(district=district, street=street, community=CommunityFactory(parent_id=street.id),
                operator=UserFactory(role="operator", scope_region_id=street.id), admin=UserFactory(role="admin"),
                meal=CategoryFactory(code="meal", name="助餐"),
                applicant=UserFactory(role="provider_admin", provider_id=None, username="boss"))


def register_elder(api, p, **fields):
    return api.as_(p["operator"]).post("/api/v1/elders", json=payload(p["community"].id, **fields))


def change_elder(api, p, **fields):
    elder = ElderFactory(community_id=p["community"].id)
    return api.as_(p["operator"]).patch(f"/api/v1/elders/{elder.id}", json=fields)


def apply_as_provider(api, p, **fields):
    body = dict(name="安康居家养老服务中心", license_no=LICENSE, categories=["meal"], service_areas=[p["street"].id],
                base_lat=32.49, base_lng=119.93, service_radius_m=3000, phone="052386001234",
                address="海陵区城东街道1号", prices=[])
    return api.as_(p["applicant"]).post("/api/v1/providers", json=body | fields)


def add_caregiver(api, p, **fields):
    provider = apply_as_provider(api, p).json
    body = dict(username="zhang.hg", password="caregiver-pass-1", name="张护工", phone="13912345678",
                categories=["meal"])
    return api.as_(p["applicant"]).post(f"/api/v1/providers/{provider['id']}/caregivers", json=body | fields)


def change_caregiver(api, p, **fields):
    created = add_caregiver(api, p).json
    return api.as_(p["applicant"]).patch(
        f"/api/v1/providers/{created['provider_id']}/caregivers/{created['id']}", json=fields)


def sign_up(api, p, **fields):
    body = dict(username="li.family", password="long-enough-1", role="family", phone="13912345678")
    return api.post("/api/v1/auth/signup", json=body | fields)


def create_user(api, p, **fields):
    body = dict(username="li.family", password="long-enough-1", role="family", phone="13912345678")
    return api.as_(p["admin"]).post("/api/v1/users", json=body | fields)


def add_item(api, p, **fields):
    body = dict(code="meal-10", name="午餐", category_code="meal", price_fen=1500, unit="次", duration_minutes=30)
    return api.as_(p["admin"]).post("/api/v1/catalog/items", json=body | fields)


def add_region(api, p, **fields):
    body = dict(name="新社区", code="321202-001-010", level="community", parent_id=p["street"].id)
    return api.as_(p["admin"]).post("/api/v1/regions", json=body | fields)


ID_NUMBER = valid_id_number(date(1950, 6, 1), "F", 7)
EVERY = slice(None)
# (what, how it is sent, the field as the body names it, its value in ASCII digits, the field the error names,
# the digits written in another script). Only those a pattern's `\d` or int() takes: a leading "1" or "0" the
# pattern spells out, or the ID number's check character (compared as text), would be refused by any digits.
INPUTS = [
    ("resident ID number", register_elder, "id_number", ID_NUMBER, "id_number", slice(0, 17)),
    ("elder's mobile", register_elder, "phone", "13912345678", "phone", slice(2, None)),
    ("emergency contact's landline", register_elder, "emergency_contacts",
     [{"name": "王强", "relation": "儿子", "phone": "0523-86001234"}], "emergency_contacts.0.phone", slice(1, None)),
    ("emergency contact's mobile", register_elder, "emergency_contacts",
     [{"name": "王强", "relation": "儿子", "phone": "13800001111"}], "emergency_contacts.0.phone", slice(2, None)),
    ("elder's mobile changed", change_elder, "phone", "13912345678", "phone", slice(2, None)),
    ("provider's licence number", apply_as_provider, "license_no", LICENSE, "license_no", EVERY),
    ("provider's landline", apply_as_provider, "phone", "052386001234", "phone", slice(1, None)),
    ("provider's mobile", apply_as_provider, "phone", "13912345678", "phone", slice(2, None)),
    ("caregiver's mobile", add_caregiver, "phone", "13912345678", "phone", slice(2, None)),
    ("caregiver's mobile changed", change_caregiver, "phone", "13912345678", "phone", slice(2, None)),
    ("caregiver's hours (start)", add_caregiver, "availability", [{"weekday": 0, "start": "08:00", "end": "12:00"}],
     "availability.0.start", EVERY),
    ("caregiver's hours changed (end)", change_caregiver, "availability",
     [{"weekday": 0, "start": "08:00", "end": "12:00"}], "availability.0.end", EVERY),
    ("family's mobile at sign-up", sign_up, "phone", "13912345678", "phone", slice(2, None)),
    ("username", sign_up, "username", "li.family2", "username", EVERY),
    ("user's mobile", create_user, "phone", "13912345678", "phone", slice(2, None)),
    ("catalogue item code", add_item, "code", "meal-10", "code", EVERY),
    ("region code", add_region, "code", "321202-001-010", "code", EVERY),
]


def in_script(value, error_field, script, part):
    """The value with the digits of the field the error names written in `script` (the others as they were)."""
    if isinstance(value, list):
        key = error_field.rsplit(".", 1)[1]
        return [row | {key: spelt(row[key], script, part)} for row in value]
    return spelt(value, script, part)


@pytest.mark.parametrize("script", ["full-width", "arabic-indic"])
@pytest.mark.parametrize("what, send, field, value, error_field, part", INPUTS, ids=[i[0] for i in INPUTS])
def test_digits_of_another_script_are_a_422_naming_the_field(api, place, what, send, field, value, error_field,
                                                             part, script):
    response = send(api, place, **{field: in_script(value, error_field, script, part)})
    assert response.status_code == 422, (what, response.json)
    assert error_field in response.json["errors"], (what, response.json["errors"])


@pytest.mark.parametrize("what, send, field, value, error_field, part", INPUTS, ids=[i[0] for i in INPUTS])
def test_the_same_input_in_ascii_digits_is_accepted(api, place, what, send, field, value, error_field, part):
    response = send(api, place, **{field: value})
    assert response.status_code in (200, 201), (what, response.json)


@pytest.mark.parametrize("value", ["13912345678\n", "13912345678\n\n"])
def test_a_trailing_line_break_is_not_part_of_a_valid_number(api, place, value):
    # `$` matches before a final line break: the number would be stored with it.
    assert register_elder(api, place, phone=value).status_code == 422
    assert sign_up(api, place, phone=value).status_code == 422


@pytest.mark.parametrize("script", ["full-width", "arabic-indic"])
@pytest.mark.parametrize("path, key", [("/api/v1/care-plans", "rule"), ("time", "time")])
def test_a_care_plans_time_of_day_in_another_script_is_a_422(api, city, script, path, key):  # noqa: F811
    city.elder.care_level = "moderate"
    family = UserFactory(role="operator", scope_region_id=city.street.id)
    body = {"elder_id": city.elder.id, "item_id": city.lunch.id, "rule": {"freq": "daily", "time": "11:30"},
            "start_date": next_monday().date().isoformat(), "pay_with": "self"}
    if path == "time":
        plan = api.as_(family).post("/api/v1/care-plans", json=body)
        assert plan.status_code == 201, plan.json
        response = api.as_(family).post(f"/api/v1/care-plans/{plan.json['id']}/time", json={
            "from": next_monday().date().isoformat(), "time": spelt("17:00", script)})
        assert response.status_code == 422 and "time" in response.json["errors"]
    else:
        response = api.as_(family).post(path, json=body | {"rule": {"freq": "daily", "time": spelt("11:30", script)}})
        assert response.status_code == 422 and "rule.time" in response.json["errors"]
