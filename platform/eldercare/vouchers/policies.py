"""Voucher policies as data, set by the bureau for its districts."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..audit.services import record
from ..catalog.models import Category
from ..clock import Month
from ..elders.models import CARE_LEVELS
from ..errors import Conflict, Forbidden, Invalid
from ..extensions import db
from ..regions.models import Region
from ..regions.services import descendant_ids
from .models import TIER_HARDSHIP, VoucherPolicy, VoucherTier


def create_policy(actor, *, region_id: int, name: str, valid_from: Month, valid_to: Month | None, tiers: list[dict],
                  categories: list[str], carry_over_months: int = 0,
                  monthly_budget_fen: int | None = None) -> VoucherPolicy:
    """A district's policy; refused (409) when it overlaps another policy of the same district."""
    errors: dict[str, list] = {}
    district = db.session.get(Region, region_id)
    if district is None or district.level != "district":
        errors["region_id"] = [_l("Choose a district.")]
    elif actor.role != "admin" and (actor.role != "bureau" or actor.scope_region_id is None
                                    or region_id not in descendant_ids(actor.scope_region_id)):
        raise Forbidden(_l("Only the bureau of this district can set its voucher policy."))
    # The months come parsed (MonthField, month_from): a policy's months are the first days of its months.
    start = valid_from.first_day
    end = valid_to.first_day if valid_to is not None else None
    if end is not None and end < start:
        errors["valid_to"] = [_l("The last month is before the first.")]
    if not tiers:
        errors["tiers"] = [_l("Give at least one tier.")]
    seen = set()
    for i, tier in enumerate(tiers):
        if tier["care_level"] not in CARE_LEVELS:
            errors[f"tiers.{i}.care_level"] = [_l("Must be one of: %(choices)s.", choices=", ".join(CARE_LEVELS))]
        if tier["hardship"] not in TIER_HARDSHIP:
            errors[f"tiers.{i}.hardship"] = [_l("Must be one of: %(choices)s.", choices=", ".join(TIER_HARDSHIP))]
        if (tier["care_level"], tier["hardship"]) in seen:
            errors[f"tiers.{i}"] = [_l("Two tiers for the same care level and hardship.")]
        seen.add((tier["care_level"], tier["hardship"]))
    found = {c.code: c for c in db.session.scalars(select(Category).where(Category.code.in_(categories)))}
    unknown = [c for c in categories if c not in found]
    if unknown or not categories:
        errors["categories"] = [_l("Unknown categories: %(codes)s.", codes=", ".join(unknown)) if unknown
                                else _l("Say which categories vouchers pay for.")]
    if errors:
        raise Invalid(_l("The policy is not valid."), errors)
    overlapping = db.session.scalar(select(VoucherPolicy).where(
        VoucherPolicy.region_id == region_id,
        or_(VoucherPolicy.valid_to.is_(None), VoucherPolicy.valid_to >= start),
        *([VoucherPolicy.valid_from <= end] if end is not None else [])))
    if overlapping is not None:
        message = _l("The district already has the policy “%(name)s” for some of these months.",
                     name=overlapping.name)
        raise Conflict(message, {"valid_from": [message]})
    policy = VoucherPolicy(region_id=region_id, name=name, valid_from=start, valid_to=end,
                           carry_over_months=carry_over_months, monthly_budget_fen=monthly_budget_fen,
                           created_by_id=actor.id, categories=list(found.values()),
                           tiers=[VoucherTier(**t) for t in tiers])
    db.session.add(policy)
    db.session.flush()
    record("voucher_policy.created", policy, actor=actor, region_id=region_id, valid_from=start.isoformat(),
           valid_to=end.isoformat() if end else None, tiers=tiers, categories=categories)
    return policy
