"""A booked order written in one statement on PostgreSQL: the order, its history and audit events (booked,
then offered or escalated), the offer, the notifications and the voucher hold, as data-modifying CTEs.

A booking is the platform's hottest write, and writing it through the ORM's unit of work cost more than all
the rest of a booking together (bench/bench_booking.py). The rows are the ones the ORM path writes for the
same booking (dispatch.set_status with audit.record and the notification subscribers, holds.hold), which
SQLite runs and tests/orders/test_writing.py compares this with. Every later change of an order goes through
dispatch.set_status as usual."""
import json
from datetime import UTC, datetime, timedelta

from flask import has_request_context, request
from sqlalchemy import select, text
from sqlalchemy.orm.attributes import set_committed_value

from ..audit.services import actor_id as audit_actor_id
from ..db import utcnow
from ..extensions import db
from ..notifications.services import told_of_escalation, visit_facts
from ..vouchers import ledger
from ..vouchers.holds import HOLD_MEMO
from ..vouchers.models import LedgerAccount
from .dispatch import BOOKED, NOBODY, accept_minutes
from .models import OrderOffer, OrderStatusChange, WorkOrder

_ORDER_COLUMNS = {  # column -> PostgreSQL type of the parameter
    "elder_id": "integer", "item_id": "integer", "status": "text", "scheduled_start": "timestamp",
    "scheduled_end": "timestamp", "quantity": "integer", "price_fen": "integer", "voucher_fen": "integer",
    "copay_fen": "integer", "pay_with": "text", "note": "text", "provider_id": "integer",
    "preferred_provider_id": "integer", "booked_by_id": "integer", "care_plan_id": "integer", "plan_date": "date",
    "ranking": "json", "escalated_at": "timestamp", "auto_confirmed": "boolean", "created_at": "timestamp"}

_STATEMENT = text(f"""
WITH o AS (
    INSERT INTO work_orders ({", ".join(_ORDER_COLUMNS)})
    VALUES ({", ".join(f"CAST(:{c} AS {t})" for c, t in _ORDER_COLUMNS.items())})
    RETURNING id),
changes AS (
    SELECT * FROM json_to_recordset(CAST(:changes AS json))
        AS c(n integer, from_status text, to_status text, reason text, detail json, audit json)),
h AS (
    INSERT INTO order_status_changes (order_id, from_status, to_status, actor_id, reason, detail, at)
    SELECT o.id, c.from_status, c.to_status, CAST(:actor_id AS integer), c.reason, c.detail,
           CAST(:written AS timestamp)
    FROM o, changes c ORDER BY c.n),
a AS (
    INSERT INTO audit_events (at, actor_id, action, target_type, target_id, ip, detail)
    SELECT CAST(:written AS timestamp), CAST(:audit_actor_id AS integer), 'order.status_changed', 'work_orders', o.id,
           CAST(:ip AS text), c.audit
    FROM o, changes c ORDER BY c.n),
f AS (
    INSERT INTO order_offers (order_id, provider_id, rank, status, offered_at, expires_at)
    SELECT o.id, CAST(:provider_id AS integer), 0, 'open', CAST(:created_at AS timestamp),
           CAST(:expires_at AS timestamp)
    FROM o WHERE CAST(:provider_id AS integer) IS NOT NULL),
told AS (
    SELECT u.id AS user_id FROM users u
    WHERE u.role = 'provider_admin' AND u.active AND u.provider_id = CAST(:provider_id AS integer)
    UNION SELECT CAST(x AS integer) FROM json_array_elements_text(CAST(:told AS json)) AS x),
n AS (
    INSERT INTO notifications (user_id, kind, order_id, facts, created_at)
    SELECT t.user_id, CAST(:kind AS text), o.id,
           CAST(jsonb_set(CAST(:facts AS jsonb), '{{order}}', to_jsonb(o.id)) AS json), CAST(:written AS timestamp)
    FROM o, told t ORDER BY t.user_id),
t AS (
    INSERT INTO ledger_transactions (kind, key, elder_id, order_id, amount_fen, memo, actor_id, created_at)
    SELECT 'hold', 'hold:' || o.id, CAST(:elder_id AS integer), o.id, CAST(:voucher_fen AS integer),
           CAST(:memo AS text), CAST(:actor_id AS integer), CAST(:written AS timestamp)
    FROM o WHERE CAST(:voucher_fen AS integer) > 0
    RETURNING id),
moves AS (
    SELECT * FROM (VALUES (CAST(:available AS integer), -CAST(:voucher_fen AS integer)),
                          (CAST(:held AS integer), CAST(:voucher_fen AS integer))) AS m(account_id, amount)
    WHERE CAST(:voucher_fen AS integer) > 0),
e AS (
    INSERT INTO ledger_entries (transaction_id, account_id, amount_fen)
    SELECT t.id, m.account_id, m.amount FROM t, moves m ORDER BY m.account_id),
b AS (
    UPDATE ledger_accounts SET balance_fen = balance_fen + m.amount FROM moves m
    WHERE ledger_accounts.id = m.account_id)
SELECT id FROM o""")


