"""Voucher policies as data, set by the bureau for its districts."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..audit.services import record
from ..catalog.models import Category
from ..clock import Month
from ..elders.models import CARE_LEVELS, Elder
from ..errors import Conflict, Forbidden, Invalid, invalid
from ..extensions import db
from ..regions.models import Region
from ..regions.services import descendant_ids
from .models import TIER_HARDSHIP, VoucherGrant, VoucherPolicy, VoucherTier

UNCHANGED = object()  # amend_policy: valid_to not sent (None means "until replaced")


def create_policy(actor, *, region_id: int, name: str, valid_from: Month, valid_to: Month | None, tiers: list[dict],
                  categories: list[str], carry_over_months: int = 0,
                  monthly_budget_fen: int | None = None, supersede: bool = False) -> VoucherPolicy:
    """A district's policy; refused (409) when it overlaps another policy of the same district. With `supersede`
    the district's open-ended policy ("until replaced") that began earlier ends the month before this one begins
    (as amend_policy ends it: not before a month it paid in), so that the new one follows it."""
    errors: dict[str, list] = {}
    district = db.session.get(Region, region_id)
    if district is None or district.level != "district":
        errors["region_id"] = [_l("Choose a district.")]
    else:
        _may_set(actor, region_id)
    # The months come parsed (MonthField, month_from): a policy's months are the first days of its months.
    start = valid_from.first_day
    end = valid_to.first_day if valid_to is not None else None
    if end is not None and end < start:
        errors["valid_to"] = [_l("The last month is before the first.")]
    errors |= _tier_errors(tiers)
    found = {c.code: c for c in db.session.scalars(select(Category).where(Category.code.in_(categories)))}
    unknown = [c for c in categories if c not in found]
    if unknown or not categories:
        errors["categories"] = [_l("Unknown categories: %(codes)s.", codes=", ".join(unknown)) if unknown
                                else _l("Say which categories vouchers pay for.")]
    if errors:
        raise Invalid(_l("The policy is not valid."), errors)
    if supersede:
        _supersede(actor, region_id, valid_from)
    _refuse_overlap(region_id, start, end, field="valid_from")
    policy = VoucherPolicy(region_id=region_id, name=name, valid_from=start, valid_to=end,
                           carry_over_months=carry_over_months, monthly_budget_fen=monthly_budget_fen,
                           created_by_id=actor.id, categories=list(found.values()),
                           tiers=[VoucherTier(**t) for t in tiers])
    db.session.add(policy)
    db.session.flush()
    record("voucher_policy.created", policy, actor=actor, region_id=region_id, valid_from=start.isoformat(),
           valid_to=end.isoformat() if end else None, tiers=tiers, categories=categories)
    return policy


def _supersede(actor, region_id: int, valid_from: Month) -> None:
    """End the district's open-ended policy that began before `valid_from` the month before it."""
    current = db.session.scalar(select(VoucherPolicy).where(
        VoucherPolicy.region_id == region_id, VoucherPolicy.valid_to.is_(None),
        VoucherPolicy.valid_from < valid_from.first_day))
    if current is None:
        message = _l("The district has no policy running until replaced that began before this one.")
        raise Conflict(message, {"supersede": [message]})
    try:
        amend_policy(actor, current, valid_to=valid_from.previous())
    except Conflict as refusal:  # it paid in a month the new one would take: say so beside the first month
        raise Conflict(refusal.message, {"valid_from": refusal.errors.get("valid_to", [refusal.message])}) from None


def _may_set(actor, region_id: int) -> None:
    if actor.role != "admin" and (actor.role != "bureau" or actor.scope_region_id is None
                                  or region_id not in descendant_ids(actor.scope_region_id)):
        raise Forbidden(_l("Only the bureau of this district can set its voucher policy."))


def _tier_errors(tiers: list[dict]) -> dict:
    errors = {}
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
    return errors


def _refuse_overlap(region_id: int, start, end, *, field: str, other_than: int | None = None) -> None:
    """409 naming `field` when another policy of the district covers any month from `start` to `end`."""
    overlapping = db.session.scalar(select(VoucherPolicy).where(
        VoucherPolicy.region_id == region_id,
        or_(VoucherPolicy.valid_to.is_(None), VoucherPolicy.valid_to >= start),
        *([VoucherPolicy.valid_from <= end] if end is not None else []),
        *([VoucherPolicy.id != other_than] if other_than is not None else [])))
    if overlapping is not None:
        message = _l("The district already has the policy “%(name)s” for some of these months.",
                     name=overlapping.name)
        raise Conflict(message, {field: [message]})


def issued_months(policy: VoucherPolicy) -> list[str]:
    """The months vouchers were issued under the policy: its district's grants in its months (the policies of a
    district never overlap, so a grant of the district in one of them was made under it)."""
    communities = descendant_ids(policy.region_id)
    stmt = (select(VoucherGrant.period).distinct().join(Elder, Elder.id == VoucherGrant.elder_id)
            .where(Elder.community_id.in_(communities), VoucherGrant.period >= f"{policy.valid_from:%Y-%m}"))
    if policy.valid_to is not None:
        stmt = stmt.where(VoucherGrant.period <= f"{policy.valid_to:%Y-%m}")
    return sorted(db.session.scalars(stmt))


def amend_policy(actor, policy: VoucherPolicy, *, valid_to=UNCHANGED, tiers: list[dict] | None = None
                 ) -> VoucherPolicy:
    """End a policy (`valid_to`, a Month or None: until replaced) or change its tiers, in months it has not paid
    anything in yet: a month already issued keeps what it was issued under. A new policy can then follow the
    ended one."""
    _may_set(actor, policy.region_id)
    if valid_to is UNCHANGED and tiers is None:
        raise invalid("valid_to", _l("Send valid_to or tiers to change."))
    issued = issued_months(policy)
    before = dict(valid_to=f"{policy.valid_to:%Y-%m}" if policy.valid_to else None,
                  tiers=[dict(care_level=t.care_level, hardship=t.hardship, monthly_fen=t.monthly_fen,
                              copay_percent=t.copay_percent) for t in policy.tiers])
    if valid_to is not UNCHANGED:
        end = valid_to.first_day if valid_to is not None else None
        if end is not None and end < policy.valid_from:
            raise invalid("valid_to", _l("The last month is before the first."))
        paid_after = [m for m in issued if end is not None and m > f"{end:%Y-%m}"]
        if paid_after:
            message = _l("Vouchers of %(month)s were issued under this policy: it cannot end before that month.",
                         month=paid_after[-1])
            raise Conflict(message, {"valid_to": [message]})
        _refuse_overlap(policy.region_id, policy.valid_from, end, field="valid_to", other_than=policy.id)
        policy.valid_to = end
    if tiers is not None:
        errors = _tier_errors(tiers)
        if errors:
            raise Invalid(_l("The policy is not valid."), errors)
        if issued:
            message = _l("Vouchers were issued under this policy (%(months)s): end it, and set a new policy with "
                         "the new tiers from the next month.", months=", ".join(issued))
            raise Conflict(message, {"tiers": [message]})
        policy.tiers = []
        db.session.flush()  # the old rows go first: a tier kept with a new amount has the same (level, hardship)
        policy.tiers = [VoucherTier(**t) for t in tiers]
    db.session.flush()
    record("voucher_policy.amended", policy, actor=actor, before=before,
           after=dict(valid_to=f"{policy.valid_to:%Y-%m}" if policy.valid_to else None,
                      tiers=tiers if tiers is not None else before["tiers"]))
    return policy
