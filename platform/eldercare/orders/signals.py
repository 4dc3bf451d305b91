"""What the rest of the platform may hear about work orders, without orders knowing who listens."""
from blinker import signal

# send(sender, written=[new_orders.Written, ...], actor=...) once per write of new orders (one booking, a batch
# of care plans' orders), in the same transaction, after everything of them is written: each Written holds the
# order's columns and the changes that brought it to its status. A new order's first changes are heard here,
# never through order_status_changed, so a listener never does twice what the writer did once.
orders_written = signal("orders-written")
# send(order, from_status=..., to_status=..., actor=..., detail={...}) after every later status change of an
# order (dispatch.set_status), in the same transaction: notifications tell the people concerned.
order_status_changed = signal("order-status-changed")
# send(order, actor=...) when the caregiver sets out for the visit (no change of status).
caregiver_on_the_way = signal("order-caregiver-on-the-way")
