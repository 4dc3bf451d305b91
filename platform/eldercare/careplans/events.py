"""What plans do when the registry or an order changes: a hospital stay pauses the elder's plans and the
discharge resumes them; a death or a move into a care institution ends them; the provider and caregiver who
take a plan's order are the ones the plan keeps."""
from sqlalchemy import select

from ..audit.services import record
from ..elders.registry import elder_status_changed
from ..extensions import db
from ..orders.signals import order_status_changed, orders_written
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
    if to_status == "accepted" and order.care_plan_id is not None:
        _remember({order.care_plan_id: (order.provider_id, order.caregiver_id)})


@orders_written.connect
def remember_who_came_at_once(_sender, *, written, **_):
    """New orders taken at once (a kept caregiver, a canteen's lunch): the same as a later acceptance."""
    _remember({w.draft.values["care_plan_id"]: (w.draft.values.get("provider_id"), w.draft.values.get("caregiver_id"))
               for w in written if w.draft.values.get("care_plan_id") is not None
               and any(c.to_status == "accepted" for c in w.changes)})


def _remember(taken: dict[int, tuple[int | None, int | None]]) -> None:
    """The plans ({plan: (provider, caregiver) who took its order}) learn the provider if they had none, and
    the caregiver who came last if the provider is theirs. Only the plans that change are loaded: a batch of
    kept plans taken by their own caregivers changes nothing."""
    plans = CarePlan.__table__.c
    ids = sorted(taken)
    for begin in range(0, len(ids), 5_000):
        for plan_id, provider_id, caregiver_id in db.session.execute(
                select(plans.id, plans.provider_id, plans.caregiver_id).where(plans.id.in_(ids[begin:begin + 5_000]))):
            by_provider, by_caregiver = taken[plan_id]
            keeps = provider_id if provider_id is not None else by_provider
            learnt = (keeps, by_caregiver if keeps == by_provider else caregiver_id)
            if learnt != (provider_id, caregiver_id):
                plan = db.session.get(CarePlan, plan_id)
                plan.provider_id, plan.caregiver_id = learnt
