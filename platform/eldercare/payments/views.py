"""Pages for the co-pay: "pay online" for the elder's side (to Stripe's checkout), and the offline record for
whoever took the money (the caregiver at the door, the provider, an operator), with a confirmation step before
anything is written; co-pay owed back on a cancelled order recorded as given back, the same way; the provider and
the operator reverse a record made by mistake. The rules stay in services.py; these views carry the choices."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..errors import ServiceError
from ..orders.scope import visible_order
from ..web.forms import fen_from_yuan, flash_outcome, submit
from . import gateway, services
from .api import return_urls
from .models import OFFLINE_METHODS

bp = Blueprint("payment_pages", __name__)
METHOD_LABELS = {"cash": _l("Cash"), "wechat": _l("WeChat transfer"), "alipay": _l("Alipay transfer"),
                 "bank": _l("Bank transfer"), "stripe": _l("Paid online")}
STATUS_LABELS = {"none": _l("Nothing to pay"), "due": _l("To pay"), "paid": _l("Paid"),
                 "refunded": _l("Refunded"), "refund_due": _l("To give back")}
PAYMENT_STATUS_LABELS = {"pending": _l("Waiting for payment"), "succeeded": _l("Paid"), "failed": _l("Failed"),
                         "expired": _l("Closed"), "refunded": _l("Refunded"), "recorded": _l("Recorded"),
                         "due": _l("To give back")}


@bp.app_context_processor
def payment_helpers():
    return dict(copay_due=services.due_fen, pay_online_enabled=gateway.online,
                payment_method_label=lambda code: METHOD_LABELS.get(code, code),
                copay_status_label=lambda code: STATUS_LABELS.get(code, code),
                payment_status_label=lambda code: PAYMENT_STATUS_LABELS.get(code, code),
                may_record_payment=lambda order: services.may_handle(current_user, order, services.RECORDERS),
                may_reverse_payment=lambda order: services.may_handle(current_user, order, services.REVERSERS),
                payments_of=services.payments_of, reversal_of=services.reversal_of, offline_methods=OFFLINE_METHODS,
                refund_owed=services.refund_owed_fen)


def _order_or_404(order_id):
    try:
        return visible_order(order_id, current_user)
    except ServiceError:
        abort(404)


def _back(order) -> str:
    """Where a payment form returns: the caregiver's day, or the order's page."""
    if current_user.role == "caregiver":
        return url_for("work_pages.today")
    return url_for("order_pages.detail", order_id=order.id)


@bp.route("/orders/<int:order_id>/pay-online", methods=["POST"])
@login_required
def pay_online(order_id):
    """The elder's side pays the co-pay online: to Stripe's checkout page."""
    order = _order_or_404(order_id)
    if not services.may_pay(current_user, order):
        abort(403)
    payment, errors = submit(lambda: services.start_online(current_user, order, **return_urls(order.id)))
    if errors or not payment.checkout_url or payment.status != "pending":
        flash_outcome(errors, _("This co-pay is already paid."))
        return redirect(url_for("order_pages.detail", order_id=order_id))
    return redirect(payment.checkout_url)


@bp.route("/orders/<int:order_id>/copay", methods=["POST"])
@login_required
def record_offline(order_id):
    """Co-pay received at the door or by transfer: the first press shows what will be recorded, the second
    (confirmed) records it."""
    order = _order_or_404(order_id)
    return _confirm_then_record(
        order, services.record_offline, "payments/confirm_offline.html", _back(order),
        _("Choose how the money was paid."), _("Recorded: %(yuan)s yuan received (%(method)s)."))


@bp.route("/orders/<int:order_id>/refund", methods=["POST"])
@login_required
def record_refund(order_id):
    """Co-pay given back to the family (a cancelled order's refund due): the first press shows what will be
    recorded, the second (confirmed) records it."""
    order = _order_or_404(order_id)
    return _confirm_then_record(
        order, services.record_refund, "payments/confirm_refund.html", url_for("order_pages.detail", order_id=order.id),
        _("Choose how the money was given back."), _("Recorded: %(yuan)s yuan given back (%(method)s)."))


def _confirm_then_record(order, record, template: str, back: str, no_method: str, done: str):
    """Money handed over offline (a co-pay received, a refund given back): the form's amount and method checked,
    then shown on `template` to confirm; the confirmed form is recorded by `record` and goes `back`."""
    if not services.may_handle(current_user, order, services.RECORDERS):
        abort(403)
    amount_fen = fen_from_yuan(request.form.get("amount", ""))
    method = request.form.get("method", "")
    errors = {}
    if amount_fen is None or amount_fen <= 0:
        errors["amount"] = [_("Write the amount in yuan, e.g. 4.50.")]
    if method not in OFFLINE_METHODS:
        errors["method"] = [no_method]
    note = request.form.get("note", "").strip()[:400] or None
    if not errors and request.form.get("confirmed") == "1":
        _recorded, errors = submit(lambda: record(current_user, order, amount_fen=amount_fen, method=method,
                                                  note=note))
        if not errors:
            flash(done % dict(yuan=f"{amount_fen / 100:.2f}", method=METHOD_LABELS[method]), "success")
            return redirect(back)
        errors = {("amount" if field == "amount_fen" else field): messages for field, messages in errors.items()}
    return render_template(template, order=order, amount=request.form.get("amount", ""), amount_fen=amount_fen,
                           method=method, note=note or "", errors=errors, back=back), 422 if errors else 200


@bp.route("/payments/<int:payment_id>/reverse", methods=["POST"])
@login_required
def reverse(payment_id):
    """Undo an offline record made by mistake (the provider or an operator), with the reason."""
    try:
        payment = services.payment_for(payment_id, current_user)
    except ServiceError:
        abort(404)
    if not services.may_handle(current_user, payment.order, services.REVERSERS):
        abort(403)
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash(_("Please say why."), "error")
        return redirect(url_for("order_pages.detail", order_id=payment.order_id))
    _result, errors = submit(lambda: services.reverse(current_user, payment.id, reason=reason))
    flash_outcome(errors, _("The refund record is reversed; the money is owed to the family again.")
                  if payment.kind == "refund" else _("The payment is reversed; the co-pay is due again."))
    return redirect(url_for("order_pages.detail", order_id=payment.order_id))
