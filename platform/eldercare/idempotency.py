"""Retried writes (API.md): a POST under /api/ with `Idempotency-Key: <uuid>` runs once per caller and key;
the same key with the same body gets the first answer again, with a different body a 422.

The key's row is written in the request's own transaction and committed with its work and its answer, by the
one commit that ends the request (transactions.py). So an answer is stored exactly when its work is; an error
answer (4xx or 5xx) leaves no row, and a retry runs again; a process killed mid-request leaves nothing behind.
A second request with the same key while the first is running waits at its insert (PostgreSQL's unique index
holds it until the first transaction ends; SQLite lets one writer at a time), then gets the first answer, or
runs if the first failed. Only a row committed without its answer, as earlier versions did, answers 409.

Never stored, never replayed:
- answers that carry a credential (`POST /api/v1/auth/tokens`, a generated password from `POST
  /api/v1/users/{id}/password-reset`; in NOT_STORED): the table would hold a live
  token in plain text and hand it to whoever repeated the request. These endpoints ignore the header: a retry
  logs in again and gets a new token; the first one expires unused.
- requests that run a batch job committing batch by batch (transactions.JOB_ENDPOINTS, voucher issuance):
  their key would be committed with the first batch, before the answer exists. They ignore the header too;
  the job is idempotent by itself (once per elder and month).

Request bodies may carry a password (sign-up, new logins), so what is kept of a request is an HMAC keyed with
SECRET_KEY, not a plain digest that a dictionary could reverse."""
import hashlib
import hmac
from datetime import datetime

from flask import Response, current_app, g, request
from flask_login import current_user
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .db import UTCDateTime, utcnow
from .errors import _json_error
from .extensions import db
from .transactions import JOB_ENDPOINTS, discard

HEADER = "Idempotency-Key"
# Endpoints whose answer is a credential; tests/test_transactions.py checks every API answer's schema for one.
NOT_STORED = frozenset({"accounts.create_token", "accounts.reset_password"})
_RECORD = "idempotency_record"


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)  # 0 for a caller not logged in
    key: Mapped[str] = mapped_column(String(100))
    endpoint: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_ref: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # kept for audits; None when anonymous


def _applies() -> bool:
    return (request.method == "POST" and request.path.startswith("/api/") and bool(request.headers.get(HEADER))
            and request.endpoint not in NOT_STORED and request.endpoint not in JOB_ENDPOINTS)


def _request_hash() -> str:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, request.path.encode() + b"\n" + request.get_data(), hashlib.sha256).hexdigest()


def _stored(user_id: int, key: str) -> IdempotencyKey | None:
    return db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                          IdempotencyKey.key == key))


def _in_progress():
    return _json_error(409, "Conflict", "A request with this Idempotency-Key is still being handled.",
                       {HEADER: ["In progress."]})


def before_request():
    if not _applies():
        return None
    key = request.headers[HEADER].strip()[:100]
    user_id = current_user.id if current_user.is_authenticated else 0
    digest = _request_hash()
    found = _stored(user_id, key)
    if found is None:
        record = IdempotencyKey(user_id=user_id, user_ref=user_id or None, key=key, endpoint=request.path,
                                request_hash=digest)
        db.session.add(record)
        try:
            db.session.flush()  # PostgreSQL: a request with the same key still running holds this insert here
        except IntegrityError:  # ... and has committed: its answer was stored with it
            discard()  # this request has written nothing else yet, and does no work of its own
            found = _stored(user_id, key)
            if found is None:
                return _in_progress()
        else:
            setattr(g, _RECORD, record)
            return None
    if not hmac.compare_digest(found.request_hash, digest):
        return _json_error(422, "Unprocessable Entity", "This Idempotency-Key was used with a different request.",
                           {HEADER: ["Used with a different request."]})
    if found.status_code is None:
        return _in_progress()
    return Response(found.response_body, status=found.status_code, mimetype="application/json",
                    headers={"Idempotent-Replay": "true"})


def remember(response: Response) -> None:
    """Keep a success's answer with its key, in the transaction the request is about to commit."""
    record = g.pop(_RECORD, None)
    if record is not None:
        record.status_code = response.status_code
        record.response_body = response.get_data(as_text=True)


def forget() -> None:
    """The request failed: its key's row goes with the rolled-back transaction."""
    g.pop(_RECORD, None)


def register_idempotency(app) -> None:
    app.before_request(before_request)
