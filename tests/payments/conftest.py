"""The order tests' accepted voucher-paid order (a 15.00 yuan lunch: vouchers 10.50, co-pay 4.50), and Stripe
switched on with only its HTTP client stubbed."""
import pytest
import stripe

from ..orders.conftest import city, next_monday  # noqa: F401  the city fixture
from ..orders.flows import flow  # noqa: F401  the accepted order
from .stripe_stub import SECRET_KEY, WEBHOOK_SECRET, StubStripe


@pytest.fixture
def stripe_on(app, monkeypatch):
    """Stripe configured, the library's HTTP client a stub that answers as Stripe's API."""
    stub = StubStripe()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setattr(stripe, "default_http_client", stub)
    return stub
