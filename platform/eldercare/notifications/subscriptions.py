"""Notifications listen to the work orders' signals."""
from ..orders.signals import caregiver_on_the_way, order_status_changed
from . import services


@order_status_changed.connect
def status_changed(order, *, from_status=None, to_status, detail=None, **_):
    services.on_status(order, from_status=from_status, to_status=to_status, detail=detail)


@caregiver_on_the_way.connect
def on_the_way(order, **_):
    services.notify(services.elder_side(order), "on_the_way", order)
