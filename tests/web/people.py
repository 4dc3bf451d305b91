"""One account per role, with the records their home pages talk about. Shared by the page and browser tests."""
import re
from dataclasses import dataclass
from datetime import date

from eldercare.accounts.services import create_user
from eldercare.elders.models import Elder, FamilyLink
from eldercare.extensions import db
from eldercare.providers.models import Caregiver

from ..factories import PASSWORD, CommunityFactory, DistrictFactory, ProviderFactory, StreetFactory

DISTRICT = "海陵区"
PROVIDER = "幸福居家养老服务中心"
ELDER = "王秀英"
ROLES = ("admin", "bureau", "operator", "provider_admin", "caregiver", "family", "elder")

# Text each role's home page shows (in Chinese, the default): the first is on no other role's page.
HOME_TEXT = {
    "admin": ["管理账号", "系统管理员", "打开接口文档"],
    "bureau": ["审核服务商", "民政局", DISTRICT, "打开接口文档"],
    "operator": ["登记老人", "话务员/社区工作人员", DISTRICT],
    "provider_admin": ["审核状态", "服务商管理员", PROVIDER, "已通过"],
    "caregiver": ["今天的上门服务", "护理员", PROVIDER],
    "family": ["为家人预约", "家属", ELDER],
    "elder": ["查看我的工单", "老人", f"{ELDER}，您好", "中度失能"],
}


@dataclass
class Place:
    district_id: int
    community_id: int
    provider_id: int


def make_place() -> Place:
    district = DistrictFactory(name=DISTRICT)
    street = StreetFactory(parent_id=district.id)
    community = CommunityFactory(parent_id=street.id)
    provider = ProviderFactory(name=PROVIDER, district_id=district.id)
    return Place(district.id, community.id, provider.id)


def make_elder(place: Place, name: str = ELDER, **fields) -> Elder:
    number = db.session.query(Elder).count() + 1
    elder = Elder(
        name=name, id_number=f"32120219500101{number:04d}", birth_date=date(1950, 1, 1), gender="F",
        address="海陵区东风路1号", community_id=place.community_id, lat=32.45, lng=119.92, **fields,
    )
    db.session.add(elder)
    db.session.flush()
    return elder


def username(role: str) -> str:
    return re.sub(r"[^a-z]", "", role) + "1"


def make_people() -> dict[str, str]:
    """An account for every role (password PASSWORD), committed; returns role → username."""
    place = make_place()
    scope = {
        "bureau": {"scope_region_id": place.district_id},
        "operator": {"scope_region_id": place.district_id},
        "provider_admin": {"provider_id": place.provider_id},
        "caregiver": {"provider_id": place.provider_id},
    }
    users = {
        role: create_user(username=username(role), password=PASSWORD, role=role, **scope.get(role, {}))
        for role in ROLES
    }
    elder = make_elder(place, care_level="moderate", user_id=users["elder"].id)
    db.session.add(FamilyLink(elder_id=elder.id, user_id=users["family"].id, relation="女儿"))
    db.session.add(Caregiver(provider_id=place.provider_id, user_id=users["caregiver"].id, name="李护理"))
    db.session.commit()
    return {role: user.username for role, user in users.items()}
