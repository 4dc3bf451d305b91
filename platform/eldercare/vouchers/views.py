"""Voucher pages: the elder's (and family's) balance and history, and the bureau's month of issuance."""
from collections import Counter, defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ..elders.models import CARE_LEVEL_LABELS, HARDSHIP_LABELS, Elder
from ..elders.scope import visible_condition, visible_elder
from ..errors import ServiceError
from ..extensions import db
from ..regions.models import Region
from ..web.forms import submit
from . import account, issuance
from .eligibility import explain, period_start
from .models import LedgerTransaction

bp = Blueprint("voucher_pages", __name__)
KIND_WORDS = {"issue": _l("Monthly vouchers"), "hold": _l("Held for a booked service"),
              "release": _l("Returned: a service was cancelled"), "capture": _l("Paid for a service"),
              "lapse": _l("Expired unused"), "reversal": _l("Correction")}


def this_month() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


@bp.route("/elders/<int:elder_id>/vouchers")
@login_required
def elder_account(elder_id):
    """What the elder has to spend, what is held for booked services, and where the money went."""
    try:
        elder = visible_elder(elder_id, current_user)
    except ServiceError:
        abort(404)
    summary = account.summary(elder, recent=50)
    policy = explain(elder, summary["period"]).policy
    return render_template("vouchers/account.html", elder=elder, summary=summary, policy=policy,
                           kind_words=KIND_WORDS)


@bp.route("/bureau/vouchers", methods=["GET", "POST"])
@login_required
def issuance_page():
    """The month's issuance in the officer's area: how many, how much, by tier and street; who is eligible
    but has nothing yet, and why anyone is not eligible."""
    if current_user.role not in ("bureau", "admin"):
        abort(403)
    period = request.values.get("period") or this_month()
    try:
        period_start(period)
    except ServiceError:
        period = this_month()
    region = current_user.scope_region_id if current_user.role == "bureau" else None
    if request.method == "POST":
        report, errors = submit(lambda: issuance.issue_period(period, region_id=region, actor=current_user))
        if report is not None:
            flash(_("Issued %(period)s: %(count)d elders, %(yuan)s yuan; %(already)d already had theirs.",
                    period=period, count=report.issued, yuan=f"{report.total_fen / 100:,.2f}",
                    already=report.already), "success")
        return redirect(url_for(".issuance_page", period=period))
    return render_template("vouchers/issuance.html", period=period, **_month_facts(period))


def _month_facts(period: str) -> dict:
    grants = db.session.execute(
        select(LedgerTransaction.elder_id, LedgerTransaction.amount_fen, Elder.care_level, Elder.hardship,
               Region.parent_id)
        .join(Elder, Elder.id == LedgerTransaction.elder_id).join(Region, Region.id == Elder.community_id)
        .where(LedgerTransaction.kind == "issue", LedgerTransaction.period == period,
               visible_condition(current_user))).all()
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
