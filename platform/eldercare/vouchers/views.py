"""Voucher pages: the elder's (and family's) balance and history, and the bureau's month of issuance."""
from collections import Counter, defaultdict

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ..apibase import month_from
from ..catalog.models import Category
from ..clock import Month
from ..elders.models import CARE_LEVEL_LABELS, HARDSHIP_LABELS, Elder
from ..elders.scope import visible_condition, visible_elder
from ..errors import ServiceError
from ..extensions import db
from ..regions.models import Region
from ..regions.services import descendant_ids
from ..web.forms import by_form_field, fen_from_yuan, flash_outcome, row_id, submit, whole_number
from . import account, issuance
from .eligibility import explain
from .models import VoucherGrant, VoucherPolicy
from .policies import amend_policy, create_policy, issued_months

bp = Blueprint("voucher_pages", __name__)
KIND_WORDS = {"issue": _l("Monthly vouchers"), "hold": _l("Held for a booked service"),
              "release": _l("Returned: a service was cancelled"), "capture": _l("Paid for a service"),
              "lapse": _l("Expired unused"), "reversal": _l("Correction")}


@bp.route("/elders/<int:elder_id>/vouchers")
@login_required
def elder_account(elder_id):
    """What the elder has to spend, what is held for booked services, and where the money went."""
    try:
        elder = visible_elder(elder_id, current_user)
    except ServiceError:
        abort(404)
    summary = account.summary(elder, recent=50)
    return render_template("vouchers/account.html", elder=elder, summary=summary, kind_words=KIND_WORDS)


@bp.route("/bureau/vouchers", methods=["GET", "POST"])
@login_required
def issuance_page():
    """The month's issuance in the officer's area: how many, how much, by tier and street; who is eligible
    but has nothing yet, and why anyone is not eligible."""
    _only_overseers()
    # The month shown and issued, parsed once: a month in other digits is refused here, never taken for
    # another spelling of one (the issuance key was the raw string). Only the current month can be issued.
    errors, month = {}, Month.current()
    if request.values.get("period"):
        try:
            month = month_from(request.values["period"])
        except ServiceError as refusal:
            errors = refusal.errors
    region = current_user.scope_region_id if current_user.role == "bureau" else None
    confirming = False
    if request.method == "POST" and not errors and request.form.get("confirmed") != "yes":
        # Money goes out: refuse another month beside its field, or ask once more for this one.
        _month, errors = submit(lambda: issuance.only_the_current_month(month), general_field="period")
        confirming = not errors
    elif request.method == "POST" and not errors:
        report, errors = submit(lambda: issuance.issue_period(month, region_id=region, actor=current_user))
        if report is not None:
            flash(_("Issued %(period)s: %(count)d elders, %(yuan)s yuan; %(already)d already had theirs.",
                    period=report.period, count=report.issued, yuan=f"{report.total_fen / 100:,.2f}",
                    already=report.already), "success")
            return redirect(url_for(".issuance_page", period=str(month)))
    period = str(month)
    return render_template("vouchers/issuance.html", period=period, errors=errors, confirming=confirming,
                           can_issue=month == Month.current(), **_month_facts(period)), 422 if errors else 200


def _month_facts(period: str) -> dict:
    grants = db.session.execute(
        select(VoucherGrant.elder_id, VoucherGrant.amount_fen, VoucherGrant.care_level, VoucherGrant.hardship,
               Region.parent_id)
        .join(Elder, Elder.id == VoucherGrant.elder_id).join(Region, Region.id == Elder.community_id)
        .where(VoucherGrant.period == period, visible_condition(current_user))).all()
    by_tier, by_street = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for g in grants:
        for bucket in (by_tier[(g.care_level, g.hardship)], by_street[g.parent_id]):
            bucket[0] += 1
            bucket[1] += g.amount_fen
    streets = dict(db.session.execute(select(Region.id, Region.name).where(Region.id.in_(by_street))).all())
    issued = {g.elder_id for g in grants}
    # Who is assessed and active but has nothing this month, and why: the officer's to-do list.
    candidates = db.session.scalars(select(Elder).where(
        visible_condition(current_user), Elder.status == "active", Elder.care_level.is_not(None),
        Elder.id.not_in(issued) if issued else Elder.id.is_not(None)).order_by(Elder.id).limit(500)).all()
    waiting, reasons = [], Counter()
    for elder in candidates:
        verdict = explain(elder, period)
        if verdict.eligible:
            waiting.append(elder)
        else:
            reasons[verdict.reasons[0]] += 1
    return dict(count=len(grants), total_fen=sum(g.amount_fen for g in grants),
                by_tier=sorted(((CARE_LEVEL_LABELS[c], HARDSHIP_LABELS[h], n, fen)
                                for (c, h), (n, fen) in by_tier.items()), key=lambda r: -r[3]),
                by_street=sorted(((streets.get(s, "?"), n, fen) for s, (n, fen) in by_street.items()),
                                 key=lambda r: -r[2]),
                waiting=waiting, reasons=reasons.most_common(10), looked_at=len(candidates))


POLICY_ROWS = [(level, hardship) for level in ("mild", "moderate", "severe", "total")
               for hardship in ("any", "low_income", "dibao", "tekun")]


def _only_overseers():
    if current_user.role not in ("bureau", "admin"):
        abort(403)


