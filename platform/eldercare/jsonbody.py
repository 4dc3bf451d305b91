"""Reading request bodies safely: a size limit checked before reading, and JSON that cannot take the server down.

Python's json module accepts what the rest of the stack cannot handle: a lone surrogate ("\\ud800") becomes a
str that no database or UTF-8 encoder takes; nesting 100,000 deep exhausts the recursion limit; a 100,000-digit
integer exceeds int()'s digit limit (and would cost quadratic time below it). Each would answer 500; here each
is a 400 "Invalid JSON body", like any other malformed JSON.
"""
import json

import marshmallow as ma
from flask import current_app, request
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

# The `doc` of the errors raised: webargs reads an empty one as "no body at all".
BODY = "(request body)"
# No JSON number in this API needs more digits than a 64-bit integer (19); anything longer is junk.
MAX_INT_DIGITS = 20


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError("integer too long")
    return int(text)


def _check_strings(value) -> None:
    """ValueError if any string (key or value) holds a lone surrogate, which no UTF-8 encoder accepts."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            item.encode("utf-8")  # raises UnicodeEncodeError (a ValueError) on a lone surrogate
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def loads(data: bytes | str):
    """json.loads that raises json.JSONDecodeError for everything it cannot safely return."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise json.JSONDecodeError(f"not UTF-8: {error.reason}", BODY, error.start) from None
    try:
        value = json.loads(data, parse_int=_parse_int)
        _check_strings(value)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as error:  # too long a number, a lone surrogate, too deep
        raise json.JSONDecodeError(f"unusable JSON: {type(error).__name__}", BODY, 0) from None
    return value


class StrictJSONParser(FlaskParser):
    """webargs' Flask parser, reading JSON with `loads`; a PATCH that changes nothing is a 422."""

    def _raw_load_json(self, req):
        data = req.get_data(cache=True) if is_json_request(req) else b""
        value = loads(data) if data else core.missing
        if req.method == "PATCH" and (value is core.missing or value == {}):
            # An empty PATCH is a client's mistake (a form sent nothing, a field misnamed and dropped): saying
            # 200 would tell it the change was made.
            raise ma.ValidationError({"_schema": [NOTHING_TO_CHANGE]})
        return value


NOTHING_TO_CHANGE = "Send at least one field to change."


def limit_body_size() -> None:
    """before_request: JSON and form bodies may be at most JSON_MAX_CONTENT_LENGTH; only multipart uploads (the
    providers' documents) get the larger MAX_CONTENT_LENGTH. Werkzeug answers 413 from the declared length,
    before reading a byte, and stops reading a body sent without one at the limit."""
    if request.mimetype != "multipart/form-data":
        request.max_content_length = current_app.config["JSON_MAX_CONTENT_LENGTH"]
