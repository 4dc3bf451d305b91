"""Notifications listen to the work orders' signals: every later change of an order (order_status_changed).

A new order's first changes (booked, offered, escalated, taken at once) are told by the order writer itself,
from the same definition of who hears (services.tell), in the statement that writes the order, for one
order or a batch; so nothing here listens to orders_written, which would write them a second time."""
from ..orders.signals import caregiver_on_the_way, order_status_changed
from . import services


@order_status_changed.connect
def status_changed(order, *, from_status=None, to_status, detail=None, **_):
    services.on_status(order, from_status=from_status, to_status=to_status, detail=detail)


@caregiver_on_the_way.connect
def on_the_way(order, **_):
    services.notify(services.elder_side(order), "on_the_way", order)
