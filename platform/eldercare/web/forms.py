"""What every page form does with its service call: nothing kept of a refusal, and errors by field for the page."""
import re
from collections.abc import Callable
from datetime import date, datetime, time

from flask import flash
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..clock import LOCAL
from ..db import MAX_ID
from ..errors import ServiceError, flatten_errors
from ..transactions import discard


def submit(action: Callable, *, general_field: str = "form"):
    """Run `action` (schema load and service call): (its result, {}); the request commits it at its end
    (transactions.py). On bad input or a refusal undo what it wrote and see that the request commits nothing,
    and return (None, {field: [messages in the page's language]}); a refusal without a field goes under
    `general_field`."""
    try:
        return action(), {}
    except ValidationError as error:
        errors = flatten_errors(error.messages)
    except ServiceError as error:
        errors = error.errors or {general_field: [error.message]}
    discard()  # now, not at the end: the page that shows the refusal reads what is stored
    return None, {field: [_(str(m)) for m in messages] for field, messages in errors.items()}


def by_form_field(errors: dict, name=lambda parts: parts[0]) -> dict:
    """Errors by form field: list positions ("tiers.0.hardship") fold into the field `name` gives their parts."""
    folded: dict = {}
    for field, messages in errors.items():
        folded.setdefault(name(field.split(".")), []).extend(messages)
    return folded


def row_id(value) -> int | None:
    """A form or query value as a row id, or None when it cannot be one (not a number, or out of range)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_ID else None


def flash_outcome(errors: dict, success) -> None:
    """After a one-button form that returns to its list: the refusal's messages, or the success message."""
    if errors:
        flash(" ".join(m for messages in errors.values() for m in messages), "error")
    else:
        flash(str(success), "success")



_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")  # ASCII digits only: fromisoformat takes any script's
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?\Z")


def local_moment(day_text, time_text, *, day_field: str = "day", time_field: str = "time"):
    """A day and a time of day from a form, in Beijing: (the moment, {}) or (None, {field: [message]})."""
    try:
        if not _DAY.match(day_text or ""):
            raise ValueError
        day = date.fromisoformat(day_text)
    except ValueError:
        return None, {day_field: [_("Choose a day.")]}
    try:
        if not _TIME.match(time_text or ""):
            raise ValueError
        at = time.fromisoformat(time_text)
    except ValueError:
        return None, {time_field: [_("Choose a time.")]}
    return datetime.combine(day, at, LOCAL), {}


_YUAN = re.compile(r"[0-9]{1,7}([.][0-9]{1,2})?\Z")  # up to 9,999,999.99 yuan


def fen_from_yuan(text) -> int | None:
    """"4.50" -> 450; None unless ASCII digits with at most two decimals (no float: no nan, inf or 1e9)."""
    text = (text or "").strip()
    if not _YUAN.match(text):
        return None
    whole, _dot, cents = text.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


def whole_number(text) -> int | None:
    """A form's whole number in ASCII digits, or None."""
    text = (text or "").strip()
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None
