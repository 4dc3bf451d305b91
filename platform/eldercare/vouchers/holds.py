"""Voucher money on an order: held at booking, released if the order is cancelled, captured for the provider
once the elder confirms the visit, given back if a dispute about it is upheld, and paid to the provider when the
bureau approves the settlement statement that lists it. Each is one ledger movement keyed by the order (a
settlement: by its statement), so a retry moves nothing.

The movements are built here, once (`hold_movement`, `release_movement`, `capture_movement`,
`reversal_movement`, `settlement_movement`), and posted by `ledger.post_many`: alone for one order (`hold`,
`release`, `capture`, `reverse`) or one statement (`settle`), or many at once (`hold_many`, or the order writer
posting a batch's holds)."""
from collections.abc import Iterable

from . import ledger

HOLD_MEMO = "Held for a booked service"
RELEASE_MEMO = "Order cancelled: vouchers returned"
CAPTURE_MEMO = "Visit confirmed: owed to the provider"
REVERSAL_MEMO = "Dispute upheld: vouchers returned"
SETTLEMENT_MEMO = "Settlement approved: paid to the provider"


def hold_movement(order_id: int, elder_id: int, fen: int, available_id: int, held_id: int,
                  actor_id: int | None = None) -> ledger.Movement:
    """The hold of an order: `fen` from the elder's available account to held (account ids, as from
    `ledger.accounts`). The one definition of a hold, whoever posts it."""
    return ledger.Movement("hold", f"hold:{order_id}", ((available_id, -fen), (held_id, fen)), elder_id=elder_id,
                           order_id=order_id, memo=HOLD_MEMO, actor_id=actor_id)


def release_movement(order_id: int, elder_id: int, fen: int, held_id: int, available_id: int,
                     actor_id: int | None = None) -> ledger.Movement:
    """The release of an order's hold: `fen` back from held to available (the order was cancelled)."""
    return ledger.Movement("release", f"release:{order_id}", ((held_id, -fen), (available_id, fen)),
                           elder_id=elder_id, order_id=order_id, memo=RELEASE_MEMO, actor_id=actor_id)


def capture_movement(order_id: int, elder_id: int, fen: int, held_id: int, payable_id: int,
                     actor_id: int | None = None) -> ledger.Movement:
    """The capture of an order's hold: `fen` from held to the provider's payable (the visit was confirmed)."""
    return ledger.Movement("capture", f"capture:{order_id}", ((held_id, -fen), (payable_id, fen)),
                           elder_id=elder_id, order_id=order_id, memo=CAPTURE_MEMO, actor_id=actor_id)


def reversal_movement(order_id: int, elder_id: int, fen: int, payable_id: int, available_id: int,
                      actor_id: int | None = None) -> ledger.Movement:
    """A captured visit undone (a dispute upheld): `fen` from the provider's payable back to the elder."""
    return ledger.Movement("reversal", f"reversal:{order_id}", ((payable_id, -fen), (available_id, fen)),
                           elder_id=elder_id, order_id=order_id, memo=REVERSAL_MEMO, actor_id=actor_id)


def settlement_movement(statement_id: int, period: str, fen: int, payable_id: int, paid_id: int,
                        actor_id: int | None = None) -> ledger.Movement:
    """A settlement statement approved: its voucher total from the provider's payable account to paid."""
    return ledger.Movement("settlement", f"settlement:{statement_id}", ((payable_id, -fen), (paid_id, fen)),
                           period=period, memo=SETTLEMENT_MEMO, actor_id=actor_id)


def hold_many(orders: Iterable[tuple[object, int]], *, actor=None, short: str = "skip") -> list[ledger.Movement]:
    """Hold each (order, fen) pair's vouchers in one ledger call, the accounts opened in bulk. With
    `short="skip"` the holds the balances cannot cover (taken in the order given) are left out and returned;
    with `short="raise"` a short balance is Overdrawn (409) and the caller's transaction must roll back."""
    orders = [(order, fen) for order, fen in orders if fen > 0]
    ids = ledger.accounts((kind, order.elder_id) for order, _ in orders for kind in ledger.ELDER_ACCOUNTS)
    actor_id = getattr(actor, "id", None)
    return ledger.post_many([
        hold_movement(order.id, order.elder_id, fen, ids["elder_available", order.elder_id],
                      ids["elder_held", order.elder_id], actor_id) for order, fen in orders], short=short).short


def hold(order, amount_fen: int, *, actor=None) -> ledger.Movement | None:
    """Move `amount_fen` from the elder's available vouchers to held; Overdrawn (409) if there is not enough.
    None (nothing written) when there is nothing to hold or the order's hold was posted before."""
    if amount_fen <= 0:
        return None
    ids = ledger.accounts((kind, order.elder_id) for kind in ledger.ELDER_ACCOUNTS)
    return _one(hold_movement(order.id, order.elder_id, amount_fen, ids["elder_available", order.elder_id],
                              ids["elder_held", order.elder_id], getattr(actor, "id", None)))


def release(order, *, actor=None) -> ledger.Movement | None:
    """Give held money back to the elder (the order was cancelled)."""
    if order.voucher_fen <= 0:
        return None
    ids = ledger.accounts((kind, order.elder_id) for kind in ledger.ELDER_ACCOUNTS)
    return _one(release_movement(order.id, order.elder_id, order.voucher_fen, ids["elder_held", order.elder_id],
                                 ids["elder_available", order.elder_id], getattr(actor, "id", None)))


def capture(order, *, actor=None) -> ledger.Movement | None:
    """The visit is confirmed: the held money becomes the provider's to be paid at settlement."""
    if order.voucher_fen <= 0:
        return None
    ids = ledger.accounts([("elder_held", order.elder_id), ("provider_payable", order.provider_id)])
    return _one(capture_movement(order.id, order.elder_id, order.voucher_fen, ids["elder_held", order.elder_id],
                                 ids["provider_payable", order.provider_id], getattr(actor, "id", None)))


def reverse(order, *, actor=None) -> ledger.Movement | None:
    """Give the elder back what a confirmed visit captured for the provider (the dispute was upheld)."""
    if order.voucher_fen <= 0:
        return None
    ids = ledger.accounts([("provider_payable", order.provider_id), ("elder_available", order.elder_id)])
    return _one(reversal_movement(order.id, order.elder_id, order.voucher_fen,
                                  ids["provider_payable", order.provider_id], ids["elder_available", order.elder_id],
                                  getattr(actor, "id", None)))


def settle(statement, *, actor=None) -> ledger.Movement | None:
    """Pay the provider what an approved statement lists (its voucher total), once per statement; Overdrawn
    (409) if the provider's payable account does not hold it."""
    if statement.voucher_total_fen <= 0:
        return None
    ids = ledger.accounts([("provider_payable", statement.provider_id), ("provider_paid", statement.provider_id)])
    return _one(settlement_movement(statement.id, statement.period, statement.voucher_total_fen,
                                    ids["provider_payable", statement.provider_id],
                                    ids["provider_paid", statement.provider_id], getattr(actor, "id", None)))


def _one(movement: ledger.Movement) -> ledger.Movement | None:
    posted = ledger.post_many([movement]).posted
    return posted[0] if posted else None
