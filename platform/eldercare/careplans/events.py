"""What plans do when the registry or an order changes: a hospital stay pauses the elder's plans and the
discharge resumes them; a death or a move into a care institution ends them; the provider and caregiver who
take a plan's order are the ones the plan keeps."""
from sqlalchemy import select

from ..audit.services import record
from ..elders.registry import elder_status_changed
from ..extensions import db
from ..orders.signals import order_status_changed
from .models import CarePlan

ENDS = {"deceased": "The elder died.", "institutionalized": "The elder moved into a care institution."}


@elder_status_changed.connect
def follow_the_elder(elder, *, to_status: str, actor=None, **_):
    plans = db.session.scalars(select(CarePlan).where(CarePlan.elder_id == elder.id,
                                                      CarePlan.status != "ended")).all()
    for plan in plans:
        if to_status == "hospitalized" and plan.status == "active":
            plan.status, plan.paused_by_registry = "paused", True
            record("care_plan.paused", plan, actor=actor, reason="hospital stay")
        elif to_status == "active" and plan.paused_by_registry:
            plan.status, plan.paused_by_registry = "active", False
            record("care_plan.resumed", plan, actor=actor, reason="discharged")
        elif to_status in ENDS:
            plan.status, plan.end_reason = "ended", ENDS[to_status]
            record("care_plan.ended", plan, actor=actor, reason=ENDS[to_status])


@order_status_changed.connect
def remember_who_came(order, *, to_status: str, **_):
    if to_status != "accepted" or order.care_plan_id is None:
        return
    plan = db.session.get(CarePlan, order.care_plan_id)
    if plan.provider_id is None:
        plan.provider_id = order.provider_id
    if plan.provider_id == order.provider_id:
        plan.caregiver_id = order.caregiver_id
