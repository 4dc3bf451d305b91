"""Who sees which settlement statements: the bureau those of the providers registered in its district, a
provider's administrator its own, an admin all. Anything else answers 404, as if it did not exist."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, select, true

from ..errors import NotFound
from ..extensions import db
from ..providers.models import Provider
from ..regions.services import descendant_ids
from .models import Statement


def providers_of(user):
    """A select of the provider ids whose statements `user` may see (None: every provider)."""
    if user.role == "admin":
        return None
    if user.role == "bureau" and user.scope_region_id is not None:
        return select(Provider.id).where(Provider.district_id.in_(descendant_ids(user.scope_region_id)))
    if user.role == "provider_admin" and user.provider_id is not None:
        return select(Provider.id).where(Provider.id == user.provider_id)
    return select(Provider.id).where(false())


def visible_condition(user):
    """A WHERE clause on Statement for the statements `user` may see."""
    providers = providers_of(user)
    return true() if providers is None else Statement.provider_id.in_(providers)


def visible_statement(statement_id: int, user, *, lock: bool = False) -> Statement:
    """The statement, or NotFound; `lock` takes its row for this transaction (approval)."""
    stmt = select(Statement).where(Statement.id == statement_id, visible_condition(user))
    if lock:
        stmt = stmt.with_for_update()
    found = db.session.scalar(stmt)
    if found is None:
        raise NotFound(_l("No such statement."))
    if lock:
        db.session.refresh(found)  # as committed by whoever held the lock before us
    return found
