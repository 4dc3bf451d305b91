"""/api/v1/care-plans: recurring care, its skips, pauses, time changes and end, and the month's forecast."""
from datetime import time

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..apibase import Blueprint, document_errors, paginate_query, roles_required
from ..clock import today
from ..elders.scope import visible_elder
from ..errors import invalid
from ..transactions import as_stored
from . import services
from .forecast import month_forecast
from .models import CarePlan
from .schemas import (
    CarePlanCreateSchema,
    CarePlanSchema,
    DateSchema,
    EndSchema,
    ForecastQuerySchema,
    ForecastSchema,
    PauseSchema,
    PlanQuerySchema,
    TimeChangeSchema,
)

blp = Blueprint("care_plans", __name__, url_prefix="/api/v1", description="Recurring care plans")
ROLES = services.PLAN_ROLES


@blp.route("/care-plans", methods=["POST"])
@document_errors(404)
@roles_required(*ROLES)
@blp.arguments(CarePlanCreateSchema)
@blp.response(201, CarePlanSchema)
def create(data):
    """A recurring plan; the bureau's names the provider (a family care bed)."""
    plan = services.create_plan(current_user, today=today(), **data)
    return as_stored(plan)


@blp.route("/care-plans", methods=["GET"])
@roles_required(*ROLES, "provider_admin")
@blp.arguments(PlanQuerySchema, location="query")
@blp.response(200, CarePlanSchema(many=True))
@blp.paginate()
def list_plans(query, pagination_parameters):
    """The plans of the elders the caller may see (a provider: the plans it keeps)."""
    stmt = select(CarePlan).order_by(CarePlan.id)
    if current_user.role == "provider_admin":
        stmt = stmt.where(CarePlan.provider_id == current_user.provider_id)
    else:
        stmt = stmt.where(CarePlan.elder_id.in_(services.elder_visible_ids(current_user)))
    if query.get("elder_id"):
        stmt = stmt.where(CarePlan.elder_id == query["elder_id"])
    if query.get("status"):
        stmt = stmt.where(CarePlan.status == query["status"])
    return paginate_query(stmt, pagination_parameters)


@blp.route("/care-plans/forecast", methods=["GET"])
@document_errors(404)
@roles_required(*ROLES)
@blp.arguments(ForecastQuerySchema, location="query")
@blp.response(200, ForecastSchema)
def forecast(query):
    """Whether the vouchers cover the rest of the month's planned visits: the shortfall and when it bites."""
    return month_forecast(visible_elder(query["elder_id"], current_user), today())


@blp.route("/care-plans/<int:plan_id>", methods=["GET"])
@roles_required(*ROLES, "provider_admin")
@blp.response(200, CarePlanSchema)
def get_plan(plan_id):
    return services.visible_plan(plan_id, current_user)


def _act(plan_id, action, **kwargs):
    plan = services.visible_plan(plan_id, current_user)  # the routes let only the elder's side change plans
    action(current_user, plan, today=today(), **kwargs)
    return as_stored(plan)


@blp.route("/care-plans/<int:plan_id>/skip", methods=["POST"])
@document_errors(409)
@roles_required(*ROLES)
@blp.arguments(DateSchema)
@blp.response(200, CarePlanSchema)
def skip(data, plan_id):
    """No visit on this date."""
    return _act(plan_id, services.skip, day=data["date"])


@blp.route("/care-plans/<int:plan_id>/pause", methods=["POST"])
@document_errors(409)
@roles_required(*ROLES)
@blp.arguments(PauseSchema)
@blp.response(200, CarePlanSchema)
def pause(data, plan_id):
    """No visits from `from` to `until`, both included."""
    return _act(plan_id, services.pause, start=data["from_"], until=data["until"])


@blp.route("/care-plans/<int:plan_id>/resume", methods=["POST"])
@document_errors(409)
@roles_required(*ROLES)
@blp.response(200, CarePlanSchema)
def resume(plan_id):
    """Visits again from today."""
    return _act(plan_id, services.resume)


@blp.route("/care-plans/<int:plan_id>/time", methods=["POST"])
@document_errors(409)
@roles_required(*ROLES)
@blp.arguments(TimeChangeSchema)
@blp.response(200, CarePlanSchema)
def change_time(data, plan_id):
    """From a date on, visits at another time of day."""
    try:
        at = time.fromisoformat(data["time"])
    except ValueError:
        raise invalid("time", _l("The time of day, as HH:MM.")) from None
    return _act(plan_id, services.change_time, start=data["from_"], at=at)


@blp.route("/care-plans/<int:plan_id>/end", methods=["POST"])
@document_errors(409)
@roles_required(*ROLES)
@blp.arguments(EndSchema, required=False)
@blp.response(200, CarePlanSchema)
def end(data, plan_id):
    """No more visits."""
    return _act(plan_id, services.end, reason=(data or {}).get("reason") or "Ended on request.")
