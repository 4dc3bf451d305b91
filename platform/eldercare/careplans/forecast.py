"""Will the vouchers cover the rest of the month's planned care? The family sees the shortfall in fen and the
first date the balance will not cover, in time to top it up, pay themselves, or change the plan."""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from ..clock import LOCAL, Month
from ..errors import ServiceError
from ..extensions import db
from ..orders import booking
from ..orders.models import WorkOrder
from ..vouchers import account
from .models import CarePlan
from .rules import dates, time_on


@dataclass
class Forecast:
    elder_id: int
    balance_fen: int  # available now
    planned_fen: int  # the voucher share of the month's planned visits not yet booked
    shortfall_fen: int
    bites_on: date | None  # the first planned date the balance will not cover
    visits: int


def month_forecast(elder, today: date) -> Forecast:
    last = Month.of(today).last_day
    balance = account.summary(elder, recent=0)["balance_fen"]
    plans = db.session.scalars(select(CarePlan).where(CarePlan.elder_id == elder.id, CarePlan.status == "active",
                                                      CarePlan.pay_with == "voucher")).all()
    booked = set(db.session.execute(select(WorkOrder.care_plan_id, WorkOrder.plan_date).where(
        WorkOrder.elder_id == elder.id, WorkOrder.plan_date >= today)).all())
    upcoming = []
    for plan in plans:
        share = None
        for day in dates(plan, today, last):
            if (plan.id, day) in booked:
                continue  # already held on the account
            if share is None:
                start = datetime.combine(day, time_on(plan, day), LOCAL)
                try:
                    share = booking.voucher_share(elder, plan.item, start, plan.item.price_fen * plan.quantity)
                except ServiceError:
                    share = 0  # vouchers no longer pay for it: the family pays, nothing to forecast
            upcoming.append((day, share))
    upcoming.sort()
    total, bites_on, running = 0, None, 0
    for day, share in upcoming:
        running += share
        if bites_on is None and running > balance:
            bites_on = day
    total = running
    return Forecast(elder.id, balance, total, max(0, total - balance), bites_on, len(upcoming))
