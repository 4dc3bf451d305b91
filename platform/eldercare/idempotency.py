"""Retried writes (API.md): a POST under /api/ with `Idempotency-Key: <uuid>` runs once per caller and key;
the same key with the same body gets the first answer again, with a different body a 422. A request still
running under the key answers 409, and a failed one (5xx) can be retried."""
import hashlib
from datetime import datetime

from flask import Response, current_app, g, request
from flask_login import current_user
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .db import UTCDateTime, utcnow
from .errors import _json_error
from .extensions import db

HEADER = "Idempotency-Key"


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
    return request.method == "POST" and request.path.startswith("/api/") and bool(request.headers.get(HEADER))


def before_request():
    if not _applies():
        return None
    key = request.headers[HEADER].strip()[:100]
    user_id = current_user.id if current_user.is_authenticated else 0
    digest = hashlib.sha256(request.path.encode() + b"\n" + request.get_data()).hexdigest()
    found = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                           IdempotencyKey.key == key))
    if found is None:
        record = IdempotencyKey(user_id=user_id, user_ref=user_id or None, key=key, endpoint=request.path,
                                request_hash=digest)
        db.session.add(record)
        try:
            db.session.commit()
        except IntegrityError:  # the same key arrived twice at once
            db.session.rollback()
            return _json_error(409, "Conflict", "A request with this Idempotency-Key is still being handled.",
                               {HEADER: ["In progress."]})
        g.idempotency_record_id = record.id
        return None
    db.session.commit()
    if found.request_hash != digest:
        return _json_error(422, "Unprocessable Entity", "This Idempotency-Key was used with a different request.",
                           {HEADER: ["Used with a different request."]})
    if found.status_code is None:
        return _json_error(409, "Conflict", "A request with this Idempotency-Key is still being handled.",
                           {HEADER: ["In progress."]})
    return Response(found.response_body, status=found.status_code, mimetype="application/json",
                    headers={"Idempotent-Replay": "true"})


def after_request(response: Response) -> Response:
    record_id = g.pop("idempotency_record_id", None)
    if record_id is None:
        return response
    try:
        db.session.rollback()  # whatever the view left behind is already committed or meant to be undone
        if response.status_code >= 500:
            db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == record_id))
        else:
            record = db.session.get(IdempotencyKey, record_id)
            record.status_code = response.status_code
            record.response_body = response.get_data(as_text=True)
        db.session.commit()
    except Exception:  # noqa: BLE001 - never turn a good answer into an error because of bookkeeping
        db.session.rollback()
        current_app.logger.exception("could not store the idempotent response")
    return response


def register_idempotency(app) -> None:
    app.before_request(before_request)
    app.after_request(after_request)

