"""When the registry says an elder died, went into hospital or into a care home, their open orders are
cancelled at once, with the reason, in the same transaction as the event: no caregiver is sent to an empty
home, and no provider is paid for a visit that cannot have happened."""
from sqlalchemy import select

from ..db import utcnow
from ..elders.registry import elder_status_changed
from ..extensions import db
from ..vouchers import holds
from .dispatch import set_status
from .models import OPEN_STATUSES, WorkOrder


@elder_status_changed.connect
def cancel_open_orders(elder, *, to_status: str, reason: str, actor=None, **_):
    if to_status == "active":
        return
    now = utcnow()
    orders = db.session.scalars(select(WorkOrder).where(WorkOrder.elder_id == elder.id,
                                                        WorkOrder.status.in_(OPEN_STATUSES)).with_for_update())
    for order in orders:
        for offer in order.offers:
            if offer.status == "open":
                offer.status, offer.answered_at, offer.reason = "withdrawn", now, reason
        order.cancel_reason = f"Registry event: {reason}"
        set_status(order, "cancelled", actor=actor, reason=order.cancel_reason)
        holds.release(order, actor=actor)  # held vouchers go back; with no new grants they simply wait
