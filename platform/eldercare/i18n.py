"""Language choice: Chinese unless the visitor switched to English (kept in the session). Message ids are
English; the Chinese catalogue is translations/zh/LC_MESSAGES/messages.po, compiled to .mo on start-up when
the .mo is missing or stale, so a fresh checkout serves Chinese without a build step."""
import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_request_context, request, session
from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
WEEKDAY_NAMES = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))  # Monday is 0


def N_(message: str) -> str:
    """Mark a message for `pybabel extract` (a default keyword) without translating it here: for text that
    another library shows and we translate when displaying it."""
    return message


# Shown on pages but written by libraries, so extraction would not find them in our code.
LIBRARY_MESSAGES = (
    N_("Please log in to access this page."),  # Flask-Login, flashed before sending someone to the login page
    # marshmallow's messages, shown next to form fields
    N_("Missing data for required field."),
    N_("Not a valid date."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid string."),
    N_("Unknown field."),
    N_("Must be one of: M, F."),
    N_("Must be one of: none, low_income, dibao, tekun."),
    N_("Must be one of: death, hospital_admission, hospital_discharge, institution_admission."),
    N_("Length must be between 1 and 40."),
    N_("Length must be between 1 and 200."),
    N_("Longer than maximum length 20."),
)


def select_locale() -> str:
    if not has_request_context():  # commands print English
        return "en"
    if request.path.startswith("/api/"):
        # The API speaks English unless the client asks for Chinese; pages speak Chinese unless switched.
        return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"
    wanted = request.args.get("lang")
    if wanted in current_app.config["LANGUAGES"]:
        session["lang"] = wanted
    return session.get("lang") or current_app.config["BABEL_DEFAULT_LOCALE"]


def compile_translations_if_needed(directory: str | os.PathLike = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every <locale>/LC_MESSAGES/*.po under `directory` whose .mo is missing or older than it, as
    `pybabel compile` would (fuzzy entries left out). Returns the .mo files written."""
    written = []
    for po_path in sorted(Path(directory).glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            # Write a temporary file and rename it: other processes starting at the same moment (test workers,
            # gunicorn workers) see either the old .mo or the complete new one, never half a file.
            fd, tmp_name = tempfile.mkstemp(dir=mo_path.parent, prefix=".messages-", suffix=".mo.tmp")
            try:
                with os.fdopen(fd, "wb") as mo_file:
                    write_mo(mo_file, catalog, use_fuzzy=False)
                os.chmod(tmp_name, 0o644)  # mkstemp makes it private; app servers may run as another user
                os.replace(tmp_name, mo_path)
            except BaseException:
                Path(tmp_name).unlink(missing_ok=True)
                raise
        except OSError:
            # A read-only install: pages fall back to the English message ids rather than failing to start.
            log.warning("could not compile %s; run `pybabel compile -d %s`", po_path, directory, exc_info=True)
            continue
        written.append(mo_path)
    return written
