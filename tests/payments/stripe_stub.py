"""Stripe's own library with only its HTTP client replaced: the library builds every request (form-encoded
params, Idempotency-Key, API version) and reads every answer; this answers as Stripe's API would, with canned
JSON, and keeps what was asked. Stripe's idempotency is imitated: the same key returns the first answer.

Webhook events are signed as Stripe signs them: Stripe-Signature `t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" keyed with the endpoint secret>`."""
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import stripe

WEBHOOK_SECRET = "whsec_test_yiyang"  # nosec B105 - a test secret
SECRET_KEY = "sk_test_yiyang"  # nosec B105 - a test key


@dataclass
class Call:
    method: str
    path: str
    params: dict
    idempotency_key: str | None


class StubStripe(stripe.HTTPClient):
    name = "stub"

    def __init__(self):
        super().__init__()
        self.calls: list[Call] = []
        self.answers_by_key: dict[str, tuple] = {}
        self.ids = itertools.count(1)
        self.refund_status = "succeeded"
        self.intents: dict[str, dict] = {}  # PaymentIntents Stripe knows (for retrieve)

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        params = dict(parse_qsl(post_data or parts.query or ""))
        key = (headers or {}).get("Idempotency-Key")
        self.calls.append(Call(method.upper(), parts.path, params, key))
        if key and key in self.answers_by_key:
            return self.answers_by_key[key]
        body, status = self.answer(method.upper(), parts.path, params)
        answer = (json.dumps(body), status, {"Request-Id": f"req_{next(self.ids)}"})
        if key and method.upper() == "POST":
            self.answers_by_key[key] = answer
        return answer

    def answer(self, method, path, params):
        n = next(self.ids)
        if method == "POST" and path == "/v1/checkout/sessions":
            session_id = f"cs_test_{n}"
            return {"id": session_id, "object": "checkout.session", "mode": "payment", "status": "open",
                    "payment_status": "unpaid", "currency": params["line_items[0][price_data][currency]"],
                    "amount_total": int(params["line_items[0][price_data][unit_amount]"]), "payment_intent": None,
                    "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                    "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")}}, 200
        if method == "POST" and path.startswith("/v1/checkout/sessions/") and path.endswith("/expire"):
            return {"id": path.split("/")[4], "object": "checkout.session", "status": "expired"}, 200
        if method == "POST" and path == "/v1/refunds":
            return {"id": f"re_test_{n}", "object": "refund", "amount": int(params["amount"]),
                    "currency": "cny", "payment_intent": params["payment_intent"], "status": self.refund_status}, 200
        if method == "GET" and path.startswith("/v1/payment_intents/"):
            intent = self.intents.get(path.split("/")[3])
            if intent is None:
                return {"error": {"type": "invalid_request_error", "message": "No such payment_intent"}}, 404
            return intent, 200
        return {"error": {"type": "invalid_request_error", "message": f"stub: {method} {path}"}}, 404

    def calls_to(self, path_start: str) -> list[Call]:
        return [c for c in self.calls if c.path.startswith(path_start)]


def signature(payload: str, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def event(event_id: str, kind: str, obj: dict) -> str:
    return json.dumps({"id": event_id, "object": "event", "api_version": "2025-01-27.acacia",
                       "created": int(time.time()), "type": kind, "livemode": False, "pending_webhooks": 1,
                       "data": {"object": obj}})


def session_completed(session_id: str, intent_id: str, amount: int, metadata: dict, paid: bool = True) -> dict:
    return {"id": session_id, "object": "checkout.session", "payment_intent": intent_id, "amount_total": amount,
            "currency": "cny", "payment_status": "paid" if paid else "unpaid", "status": "complete",
            "metadata": metadata}


def intent(intent_id: str, amount: int, metadata: dict, *, status="succeeded", error=None) -> dict:
    body = {"id": intent_id, "object": "payment_intent", "amount": amount, "currency": "cny", "status": status,
            "amount_received": amount if status == "succeeded" else 0, "metadata": metadata}
    if error:
        body["last_payment_error"] = {"code": "payment_intent_authentication_failure", "message": error}
    return body


def charge_refunded(charge_id: str, intent_id: str, amount: int, refunded: int, metadata: dict | None = None) -> dict:
    return {"id": charge_id, "object": "charge", "payment_intent": intent_id, "amount": amount,
            "amount_captured": amount, "amount_refunded": refunded, "refunded": refunded >= amount,
            "currency": "cny", "metadata": metadata or {}}
