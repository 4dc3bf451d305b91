"""The bureau's roster upload page."""
import io

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..web.forms import submit
from .importer import import_roster

bp = Blueprint("hardship_pages", __name__)
MAX_BYTES = 20 * 1024 * 1024


@bp.route("/bureau/hardship-import", methods=["GET", "POST"])
@login_required
def upload():
    """Upload a roster; show what was applied and every rejected line."""
    if current_user.role not in ("bureau", "admin"):
        abort(403)
    if current_user.role == "bureau" and current_user.scope_region_id is None:
        abort(403)  # an officer with no region may change nobody, not everybody
    if request.method == "GET":
        return render_template("hardship/import.html", report=None, errors={})
    upload = request.files.get("roster")
    if upload is None or not upload.filename:
        return render_template("hardship/import.html", report=None,
                               errors={"roster": [_("Choose the roster file (CSV) to upload.")]}), 400
    content = upload.read(MAX_BYTES + 1)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if len(content) > MAX_BYTES or text is None:
        return render_template("hardship/import.html", report=None, errors={"roster": [
            _("The file must be a CSV in UTF-8 of at most 20 MB (save as “CSV UTF-8” in Excel).")]}), 400
    scope = current_user.scope_region_id if current_user.role == "bureau" else None
    report, errors = submit(lambda: import_roster(io.StringIO(text, newline=""), actor=current_user,
                                                  scope_region_id=scope, source=f"名册导入 {upload.filename}"),
                            general_field="roster")
    if errors:
        errors = {"roster": [m for messages in errors.values() for m in messages]}
    return render_template("hardship/import.html", report=report, errors=errors, filename=upload.filename), \
        422 if errors else 200