def write_booked(values: dict, *, elder, item, candidates: list, actor, now: datetime) -> WorkOrder:
    """Write the booked order (`values`: its columns, status pending) offered to the best of `candidates`, or
    escalated when there are none, with its voucher hold. Returns the order as written, outside the session
    (nothing of it needs reading back). Raises what the database raises: a short balance breaks the
    accounts' CHECK, a double booking the unique index; the caller turns those into 409s."""
    written = utcnow()
    order = WorkOrder(**values, ranking=[c.as_dict() for c in candidates], auto_confirmed=False)
    first = candidates[0] if candidates else None
    changes = [(None, "pending", BOOKED, {})]
    if first is not None:
        minutes = accept_minutes(item.category.code)
        order.status, order.provider_id = "dispatched", first.provider_id
        changes.append(("pending", "dispatched", first.explanation(),
                        dict(provider_id=first.provider_id, accept_within_minutes=minutes)))
        expires_at = now + timedelta(minutes=minutes)
        kind, told = "offered", []
        facts = visit_facts(item, elder, order.scheduled_start, provider=first.name) | dict(minutes=minutes)
    else:
        order.status, order.provider_id, order.escalated_at = "escalated", None, now
        changes.append(("pending", "escalated", NOBODY, dict(providers_asked=0)))
        expires_at = None
        kind, told = "escalated", told_of_escalation(order, elder.community_id)
        facts = visit_facts(item, elder, order.scheduled_start)
    available = held = None
    if order.voucher_fen > 0:
        available, held = _voucher_accounts(elder.id)
    actor_id = getattr(actor, "id", None)
    params = {c: getattr(order, c) for c in _ORDER_COLUMNS} | dict(
        ranking=json.dumps(order.ranking, ensure_ascii=False), actor_id=actor_id, written=written,
        audit_actor_id=audit_actor_id(actor),
        ip=request.remote_addr if has_request_context() else None, expires_at=expires_at,
        changes=json.dumps([dict(n=n, from_status=before, to_status=after, reason=reason, detail=detail,
                                 audit=dict(before=before, after=after, reason=reason, **detail))
                            for n, (before, after, reason, detail) in enumerate(changes)], ensure_ascii=False),
        kind=kind, told=json.dumps(sorted({u for u in told if u})), facts=json.dumps(facts, ensure_ascii=False),
        memo=HOLD_MEMO, available=available, held=held)
    for name, value in params.items():  # timestamps go in as naive UTC, as UTCDateTime stores them
        if isinstance(value, datetime):
            params[name] = value.astimezone(UTC).replace(tzinfo=None)
    order.id = db.session.connection().execute(_STATEMENT, params).scalar_one()
    # The answer shows the offer and history as written; set without the ORM's change events (the order is never
    # flushed: it is in the database already), which cost more than the rest of this function.
    set_committed_value(order, "offers", [] if first is None else [OrderOffer(
        provider_id=first.provider_id, rank=0, status="open", offered_at=now, expires_at=expires_at)])
    set_committed_value(order, "history", [OrderStatusChange(
        from_status=before, to_status=after, actor_id=actor_id, reason=reason, detail=detail, at=written)
        for before, after, reason, detail in changes])
    return order


def _voucher_accounts(elder_id: int) -> tuple[int, int]:
    """The ids of the elder's available and held voucher accounts (opened at registration; opened here for an
    elder registered before that was so)."""
    table = LedgerAccount.__table__
    found = dict(db.session.execute(select(table.c.kind, table.c.id).where(
        table.c.owner_id == elder_id, table.c.kind.in_(ledger.ELDER_ACCOUNTS))).all())
    if len(found) < len(ledger.ELDER_ACCOUNTS):
        found = {kind: ledger.account(kind, elder_id).id for kind in ledger.ELDER_ACCOUNTS}
    return found["elder_available"], found["elder_held"]
