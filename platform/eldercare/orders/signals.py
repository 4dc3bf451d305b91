"""What the rest of the platform may hear about work orders, without orders knowing who listens."""
from blinker import signal

# send(order, from_status=..., to_status=..., actor=..., detail={...}) after every status change, in the same
# transaction: notifications tell the people concerned.
order_status_changed = signal("order-status-changed")
# send(order, actor=...) when the caregiver sets out for the visit (no change of status).
caregiver_on_the_way = signal("order-caregiver-on-the-way")
