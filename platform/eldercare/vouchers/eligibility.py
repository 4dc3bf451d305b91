"""Who gets vouchers for a month, how much, and why (or why not), in words an officer can read out."""
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import aliased, joinedload

from ..elders.models import CARE_LEVEL_LABELS, HARDSHIP_LABELS, STATUS_LABELS, Elder
from ..errors import invalid
from ..extensions import db
from ..regions.models import Region
from .models import VoucherPolicy, VoucherTier, policy_categories

MIN_AGE = 60


def period_start(period: str, field: str = "period") -> date:
    """'2026-12' → 2026-12-01; Invalid naming `field` otherwise."""
    try:
        year, month = period.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(period)
        return date(int(year), int(month), 1)
    except ValueError:
        raise invalid(field, _l("A month is written YYYY-MM, e.g. 2026-12.")) from None


def previous_periods(period: str, count: int) -> list[str]:
    """The `count` months before `period`, nearest first."""
    start = period_start(period)
    months = start.year * 12 + start.month - 1
    return [f"{(m // 12):04d}-{(m % 12) + 1:02d}" for m in range(months - 1, months - 1 - count, -1)]


def district_of(community_id: int) -> int | None:
    return db.session.scalar(_district_of(), {"community_id": community_id})


def policy_for(district_id: int, period: str) -> VoucherPolicy | None:
    """The district's policy in force in `period`, with its tiers (which every caller reads)."""
    found = db.session.scalars(_policy_for(False), {"district_id": district_id, "start": period_start(period)})
    return found.unique().first()


def policy_where(community_id: int, period: str) -> VoucherPolicy | None:
    """The policy in force in `period` in the district holding the community: one query for both steps."""
    found = db.session.scalars(_policy_for(True), {"community_id": community_id, "start": period_start(period)})
    return found.unique().first()


# Built once: a voucher booking runs them, and building them cost more than running them.
@cache
def _district_of():
    street, district = aliased(Region), aliased(Region)
    return (select(district.id).select_from(Region).join(street, street.id == Region.parent_id)
            .join(district, district.id == street.parent_id).where(Region.id == bindparam("community_id")))


@cache
def _policy_for(by_community: bool):
    start = bindparam("start")
    district = _district_of().scalar_subquery() if by_community else bindparam("district_id")
    return (select(VoucherPolicy).options(joinedload(VoucherPolicy.tiers))
            .where(VoucherPolicy.region_id == district, VoucherPolicy.valid_from <= start,
                   or_(VoucherPolicy.valid_to.is_(None), VoucherPolicy.valid_to >= start)))


@cache
def _policy_category_ids():
    return select(policy_categories.c.category_id).where(policy_categories.c.policy_id == bindparam("policy_id"))


def tier_for(policy: VoucherPolicy, care_level: str | None, hardship: str) -> VoucherTier | None:
    """The most generous tier matching the care level and hardship ('any' matches every hardship)."""
    matches = [t for t in policy.tiers if t.care_level == care_level and t.hardship in ("any", hardship)]
    return max(matches, key=lambda t: (t.monthly_fen, t.hardship != "any"), default=None)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass
class Eligibility:
    eligible: bool
    policy: VoucherPolicy | None = None
    tier: VoucherTier | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def monthly_fen(self) -> int:
        return self.tier.monthly_fen if self.eligible and self.tier else 0

    def pays_for(self, category_id: int) -> bool:
        """Whether the policy's vouchers pay for services of this category."""
        return category_id in self._category_ids

    @cached_property
    def _category_ids(self) -> frozenset[int]:
        # The ids alone, asked once per answer: loading the policy's Category objects cost a voucher booking
        # more than the rest of its eligibility.
        if self.policy is None:
            return frozenset()
        return frozenset(db.session.scalars(_policy_category_ids(), {"policy_id": self.policy.id}))


def explain(elder: Elder, period: str) -> Eligibility:
    """Whether the elder gets vouchers for `period`, with every reason in plain words."""
    start = period_start(period)
    reasons = []
    # getattr: the care-plan batch passes a few columns of the elder, without this one; an elder still waiting
    # has no care level (the first assessment verifies), so the batch cannot pay vouchers to one either way.
    if getattr(elder, "verification_pending", False):
        reasons.append(str(_l("Registered by family: an officer must check the record before vouchers are paid.")))
    if elder.status != "active":
        reasons.append(str(_l("The elder is %(status)s: vouchers are suspended.", status=STATUS_LABELS[elder.status])))
    if age_on(elder.birth_date, start) < MIN_AGE:
        reasons.append(str(_l("The elder is under %(age)d on %(day)s.", age=MIN_AGE, day=start.isoformat())))
    policy = policy_where(elder.community_id, period)
    tier = None
    if policy is None:
        reasons.append(str(_l("The district has no voucher policy for %(period)s.", period=period)))
    elif elder.care_level is None:
        reasons.append(str(_l("The elder has not been assessed; vouchers follow the assessed care level.")))
    else:
        tier = tier_for(policy, elder.care_level, elder.hardship)
        if tier is None:
            reasons.append(str(_l("The policy has no tier for %(level)s with hardship status %(hardship)s.",
                                  level=CARE_LEVEL_LABELS[elder.care_level], hardship=HARDSHIP_LABELS[elder.hardship])))
    if not reasons:
        reasons.append(str(_l("Eligible: %(yuan)s yuan a month under “%(policy)s” (%(level)s, %(hardship)s), "
                              "co-payment %(copay)d%%.", yuan=f"{tier.monthly_fen / 100:.2f}", policy=policy.name,
                              level=CARE_LEVEL_LABELS[elder.care_level], hardship=HARDSHIP_LABELS[elder.hardship],
                              copay=tier.copay_percent)))
        return Eligibility(True, policy, tier, reasons)
    return Eligibility(False, policy, tier, reasons)