def _districts() -> list[Region]:
    scope = descendant_ids(current_user.scope_region_id) if current_user.role == "bureau" else None
    return db.session.scalars(select(Region).where(
        Region.level == "district", *([Region.id.in_(scope)] if scope is not None else [])).order_by(Region.id)).all()


def _policy_in_scope(policy_id: int) -> VoucherPolicy:
    policy = db.session.get(VoucherPolicy, policy_id)
    if policy is None or (current_user.role == "bureau"
                          and policy.region_id not in descendant_ids(current_user.scope_region_id)):
        abort(404)
    return policy


def _amounts_message() -> str:
    return _("Amounts are numbers of yuan; co-payments whole percentages.")


def _tiers_from(form) -> list[dict]:
    """The tier grid's filled rows (yuan and co-payment percentage) as the service's tiers; 422 naming `tiers`."""
    tiers = []
    for level, hardship in POLICY_ROWS:
        yuan, copay = form.get(f"fen_{level}_{hardship}", "").strip(), form.get(f"copay_{level}_{hardship}", "")
        if yuan:
            fen, percent = fen_from_yuan(yuan), whole_number(copay or "0")
            if fen is None or percent is None:
                raise ServiceError(_amounts_message(), {"tiers": [_amounts_message()]}, code=422)
            tiers.append(dict(care_level=level, hardship=hardship, monthly_fen=fen, copay_percent=percent))
    return tiers


def _tier_form(policy: VoucherPolicy) -> dict:
    """The policy's tiers as the grid's field values."""
    values = {}
    for t in policy.tiers:
        values[f"fen_{t.care_level}_{t.hardship}"] = f"{t.monthly_fen / 100:.2f}"
        values[f"copay_{t.care_level}_{t.hardship}"] = str(t.copay_percent)
    return values


@bp.route("/bureau/voucher-policies", methods=["GET", "POST"])
@login_required
def policies_page():
    """The district's voucher policies and a form for the next one."""
    _only_overseers()
    districts = _districts()
    categories = db.session.scalars(select(Category).order_by(Category.sort_order)).all()
    errors, form = {}, request.form
    if request.method == "POST":
        def fields():
            tiers = _tiers_from(form)
            budget = form.get("monthly_budget_yuan", "").strip()
            budget_fen = fen_from_yuan(budget) if budget else None
            if budget and budget_fen is None:
                raise ServiceError(_amounts_message(), {"monthly_budget_yuan": [_amounts_message()]}, code=422)
            carry = whole_number(form.get("carry_over_months") or "0")
            if carry is None:
                raise ServiceError(_("Write a whole number of months."),
                                   {"carry_over_months": [_("Write a whole number of months.")]}, code=422)
            valid_from = month_from(form.get("valid_from", ""), "valid_from")
            valid_to = month_from(form["valid_to"], "valid_to") if form.get("valid_to") else None
            return create_policy(
                current_user, region_id=row_id(form.get("region_id")) or 0, name=form.get("name", "").strip(),
                valid_from=valid_from, valid_to=valid_to, tiers=tiers,
                categories=form.getlist("categories"), carry_over_months=carry, monthly_budget_fen=budget_fen,
                supersede=form.get("supersede") == "yes")

        policy, errors = submit(fields)
        errors = by_form_field(errors)
        if policy is not None:
            flash(_("The policy “%(name)s” is saved.", name=policy.name), "success")
            return redirect(url_for(".policies_page"))
    policies = db.session.scalars(select(VoucherPolicy).where(
        VoucherPolicy.region_id.in_([d.id for d in districts])).order_by(VoucherPolicy.valid_from.desc())).all()
    editable = {p.id for p in policies if not issued_months(p)}
    return render_template("vouchers/policies.html", policies=policies, districts=districts, categories=categories,
                           district_options=[(d.id, d.name) for d in districts],
                           rows=POLICY_ROWS, errors=errors, form=form, editable=editable,
                           open_ended=any(p.valid_to is None for p in policies)), 422 if errors else 200


@bp.route("/bureau/voucher-policies/<int:policy_id>/edit", methods=["GET", "POST"])
@login_required
def edit_policy(policy_id):
    """Change the tiers of a policy that has paid nothing yet (one not yet in force)."""
    _only_overseers()
    policy = _policy_in_scope(policy_id)
    errors, form = {}, request.form if request.method == "POST" else _tier_form(policy)
    if request.method == "POST":
        done, errors = submit(lambda: amend_policy(current_user, policy, tiers=_tiers_from(form)))
        errors = by_form_field(errors)
        if done is not None:
            flash(_("The policy “%(name)s” is saved.", name=policy.name), "success")
            return redirect(url_for(".policies_page"))
    return render_template("vouchers/policy_edit.html", policy=policy, rows=POLICY_ROWS, errors=errors, form=form,
                           issued=issued_months(policy)), 422 if errors else 200


@bp.route("/bureau/voucher-policies/<int:policy_id>/end", methods=["POST"])
@login_required
def end_policy(policy_id):
    """End a policy with a last month (or make it open again), so that a new one can follow."""
    _only_overseers()
    policy = _policy_in_scope(policy_id)
    text = request.form.get("valid_to", "").strip()
    done, errors = submit(lambda: amend_policy(current_user, policy,
                                               valid_to=month_from(text, "valid_to") if text else None))
    flash_outcome(errors, _("The policy “%(name)s” now runs until %(month)s.", name=policy.name,
                            month=text or _("it is replaced")))
    return redirect(url_for(".policies_page"))
