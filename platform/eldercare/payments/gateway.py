"""The payment gateway behind a small adapter, chosen by configuration: Stripe when STRIPE_SECRET_KEY is set,
offline otherwise (the embedded default: the co-pay is paid at the door and recorded by whoever took it).

Only this module talks to Stripe. It uses the official library's StripeClient; the HTTP client under it is
the library's default, or `stripe.default_http_client` when one is set (the tests set a stub there, so the
library itself builds and reads every request)."""
import logging
from dataclasses import dataclass

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from ..errors import Conflict

log = logging.getLogger(__name__)
CURRENCY = "cny"


@dataclass(frozen=True)
class Checkout:
    session_id: str
    url: str | None
    payment_intent_id: str | None


@dataclass(frozen=True)
class Refund:
    id: str
    status: str  # succeeded, pending, requires_action, failed, canceled
    amount_fen: int


class GatewayError(Exception):
    """The gateway could not do what was asked (Stripe refused or could not be reached)."""


class OfflineGateway:
    """No online payment: the co-pay is paid to the caregiver at the door and recorded offline."""

    name = "offline"
    online = False

    def start_checkout(self, **_kwargs) -> Checkout:
        message = _l("Online payment is not switched on: the co-pay is paid to the caregiver at the door.")
        raise Conflict(message, {"order": [message]})

    def refund(self, **_kwargs) -> Refund:
        raise GatewayError("no online payments to refund without Stripe")

    def expire_checkout(self, session_id: str) -> None:
        return None

    def payment_intent_metadata(self, payment_intent_id: str) -> dict:
        return {}


class StripeGateway:
    """Stripe Checkout in CNY, amounts in fen; Alipay and WeChat Pay where the account offers them (config
    STRIPE_PAYMENT_METHOD_TYPES, e.g. "card" where it does not)."""

    name = "stripe"
    online = True

    def __init__(self, secret_key: str, payment_method_types: tuple[str, ...]):
        self.payment_method_types = payment_method_types
        self.client = stripe.StripeClient(secret_key, http_client=stripe.default_http_client,
                                          max_network_retries=2)

    def start_checkout(self, *, order_id: int, amount_fen: int, key: str, description: str, success_url: str,
                       cancel_url: str) -> Checkout:
        """A Checkout Session for `amount_fen` fen; `key` makes a retry return the same session."""
        metadata = {"order_id": str(order_id), "payment_key": key}
        params = {
            "mode": "payment",
            "payment_method_types": list(self.payment_method_types),
            "line_items": [{"quantity": 1, "price_data": {
                "currency": CURRENCY, "unit_amount": amount_fen, "product_data": {"name": description}}}],
            "client_reference_id": str(order_id),
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if "wechat_pay" in self.payment_method_types:
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
        session = self._call(lambda: self.client.v1.checkout.sessions.create(
            params, {"idempotency_key": key})).to_dict()
        return Checkout(session_id=session["id"], url=session.get("url"),
                        payment_intent_id=id_of(session.get("payment_intent")))

    def refund(self, *, payment_intent_id: str, amount_fen: int, key: str, metadata: dict) -> Refund:
        """Give back `amount_fen` of a payment; `key` makes a retry return the same refund."""
        refund = self._call(lambda: self.client.v1.refunds.create(
            {"payment_intent": payment_intent_id, "amount": amount_fen, "metadata": metadata},
            {"idempotency_key": key})).to_dict()
        return Refund(id=refund["id"], status=refund.get("status") or "pending", amount_fen=refund.get("amount") or 0)

    def expire_checkout(self, session_id: str) -> None:
        """Close a checkout nobody paid (its order was cancelled): it can no longer take money."""
        try:
            self._call(lambda: self.client.v1.checkout.sessions.expire(session_id))
        except GatewayError:
            log.warning("could not expire checkout session %s (already complete or expired?)", session_id)

    def payment_intent_metadata(self, payment_intent_id: str) -> dict:
        """The metadata of a PaymentIntent (which names our payment), for an event that arrived before we
        learnt which PaymentIntent the checkout made."""
        intent = self._call(lambda: self.client.v1.payment_intents.retrieve(payment_intent_id)).to_dict()
        return dict(intent.get("metadata") or {})

    @staticmethod
    def _call(request):
        try:
            return request()
        except stripe.StripeError as error:
            log.warning("Stripe refused or failed: %s", error)
            raise GatewayError(str(getattr(error, "user_message", None) or error)) from error


def id_of(value) -> str | None:
    """An expandable field: an id, or the object itself."""
    if value is None or isinstance(value, str):
        return value
    return value.get("id")


def current() -> OfflineGateway | StripeGateway:
    """The gateway the configuration chooses."""
    config = current_app.config
    if config.get("STRIPE_SECRET_KEY"):
        return StripeGateway(config["STRIPE_SECRET_KEY"], tuple(config["STRIPE_PAYMENT_METHOD_TYPES"]))
    return OfflineGateway()


def online() -> bool:
    """Whether the co-pay can be paid online (pages show the "pay online" button)."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))
