"""Payments follow the order: a cancelled order's co-pay paid online goes back through Stripe; what was paid
offline is recorded as a refund due to the family."""
from ..orders.signals import order_status_changed
from . import services


@order_status_changed.connect
def refund_when_cancelled(order, *, to_status, actor=None, **_):
    if to_status == "cancelled":
        services.refund_online(order, actor=actor)
        services.refund_due_offline(order, actor=actor)
