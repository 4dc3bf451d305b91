"""Which events of the audit log an officer reads: those about something in their region, and the platform's own.

An event is about what its target is: an elder, an order, a provider, or something that belongs to one of them (a
care plan, a payment, an audit case, a caregiver, a service point, a settlement statement, ...). An officer reads
an event about a thing when they may see the thing, by that thing's own domain's scope (elders/scope.py,
orders/scope.py, providers/scope.py, ...), so that the log tells an officer nothing the rest of the platform
hides from them. An event about nothing in a region (a login, an account or catalogue change, a scan) is the
platform's, read by the officers at the top of the region tree only: those scoped to a region with none above it
(a district today; a city, if one is put above the districts). A street officer reads their street's events and
nothing of the platform's."""
from sqlalchemy import and_, false, or_, select

from ..careplans.models import CarePlan
from ..elders.models import Elder
from ..extensions import db
from ..orders.models import WorkOrder
from ..payments.models import Payment
from ..providers.models import Caregiver, Provider
from ..providers.scope import visible_condition as provider_visible
from ..regions.models import Region
from ..regions.services import below
from ..servicepoints.models import ServicePoint
from ..settlement.models import Statement
from ..settlement.scope import visible_condition as statement_visible
from ..vouchers.models import VoucherPolicy
from .findings import AuditCase, Finding
from .models import AuditEvent
from .samples import FollowUpCall, FollowUpSample

READERS = ("bureau",)


def _targets(user) -> dict:
    """{target type: a select of the ids of that type `user` (a bureau officer) may see}: the events about something
    in a region. What an officer sees is what each domain's scope lets them see (an elder of a community in their
    region, the elder's orders, a provider registered in or serving their region, ...), said here over one
    relation of the region's ids (a statement may carry `below` once)."""
    region = below(user.scope_region_id)
    elders = select(Elder.id).where(Elder.community_id.in_(region))  # elders/scope.py, an officer's
    orders = select(WorkOrder.id).where(WorkOrder.elder_id.in_(elders))  # orders/scope.py, an officer's
    providers = select(Provider.id).where(provider_visible(user))
    return {
        "elders": elders,
        "work_orders": orders,
        "care_plans": select(CarePlan.id).where(CarePlan.elder_id.in_(elders)),
        "payments": select(Payment.id).where(Payment.order_id.in_(orders)),
        "audit_cases": select(AuditCase.id).where(AuditCase.order_id.in_(orders)),
        "audit_findings": select(Finding.id).where(Finding.order_id.in_(orders)),
        "audit_follow_up_calls": select(FollowUpCall.id).where(FollowUpCall.order_id.in_(orders)),
        "audit_samples": select(FollowUpSample.id).where(FollowUpSample.region_id.in_(region)),
        "providers": providers,
        "caregivers": select(Caregiver.id).where(Caregiver.provider_id.in_(providers)),
        "service_points": select(ServicePoint.id).where(ServicePoint.community_id.in_(region)),  # servicepoints/scope
        "settlement_statements": select(Statement.id).where(statement_visible(user)),
        "voucher_policies": select(VoucherPolicy.id).where(VoucherPolicy.region_id.in_(region)),
        "regions": region,
    }


def at_the_top(user) -> bool:
    """Whether `user` is an officer scoped to a region with none above it (who reads the platform's events)."""
    if user.role not in READERS or user.scope_region_id is None:
        return False
    parent = db.session.execute(select(Region.parent_id).where(Region.id == user.scope_region_id)).first()
    return parent is not None and parent.parent_id is None


def log_condition(user):
    """A WHERE clause on AuditEvent for the events `user` may read."""
    if user.role not in READERS or user.scope_region_id is None:
        return false()
    targets = _targets(user)
    about_region = or_(*(and_(AuditEvent.target_type == kind, AuditEvent.target_id.in_(ids))
                         for kind, ids in targets.items()))
    if at_the_top(user):
        return or_(AuditEvent.target_type.is_(None), AuditEvent.target_type.not_in(list(targets)), about_region)
    return about_region
