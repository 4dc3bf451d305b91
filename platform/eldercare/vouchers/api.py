"""/api/v1/voucher-policies, /voucher-issuances, /elders/{id}/voucher-account."""
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..apibase import Blueprint, document_errors, login_required, paginate_query, roles_required
from ..elders.scope import visible_elder
from ..errors import NotFound
from ..extensions import db
from ..regions.services import descendant_ids
from ..transactions import as_stored
from . import account, issuance, policies
from .models import VoucherPolicy
from .schemas import (
    IssuanceCreateSchema,
    IssuanceSchema,
    PolicyAmendSchema,
    PolicyCreateSchema,
    PolicySchema,
    VoucherAccountSchema,
)

blp = Blueprint("vouchers", __name__, url_prefix="/api/v1", description="Service vouchers")


@blp.route("/voucher-policies", methods=["POST"])
@document_errors(409)
@roles_required("bureau", "admin")
@blp.arguments(PolicyCreateSchema)
@blp.response(201, PolicySchema)
def create_policy(data):
    """A district's voucher policy: tiers by care level and hardship; two policies of one district may not
    overlap (409)."""
    policy = policies.create_policy(current_user, **data)
    return as_stored(policy)


@blp.route("/voucher-policies", methods=["GET"])
@roles_required("bureau", "admin")
@blp.response(200, PolicySchema(many=True))
@blp.paginate()
def list_policies(pagination_parameters):
    """The policies of the caller's districts."""
    stmt = select(VoucherPolicy).order_by(VoucherPolicy.region_id, VoucherPolicy.valid_from)
    if current_user.role == "bureau":
        stmt = stmt.where(VoucherPolicy.region_id.in_(descendant_ids(current_user.scope_region_id)))
    return paginate_query(stmt, pagination_parameters)


@blp.route("/voucher-policies/<int:policy_id>", methods=["PATCH"])
@document_errors(404, 409)
@roles_required("bureau", "admin")
@blp.arguments(PolicyAmendSchema)
@blp.response(200, PolicySchema)
def amend_policy(data, policy_id):
    """End a policy (`valid_to`) or change its tiers, in months it has not paid anything in yet (409 naming the
    field otherwise); an empty body is a 422."""
    policy = db.session.get(VoucherPolicy, policy_id)
    if policy is None or (current_user.role == "bureau"
                          and policy.region_id not in descendant_ids(current_user.scope_region_id)):
        raise NotFound(_l("No such policy."))
    changes = {k: data[k] for k in ("valid_to", "tiers") if k in data}
    return as_stored(policies.amend_policy(current_user, policy, **changes))


@blp.route("/voucher-issuances", methods=["POST"])
@roles_required("bureau", "admin")
@blp.arguments(IssuanceCreateSchema)
@blp.response(201, IssuanceSchema)
def issue(data):
    """Issue the current month's vouchers to every eligible elder in the caller's districts; idempotent per
    elder and month. Any other month (one not begun, or one over and lapsed), or a month not written YYYY-MM in
    ASCII digits, is a 422 naming `period`."""
    region = current_user.scope_region_id if current_user.role == "bureau" else None
    return issuance.issue_period(data["period"], region_id=region, actor=current_user)


@blp.route("/elders/<int:elder_id>/voucher-account", methods=["GET"])
@login_required
@blp.response(200, VoucherAccountSchema)
def voucher_account(elder_id):
    """Available and held balance, this month's allowance and why, and the recent history."""
    elder = visible_elder(elder_id, current_user)
    return account.summary(elder)
