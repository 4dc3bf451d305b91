"""The demo city behind `flask seed-demo`, modelled on Taizhou: regions, the catalogue, providers, caregivers,
elders with assessments, and one login per role. Deterministic: each stage draws from its own seeded random
stream, so the same command builds the same city, and `--elders` changes only the elders.

Rows go in with bulk INSERTs (SQLAlchemy's insertmanyvalues) rather than ORM objects, which is what makes
20,000 elders take seconds rather than minutes."""
import itertools
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta

from sqlalchemy import func, insert, select, update
from werkzeug.security import generate_password_hash

from ..accounts.models import User
from ..audit.services import record
from ..catalog.models import Category, Item
from ..elders.assessment import item_specs, score
from ..elders.models import Assessment, Elder, FamilyLink
from ..extensions import db
from ..geo import distance_km
from ..providers.models import (
    CATEGORY_CERTIFICATE,
    Availability,
    Caregiver,
    Certificate,
    Provider,
    ProviderPrice,
    caregiver_categories,
    provider_areas,
    provider_categories,
)
from ..regions.models import Region
from ..vouchers import ledger
from . import catalog, people
from .regions import CITY, DISTRICTS, jitter, region_rows

SEED = 20261122
MAX_ELDERS = 357_000
DEFAULT_ELDERS = 20_000
CAREGIVERS = 2_000
DEMO_PASSWORD = "yiyang-demo"  # nosec B105
BATCH = 5_000
HOME_DISTRICT = "321202"  # 海陵区: the bureau login's district
HOME_STREET = "321202001"  # 城东街道: the operator login's street, where the demo elder and family live

PROVIDER_STEMS = ("颐康 福寿 康乐 安心 夕阳红 乐龄 孝亲 百福 仁爱 温馨 同心 爱邻 惠民 长寿 和睦 银龄 松鹤 怡养 暖阳 "
                  "家和 善德 慈晖 康宁 瑞祥 安康").split()
PROVIDER_KINDS = ("居家养老服务中心", "养老服务有限公司", "社区养老服务站", "颐养服务社", "家政服务有限公司", "护理站")
# How likely a provider is to offer each category: most cook and clean, few adapt homes.
CATEGORY_LIKELIHOOD = {
    "meal": 0.75, "bathing": 0.45, "cleaning": 0.8, "escort": 0.5, "medical_escort": 0.4, "emergency": 0.35,
    "companionship": 0.6, "rehab_nursing": 0.3, "home_adaptation": 0.2, "errands": 0.55, "personal_care": 0.65,
}
# Share of elders with each hardship status and the roster it comes from.
HARDSHIP = (("none", 0.88, None), ("low_income", 0.06, "低收入人口动态监测名册"),
            ("dibao", 0.045, "泰州市最低生活保障名册"), ("tekun", 0.015, "泰州市特困人员供养名册"))


@dataclass
class SeedResult:
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role, who)


def city_exists() -> bool:
    return db.session.scalar(select(Region.id).where(Region.code == HOME_DISTRICT)) is not None


