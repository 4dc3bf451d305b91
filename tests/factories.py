"""factory_boy factories bound to the app's session (see conftest), and a token helper."""
from datetime import date
from functools import lru_cache

import factory
from factory.alchemy import SQLAlchemyModelFactory
from werkzeug.security import generate_password_hash

from eldercare.accounts.models import User
from eldercare.catalog.models import Category, Item
from eldercare.elders.idnumber import check_digit
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.providers.models import Provider
from eldercare.regions.models import Region

PASSWORD = "correct-horse-9"


@lru_cache
def _password_hash() -> str:
    # Hashing is deliberately slow (scrypt); tests share one hash of PASSWORD.
    return generate_password_hash(PASSWORD)


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session = None  # set per test by conftest
        sqlalchemy_session_persistence = "commit"


class DistrictFactory(Base):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"D{n:04d}")
    name = factory.Sequence(lambda n: f"测试区{n}")
    level = "district"
    parent_id = None
    lat = 32.45
    lng = 119.92


class StreetFactory(DistrictFactory):
    code = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.Sequence(lambda n: f"测试街道{n}")
    level = "street"
    parent_id = factory.LazyFunction(lambda: DistrictFactory().id)


class CommunityFactory(DistrictFactory):
    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"测试社区{n}")
    level = "community"
    parent_id = factory.LazyFunction(lambda: StreetFactory().id)


class ProviderFactory(Base):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"测试居家养老服务中心{n}")
    license_no = factory.Sequence(lambda n: f"LIC{n:06d}")
    status = "approved"
    base_lat = 32.45
    base_lng = 119.92


class UserFactory(Base):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = "family"
    password_hash = factory.LazyFunction(_password_hash)
    phone = "13800138000"

    @factory.lazy_attribute
    def scope_region_id(self):
        return DistrictFactory().id if self.role in ("bureau", "operator") else None

    @factory.lazy_attribute
    def provider_id(self):
        return ProviderFactory().id if self.role in ("provider_admin", "caregiver") else None


class CategoryFactory(Base):
    class Meta:
        model = Category

    code = factory.Sequence(lambda n: f"cat{n}")
    name = factory.Sequence(lambda n: f"类别{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    sort_order = factory.Sequence(int)


class ItemFactory(Base):
    class Meta:
        model = Item

    code = factory.Sequence(lambda n: f"item{n}")
    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"服务{n}")
    name_en = factory.Sequence(lambda n: f"Service {n}")
    price_fen = 3000
    unit = "次"
    duration_minutes = 60


def valid_id_number(birth: date, gender: str, serial: int, area: str = "321202") -> str:
    """A resident ID number with the right check digit; `serial` (0-49) keeps numbers apart."""
    seq = serial * 2 + (1 if gender == "M" else 0)
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


class ElderFactory(Base):
    class Meta:
        model = Elder

    name = factory.Sequence(lambda n: f"老人{n}")
    birth_date = date(1948, 3, 15)
    gender = "F"
    id_number = factory.LazyAttributeSequence(lambda o, n: valid_id_number(
        o.birth_date, o.gender, n % 50, area=f"{321202 + n // 50}"))
    phone = "13912345678"
    address = "泰州市海陵区测试街道1号"
    community_id = factory.LazyFunction(lambda: CommunityFactory().id)
    lat = 32.45
    lng = 119.92


FACTORIES = [DistrictFactory, StreetFactory, CommunityFactory, ProviderFactory, UserFactory,
             CategoryFactory, ItemFactory, ElderFactory]


def make_token(user) -> str:
    from eldercare.accounts.services import issue_token

    token, _ = issue_token(user)
    db.session.commit()
    return token
