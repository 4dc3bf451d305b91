"""GET /api/v1/health: is the app up and its database answering? For load balancers and monitors, and the
trivial endpoint the booking benchmark measures against."""
from sqlalchemy import text

from .apibase import Blueprint
from .extensions import db

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Health check")


@blp.route("/health", methods=["GET"])
@blp.response(200)
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