def seed_demo(elders: int = DEFAULT_ELDERS, progress: Callable[[int], None] | None = None) -> SeedResult | None:
    """Build the demo city and commit; None (and nothing written) if it is already there."""
    if not 2 <= elders <= MAX_ELDERS:
        raise ValueError(f"elders must be from 2 to {MAX_ELDERS}")
    if city_exists():
        return None
    result = SeedResult()
    password_hash = generate_password_hash(DEMO_PASSWORD)  # scrypt is slow on purpose: hash once
    regions = _seed_regions(random.Random(f"{SEED}-regions"))  # nosec B311
    categories = _seed_catalog()
    providers = _seed_providers(random.Random(f"{SEED}-providers"), regions, categories)  # nosec B311
    _seed_prices(random.Random(f"{SEED}-prices"), providers)  # nosec B311
    caregivers = _seed_caregivers(random.Random(f"{SEED}-caregivers"), providers, categories)  # nosec B311
    operators = _seed_staff(regions, providers, caregivers, password_hash, result)
    elder_ids = _seed_elders(random.Random(f"{SEED}-elders"), regions, operators, elders, progress)  # nosec B311
    _seed_elder_logins(elder_ids, password_hash, result)
    _seed_vouchers(regions, categories)
    _seed_care_plans(elder_ids)
    result.counts.update(
        districts=sum(r["level"] == "district" for r in regions), streets=sum(r["level"] == "street" for r in regions),
        communities=sum(r["level"] == "community" for r in regions), categories=len(categories),
        items=len(catalog.item_rows()), providers=len(providers), caregivers=len(caregivers), elders=len(elder_ids),
        assessments=db.session.scalar(select(func.count(Assessment.id))), street_operators=len(operators) - 1,
    )
    record("demo.seeded", **result.counts)
    db.session.commit()
    return result


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert `rows` in one executemany and return their new ids in the same order."""
    if not rows:
        return []
    # A Core insert on the table: the ORM's bulk insert would split the rows by which columns are None.
    table = model.__table__
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    keys = set().union(*rows)  # an executemany needs every key in every row
    return list(db.session.execute(stmt, [dict.fromkeys(keys) | r for r in rows]).scalars())


def _seed_regions(rng: random.Random) -> list[dict]:
    rows = region_rows(rng)
    ids: dict[str, int] = {}
    for level in ("district", "street", "community"):
        batch = [r for r in rows if r["level"] == level]
        values = [{k: v for k, v in r.items() if k != "parent_code"} | {"parent_id": ids.get(r["parent_code"])}
                  for r in batch]
        for row, new_id in zip(batch, _insert(Region, values), strict=True):
            ids[row["code"]] = row["id"] = new_id
    for r in rows:
        r["parent_id"] = ids.get(r["parent_code"])
    return rows


def _seed_catalog() -> dict[str, int]:
    """Categories and items; returns category ids by code."""
    category_rows = catalog.category_rows()
    ids = dict(zip((c["code"] for c in category_rows), _insert(Category, list(category_rows)), strict=True))
    items = [{k: v for k, v in r.items() if k != "category_code"} | {"category_id": ids[r["category_code"]]}
             for r in catalog.item_rows()]
    _insert(Item, items)
    return ids


def _seed_providers(rng: random.Random, regions: list[dict], categories: dict[str, int]) -> list[dict]:
    """Each district's providers, based in its streets (town centres favoured), serving their own street and
    the nearest others; every street is served and every category offered somewhere in every district."""
    streets_of = defaultdict(list)
    district_ids = {}
    for r in regions:
        if r["level"] == "street":
            streets_of[r["parent_code"]].append(r)
        elif r["level"] == "district":
            district_ids[r["code"]] = r["id"]
    names = [f"{stem}{kind}" for kind in PROVIDER_KINDS for stem in PROVIDER_STEMS]
    rng.shuffle(names)
    providers = []
    for d in DISTRICTS:
        streets = streets_of[d.code]
        district_providers = []
        for _ in range(d.providers):
            home = rng.choices(streets, [2.0 if s["name"].endswith("街道") else 1.0 for s in streets])[0]
            lat, lng = jitter(rng, home["lat"], home["lng"], 1.0)
            nearest = sorted((s for s in streets if s is not home),
                             key=lambda s: distance_km(home["lat"], home["lng"], s["lat"], s["lng"]))
            offered = [c for c, p in CATEGORY_LIKELIHOOD.items() if rng.random() < p] or ["meal", "cleaning"]
            n = len(providers) + 1
            district_providers.append(dict(
                name=f"{CITY}{d.name}{names.pop()}",
                license_no=f"91{d.code}MA{n:03d}{rng.randrange(36**4):05d}"[:18],
                status="approved", district_id=district_ids[d.code], base_lat=lat, base_lng=lng,
                service_radius_m=rng.choice((3000, 5000, 8000)),
                phone=f"0523-8{rng.randrange(10**6):06d}{rng.randrange(10)}",
                address=f"{CITY}{d.name}{home['name']}{rng.randint(1, 300)}号",
                areas={home["id"]} | {s["id"] for s in nearest[:rng.randint(1, 4)]},
                categories=set(offered),
            ))
        for street in streets:  # nobody left without a provider nearby
            if not any(street["id"] in p["areas"] for p in district_providers):
                rng.choice(district_providers)["areas"].add(street["id"])
        for code in categories:
            if not any(code in p["categories"] for p in district_providers):
                rng.choice(district_providers)["categories"].add(code)
        providers.extend(district_providers)

    columns = ("name", "license_no", "status", "district_id", "base_lat", "base_lng", "service_radius_m",
               "phone", "address")
    ids = _insert(Provider, [{k: p[k] for k in columns} for p in providers])
    for p, new_id in zip(providers, ids, strict=True):
        p["id"] = new_id
    db.session.execute(insert(provider_areas),
                       [dict(provider_id=p["id"], region_id=a) for p in providers for a in sorted(p["areas"])])
    db.session.execute(insert(provider_categories), [dict(provider_id=p["id"], category_id=categories[c])
                                                     for p in providers for c in sorted(p["categories"])])
    for p in providers:
        p["category_ids"] = sorted(categories[c] for c in p["categories"])
    return providers


def _seed_prices(rng: random.Random, providers: list[dict]) -> None:
    """Each provider's price for every item it offers: the guide price or up to 15% below, to the jiao."""
    items = db.session.execute(select(Item.id, Item.category_id, Item.price_fen)).all()
    rows = []
    for p in providers:
        offered = set(p["category_ids"])
        discount = rng.choice((1.0, 1.0, 0.95, 0.9, 0.85))
        rows += [dict(provider_id=p["id"], item_id=i.id, price_fen=int(i.price_fen * discount) // 10 * 10)
                 for i in items if i.category_id in offered]
    db.session.execute(insert(ProviderPrice), rows)


# Weekly hours (weekdays, start, end) and how common each pattern is.
SHIFTS = (((0, 1, 2, 3, 4, 5), time(8), time(18)), (tuple(range(7)), time(8), time(17)),
          ((0, 1, 2, 3, 4), time(14), time(20)))
SHIFT_WEIGHTS = (70, 20, 10)
CERTIFICATE_LEVELS = {"elderly_care": ("五级", "四级", "三级"), "nurse": ("护士", "护师"), "health": (None,)}


def _seed_caregivers(rng: random.Random, providers: list[dict], categories: dict[str, int]) -> list[dict]:
    """CAREGIVERS workers: at least three per provider, the rest spread by provider size; each with weekly
    hours and the certificates their categories need (a few lapsed, as in life)."""
    code_of = {v: k for k, v in categories.items()}
    sizes = [rng.uniform(0.5, 3.0) for _ in providers]
    staff = [3] * len(providers)
    for i in rng.choices(range(len(providers)), sizes, k=CAREGIVERS - 3 * len(providers)):
        staff[i] += 1
    caregivers = []
    for p, count in zip(providers, staff, strict=True):
        for _ in range(count):
            gender = "F" if rng.random() < 0.8 else "M"
            skills = rng.sample(p["category_ids"], min(len(p["category_ids"]), rng.randint(1, 3)))
            caregivers.append(dict(provider_id=p["id"], name=people.person_name(rng, gender),
                                   phone=people.mobile(rng), daily_limit=rng.choice((6, 8, 8, 10)),
                                   skills=sorted(skills)))
    ids = _insert(Caregiver, [{k: v for k, v in c.items() if k != "skills"} for c in caregivers])
    for c, new_id in zip(caregivers, ids, strict=True):
        c["id"] = new_id
    db.session.execute(insert(caregiver_categories),
                       [dict(caregiver_id=c["id"], category_id=s) for c in caregivers for s in c["skills"]])
    hours, certificates = [], []
    for c in caregivers:
        days, start, end = rng.choices(SHIFTS, SHIFT_WEIGHTS)[0]
        hours += [dict(caregiver_id=c["id"], weekday=d, start_time=start, end_time=end) for d in days]
        kinds = {CATEGORY_CERTIFICATE[code_of[s]] for s in c["skills"] if code_of[s] in CATEGORY_CERTIFICATE}
        if rng.random() < 0.7:
            kinds.add("elderly_care")
        for kind in sorted(kinds):
            certificates.append(dict(caregiver_id=c["id"], kind=kind, level=rng.choice(CERTIFICATE_LEVELS[kind]),
                                     expires_on=people.REFERENCE_DATE + timedelta(days=rng.randrange(-60, 1500))))
    db.session.execute(insert(Availability), hours)
    db.session.execute(insert(Certificate), certificates)
    return caregivers


def _seed_staff(regions, providers, caregivers, password_hash, result: SeedResult) -> dict[int, int]:
    """The admin, bureau, operator, provider and caregiver logins, plus an operator for every other street
    (they are the assessors of its elders). Returns the operator's user id by street id."""
    by_code = {r["code"]: r for r in regions}
    district, home_street = by_code[HOME_DISTRICT], by_code[HOME_STREET]
    provider = next(p for p in providers if home_street["id"] in p["areas"])
    caregiver = next(c for c in caregivers if c["provider_id"] == provider["id"])
    named = [
        dict(username="admin", role="admin", display_name="系统管理员"),
        dict(username="bureau", role="bureau", display_name=f"{district['name']}民政局 张科长",
             scope_region_id=district["id"]),
        dict(username="operator", role="operator", display_name=f"{home_street['name']}养老服务站 李专员",
             scope_region_id=home_street["id"]),
        dict(username="provider", role="provider_admin", display_name=provider["name"], provider_id=provider["id"]),
        dict(username="caregiver", role="caregiver", display_name=caregiver["name"], provider_id=provider["id"],
             phone=caregiver["phone"]),
    ]
    street_operators = [
        dict(username=f"op{r['code']}", role="operator", display_name=f"{r['name']}养老服务站",
             scope_region_id=r["id"])
        for r in regions if r["level"] == "street" and r["code"] != HOME_STREET
    ]
    rows = named + street_operators
    ids = _insert(User, [{"password_hash": password_hash, **r} for r in rows])
    user_ids = dict(zip((r["username"] for r in rows), ids, strict=True))
    db.session.execute(update(Caregiver).where(Caregiver.id == caregiver["id"])
                       .values(user_id=user_ids["caregiver"]))
    result.logins += [(r["username"], r["role"], r["display_name"]) for r in named]
    operators = {r["scope_region_id"]: user_ids[r["username"]] for r in street_operators}
    operators[home_street["id"]] = user_ids["operator"]
    return operators


def _seed_elders(rng: random.Random, regions: list[dict], operators: dict[int, int], count: int,
                 progress: Callable[[int], None] | None) -> list[int]:
    """`count` elders spread over the communities by district population, a third of them assessed.
    The first two live together in the operator's street: the demo elder and their spouse."""
    by_id = {r["id"]: r for r in regions}
    share = {d.code: d.share for d in DISTRICTS}
    communities = [r for r in regions if r["level"] == "community"]
    per_district = defaultdict(int)
    for c in communities:
        per_district[by_id[c["parent_id"]]["parent_code"]] += 1
    weights = [share[by_id[c["parent_id"]]["parent_code"]] / per_district[by_id[c["parent_id"]]["parent_code"]]
               * (1.5 if c["name"].endswith("社区") else 1.0) for c in communities]
    cum_weights = list(itertools.accumulate(weights))  # once, not per elder
    home_community = next(c for c in communities if by_id[c["parent_id"]]["code"] == HOME_STREET)
    taken: set[str] = set()
    elder_ids: list[int] = []
    for start in range(0, count, BATCH):
        elders, assessments = [], []
        for i in range(start, min(start + BATCH, count)):
            community = home_community if i < 2 else rng.choices(communities, cum_weights=cum_weights)[0]
            elder, assessment = _elder(rng, community, by_id, taken, forced_needy=(i == 0))
            if i == 1:  # the spouse shares the demo elder's home
                elder.update(address=elders[0]["address"], lat=elders[0]["lat"], lng=elders[0]["lng"])
                elders[0]["lives_alone"] = elder["lives_alone"] = False
            if assessment:
                assessment["assessor_id"] = operators[community["parent_id"]]
            elders.append(elder)
            assessments.append(assessment)
        ids = _insert(Elder, elders)
        ledger.open_elder_accounts(ids)  # as registration does
        _insert(Assessment, [a | {"elder_id": eid} for a, eid in zip(assessments, ids, strict=True) if a])
        elder_ids += ids
        if progress:
            progress(len(ids))
    return elder_ids


def _elder(rng, community, by_id, taken, forced_needy=False) -> tuple[dict, dict | None]:
    street = by_id[community["parent_id"]]
    district = by_id[street["parent_id"]]
    birth = people.elder_birth_date(rng)
    gender = people.elder_gender(rng, birth)
    age = people.age_on(birth)
    lat, lng = jitter(rng, community["lat"], community["lng"], 0.8)
    hardship, _, source = rng.choices(HARDSHIP, [w for _, w, _ in HARDSHIP])[0]
    if forced_needy:
        hardship, source = "dibao", HARDSHIP[2][2]
    elder = dict(
        name=people.person_name(rng, gender), id_number=people.id_number(rng, district["code"], birth, gender, taken),
        birth_date=birth, gender=gender, phone=people.mobile(rng) if rng.random() < 0.85 else None,
        address=people.home_address(rng, CITY, district["name"], street["name"], community["name"]),
        community_id=community["id"], lat=lat, lng=lng, hardship=hardship,
        hardship_since=people.REFERENCE_DATE - timedelta(days=rng.randrange(30, 3650)) if source else None,
        hardship_source=source, lives_alone=rng.random() < 0.12 + 0.004 * (age - 60),
        care_level=None, status="active",
    )
    assess_chance = min(0.8, 0.16 + 0.012 * (age - 60) + (0.15 if source else 0.0))
    if not (forced_needy or rng.random() < assess_chance):
        return elder, None
    assessment = _assessment(rng, age, total=55 if forced_needy else None)
    elder["care_level"] = assessment["care_level"]
    return elder, assessment


def _assessment(rng: random.Random, age: int, total: int | None = None) -> dict:
    """A GB/T 42195-2022 assessment: a total drawn from a care-level mix that worsens with age, its shortfall
    from 90 spread over the items' points at random."""
    if total is None:
        bands = ((90, 90), (66, 89), (46, 65), (30, 45), (5, 29))  # intact ... total
        mix = (30, 35, 18, 11, 6) if age < 75 else (15, 32, 24, 17, 12)
        low, high = rng.choices(bands, mix)[0]
        total = rng.randint(low, high)
    specs = item_specs()
    slots = [s.code for s in specs for _ in range(s.max_points)]
    lost = Counter(rng.sample(slots, len(slots) - total))
    items = {s.code: s.max_points - lost[s.code] for s in specs}
    diagnoses = {"dementia": rng.random() < 0.02 + 0.003 * max(0, age - 65), "coma": rng.random() < 0.001}
    diagnoses = {k: True for k, v in diagnoses.items() if v}
    risk_events = rng.choices((0, 1, 2, 3), (80, 12, 6, 2))[0]
    total, level = score(items, diagnoses, risk_events)
    return dict(assessed_on=people.REFERENCE_DATE - timedelta(days=rng.randrange(7, 700)), reason="initial",
                items=items, diagnoses=diagnoses, risk_events_30d=risk_events, total_score=total, care_level=level)


# Taizhou-like tiers: the national subsidy's moderate-or-worse rule, topped up for 低保 and 特困 elders.
VOUCHER_TIERS = (("moderate", "any", 30000, 30), ("severe", "any", 40000, 20), ("total", "any", 50000, 10),
                 ("moderate", "dibao", 40000, 20), ("severe", "dibao", 50000, 10), ("total", "dibao", 60000, 0),
                 ("moderate", "tekun", 40000, 0), ("severe", "tekun", 60000, 0), ("total", "tekun", 80000, 0),
                 ("mild", "dibao", 20000, 30), ("mild", "tekun", 20000, 0))
VOUCHER_CATEGORIES = ("meal", "bathing", "cleaning", "escort", "medical_escort", "emergency", "companionship",
                      "rehab_nursing", "personal_care")


def _seed_vouchers(regions: list[dict], categories: dict[str, int]) -> None:
    """A voucher policy in every district from January 2026, and the current month issued (as the scheduler
    would have on its 1st: only the current month can be issued)."""
    from ..catalog.models import Category
    from ..clock import Month
    from ..vouchers.issuance import issue_period
    from ..vouchers.models import VoucherPolicy, VoucherTier

    paid_for = list(db.session.scalars(select(Category).where(Category.code.in_(VOUCHER_CATEGORIES))))
    for r in regions:
        if r["level"] == "district":
            db.session.add(VoucherPolicy(
                region_id=r["id"], name=f"{r['name']}居家养老服务券", valid_from=people.REFERENCE_DATE.replace(month=1),
                carry_over_months=1, categories=paid_for,
                tiers=[VoucherTier(care_level=c, hardship=h, monthly_fen=f, copay_percent=p)
                       for c, h, f, p in VOUCHER_TIERS]))
    db.session.flush()
    issue_period(Month.current())  # commits


def _seed_care_plans(elder_ids: list[int]) -> None:
    """Regular care for the demo couple, kept by the demo provider and caregiver: a family care bed's daily
    visit for the elder (set up by the bureau) and the spouse's cleaning twice a week (set up by the family).
    The scheduler books their visits two days ahead."""
    from ..careplans.models import CarePlan
    from ..clock import Month
    from ..vouchers.eligibility import explain

    caregiver = db.session.scalar(select(Caregiver).join(User, User.id == Caregiver.user_id)
                                  .where(User.username == "caregiver"))
    served = sorted(c.id for c in caregiver.categories)
    items = db.session.scalars(select(Item).where(Item.category_id.in_(served), Item.active.is_(True))
                               .order_by(Item.category_id, Item.price_fen, Item.id)).all()
    if not items:
        return
    users = dict(db.session.execute(select(User.username, User.id).where(User.username.in_(("bureau", "family"))))
                 .all())
    first, second = db.session.scalars(select(Elder).where(Elder.id.in_(elder_ids[:2])).order_by(Elder.id))
    eligibility = explain(first, str(Month.current()))  # the month the seed issued
    daily = items[0]
    pays = "voucher" if eligibility.eligible and eligibility.pays_for(daily.category_id) else "self"
    weekly = items[-1]
    # Within her working hours, so the scheduler can give her the visits.
    starts = sorted(a.start_time for a in caregiver.availability) or [time(9, 0)]
    daily_at, weekly_at = starts[0], time(min(starts[0].hour + 1, 23), 0)
    common = dict(provider_id=caregiver.provider_id, caregiver_id=caregiver.id, start_date=people.REFERENCE_DATE,
                  status="active", interval_weeks=1, quantity=1)
    db.session.add_all([
        CarePlan(elder_id=first.id, item_id=daily.id, freq="daily", weekdays=[], time_of_day=daily_at,
                 pay_with=pays, family_care_bed=True, created_by_id=users["bureau"], **common),
        CarePlan(elder_id=second.id, item_id=weekly.id, freq="weekly", weekdays=[1, 4], time_of_day=weekly_at,
                 pay_with="self", family_care_bed=False, created_by_id=users["family"], **common),
    ])
    db.session.flush()


def _seed_elder_logins(elder_ids: list[int], password_hash: str, result: SeedResult) -> None:
    """The elder login for the first elder; the family login linked to the first two (parents)."""
    first, second = db.session.scalars(select(Elder).where(Elder.id.in_(elder_ids[:2])).order_by(Elder.id))
    ids = _insert(User, [
        dict(username="elder", role="elder", display_name=first.name, phone=first.phone,
             password_hash=password_hash),
        dict(username="family", role="family", display_name=f"{first.name[0]}家属", password_hash=password_hash),
    ])
    first.user_id = ids[0]
    db.session.execute(insert(FamilyLink), [dict(elder_id=first.id, user_id=ids[1], relation="子女"),
                                            dict(elder_id=second.id, user_id=ids[1], relation="子女")])
    result.logins += [("family", "family", f"{first.name}、{second.name}的子女"), ("elder", "elder", first.name)]
