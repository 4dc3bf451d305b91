"""The bureau's coverage map: the 15-minute circle of the officer's area drawn from the platform's coordinates,
with the same figures as a table, the communities with nothing in reach and most elders first."""
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..db import MAX_ID
from . import services
from .shapes import drawing

bp = Blueprint("coverage_pages", __name__)


def status_name(status: str) -> str:
    names = {"none": _("Nothing in reach"), "partial": _("Some elders out of reach"),
             "full": _("Every elder in reach")}
    return names.get(status, status)


def place_kind_name(kind: str) -> str:
    names = {"provider": _("Provider"), "canteen": _("Canteen"), "bathing": _("Bathing point"),
             "day_care": _("Day-care centre")}
    return names.get(kind, kind)


@bp.route("/bureau/coverage")
@login_required
def coverage_page():
    """The officer's area (or one of its districts or streets): each community's elders as a circle coloured by
    how many have a provider or service point within 1.5 km, the places with their circles, and the table."""
    if current_user.role != "bureau":
        abort(403)
    asked = request.args.get("region", "")
    region_id = None
    if asked:
        if not (asked.isascii() and asked.isdigit() and 1 <= int(asked) <= MAX_ID):
            abort(404)
        region_id = int(asked)
    cov = services.for_officer(current_user, region_id)
    areas = services.areas_in(current_user.scope_region_id) if current_user.scope_region_id else []
    return render_template("coverage/map.html", cov=cov, map=drawing(cov), areas=areas,
                           region_id=region_id or current_user.scope_region_id, status_name=status_name,
                           place_kind_name=place_kind_name)
