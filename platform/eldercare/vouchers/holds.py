"""Voucher money on an order: held at booking, released if the order is cancelled, captured for the provider
once the elder confirms the visit. Each is one ledger movement keyed by the order, so a retry moves nothing."""
from .ledger import account, post

HOLD_MEMO = "Held for a booked service"


def hold(order, amount_fen: int, *, actor=None):
    """Move `amount_fen` from the elder's available vouchers to held; Overdrawn (409) if there is not enough."""
    if amount_fen <= 0:
        return None
    available = account("elder_available", order.elder_id)
    held = account("elder_held", order.elder_id)
    return post("hold", f"hold:{order.id}", [(available, -amount_fen), (held, amount_fen)],
                elder_id=order.elder_id, order_id=order.id, actor=actor, memo=HOLD_MEMO)


def release(order, *, actor=None):
    """Give held money back to the elder (the order was cancelled)."""
    if order.voucher_fen <= 0:
        return None
    return post("release", f"release:{order.id}", [(account("elder_held", order.elder_id), -order.voucher_fen),
                                                   (account("elder_available", order.elder_id), order.voucher_fen)],
                elder_id=order.elder_id, order_id=order.id, actor=actor, memo="Order cancelled: vouchers returned")


def capture(order, *, actor=None):
    """The visit is confirmed: the held money becomes the provider's to be paid at settlement."""
    if order.voucher_fen <= 0:
        return None
    return post("capture", f"capture:{order.id}", [(account("elder_held", order.elder_id), -order.voucher_fen),
                                                   (account("provider_payable", order.provider_id), order.voucher_fen)],
                elder_id=order.elder_id, order_id=order.id, actor=actor, memo="Visit confirmed: owed to the provider")
