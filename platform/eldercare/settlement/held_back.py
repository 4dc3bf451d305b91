"""Why an order is kept off a statement: a small list of rules, each taking order ids and answering
{order_id: reason} for those it holds back. Generation asks them about the month's candidates, approval asks
them again about a draft's lines (a dispute opened after the statement was made). A new reason (an open audit
case) is one more function in RULES, with its label; nothing else changes."""
from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import sql
from ..extensions import db
from ..orders.models import WorkOrder

# A rule answers {order id: (the reason in English, as the API and the log keep it; its facts, which the pages
# put into the reader's language)}.
Rule = Callable[[list[int]], dict[int, tuple[str, dict]]]


def under_dispute(order_ids: list[int]) -> dict[int, tuple[str, dict]]:
    """Orders the elder's side or an officer disputes, held until the dispute is resolved: the complaint."""
    found = {}
    for chunk in sql.chunks(order_ids):
        for order_id, reason in db.session.execute(select(WorkOrder.id, WorkOrder.dispute_reason).where(
                sql.any_of(WorkOrder.id, chunk), WorkOrder.status == "disputed")):
            found[order_id] = (f"Under dispute: {reason or '-'}", dict(complaint=reason or ""))
    return found


def no_longer_confirmed(order_ids: list[int]) -> dict[int, tuple[str, dict]]:
    """Orders that left `confirmed` some other way (a dispute ended in cancellation) after they were listed."""
    found = {}
    for chunk in sql.chunks(order_ids):
        for order_id, status in db.session.execute(select(WorkOrder.id, WorkOrder.status).where(
                sql.any_of(WorkOrder.id, chunk), WorkOrder.status.not_in(("confirmed", "disputed", "settled")))):
            found[order_id] = (f"No longer confirmed: the order is {status}.", dict(status=status))
    return found


def open_audit_case(order_ids: list[int]) -> dict[int, tuple[str, dict]]:
    """Orders an audit case holds: open or reviewed (not decided yet), or confirmed (the vouchers went back to
    the elder, so nothing is owed for them)."""
    from ..audit.findings import open_case_reasons

    return open_case_reasons(order_ids)


RULES: list[Rule] = [under_dispute, no_longer_confirmed, open_audit_case]
LABELS = {"under_dispute": _l("Under dispute"), "no_longer_confirmed": _l("No longer confirmed"),
          "open_audit_case": _l("Audit case")}


def reasons(order_ids: list[int]) -> dict[int, dict]:
    """Every order of `order_ids` that some rule holds back: {order_id: {"order_id", "rule", "reason", "facts"}},
    the first rule's answer."""
    held: dict[int, dict] = {}
    if not order_ids:
        return held
    for rule in RULES:
        for order_id, (reason, facts) in rule(order_ids).items():
            held.setdefault(order_id, {"order_id": order_id, "rule": rule.__name__, "reason": reason, "facts": facts})
    return held

