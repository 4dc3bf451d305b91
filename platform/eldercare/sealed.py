"""Personal data sealed at rest: ID numbers and phones are stored encrypted and found by a keyed hash.

A sealed column (`Sealed`) holds AES-256-GCM ciphertext, a fresh random nonce per value, so a copy of the
database, a backup or a replica shows no ID number or phone; the model still reads and writes plain text. The
ciphertext says nothing about equality, so exact lookups (an ID number registered twice, the hardship roster,
the canteen's name + last six digits, one caregiver's phone at two providers) match a keyed hash instead:
HMAC-SHA256 under a second key, one purpose label per kind of value so that equal digits in different roles
hash apart. Without the lookup key nobody can test a guessed number against the hashes.

The keys come from the environment: FIELD_KEY (32 bytes, as 64 hex digits or URL-safe base64) encrypts,
LOOKUP_KEY (at least 32 characters) keys the hashes. Production refuses to start without them (check_keys);
a developer's machine and the test suite use fixed keys derived below, which are in the repository and
protect nothing. Keep both keys out of the database and its backups: a lost FIELD_KEY loses every sealed
value, a changed LOOKUP_KEY breaks every lookup until the hashes are rewritten.

Stored form: "1" (the format), then URL-safe base64 of nonce (12 bytes) + ciphertext + tag (16 bytes).
"""
import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import String, Text
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

FORMAT = "1"
NONCE_BYTES = 12
HASH_LENGTH = 64  # hex of SHA-256
SEALED_LENGTH = 128  # "1" + base64 of 12 + 20 + 16 bytes is 65; room for a longer landline or a later format
MIN_LOOKUP_KEY_LENGTH = 32

# NOT SECRETS. The keys a developer's machine and the test suite use, derived from public text so that a
# demo database opens on any developer's machine. Production refuses them (check_keys).
DEVELOPMENT_FIELD_KEY = hashlib.sha256(b"yiyang development field key - in the repository, protects nothing").digest()
DEVELOPMENT_LOOKUP_KEY = hashlib.sha256(b"yiyang development lookup key - in the repository, protects nothing").digest()

# What each keyed hash is of: the label goes into the hash, so the last six digits of an ID number and a
# six-digit anything else never share a hash.
ID_NUMBER, ID_LAST6, ID_LAST4, PHONE = "id_number", "id_last6", "id_last4", "phone"


class Keyring:
    """The two keys of one app: encrypt and decrypt, and hash for lookups. Built once per app, not per row."""

    def __init__(self, field_key: bytes, lookup_key: bytes):
        if len(field_key) != 32:
            raise ValueError("FIELD_KEY must be 32 bytes (AES-256).")
        self._aead = AESGCM(field_key)
        self._lookup_key = lookup_key

    def seal(self, plain: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plain.encode(), None)
        return FORMAT + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def unseal(self, stored: str) -> str:
        """The plain text; cryptography's InvalidTag under another key or if the stored value was altered."""
        if not stored.startswith(FORMAT):
            raise ValueError("not a sealed value")
        raw = base64.urlsafe_b64decode(stored[len(FORMAT):])
        return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None).decode()

    def lookup(self, purpose: str, value: str | None) -> str | None:
        """The keyed hash that finds `value` (None for no value)."""
        if not value:
            return None
        return hmac.digest(self._lookup_key, f"{purpose}\x00{value}".encode(), "sha256").hex()


def _field_key(text: str) -> bytes:
    text = text.strip()
    try:
        return bytes.fromhex(text) if len(text) == 64 else base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        return b""


def keyring_for(config) -> Keyring:
    """The keyring the configuration names; fixed development keys where it names none (never in production:
    check_keys refuses to start first)."""
    field = config.get("FIELD_KEY") or ""
    lookup = config.get("LOOKUP_KEY") or ""
    return Keyring(_field_key(field) if field else DEVELOPMENT_FIELD_KEY,
                   lookup.encode() if lookup else DEVELOPMENT_LOOKUP_KEY)


def check_keys(config) -> None:
    """Refuse to run production without real keys: with the development keys (in the repository) every sealed
    value could be opened by anyone who has the database."""
    if config.get("ELDERCARE_ENV") != "production":
        return
    field, lookup = config.get("FIELD_KEY") or "", config.get("LOOKUP_KEY") or ""
    problems = []
    if len(_field_key(field)) != 32 or _field_key(field) == DEVELOPMENT_FIELD_KEY:
        problems.append("FIELD_KEY must be 32 random bytes as 64 hex digits "
                        "(python -c 'import secrets; print(secrets.token_hex(32))')")
    if len(lookup) < MIN_LOOKUP_KEY_LENGTH or lookup.encode() == DEVELOPMENT_LOOKUP_KEY:
        problems.append(f"LOOKUP_KEY must be a random secret of at least {MIN_LOOKUP_KEY_LENGTH} characters")
    if field and field.strip() == lookup.strip():
        problems.append("FIELD_KEY and LOOKUP_KEY must differ")
    if problems:
        raise RuntimeError("When ELDERCARE_ENV=production, ID numbers and phones are encrypted with keys from the "
                           "environment: " + "; ".join(problems) + ".")


def init_app(app) -> None:
    check_keys(app.config)
    app.extensions["sealed"] = keyring_for(app.config)


def keyring() -> Keyring:
    return current_app.extensions["sealed"]


def lookup(purpose: str, value: str | None) -> str | None:
    """The keyed hash that finds `value` under this app's lookup key."""
    return keyring().lookup(purpose, value)


def hashed_from(source: str, purpose: str, part: slice = slice(None)) -> Callable:
    """A column default for Core inserts (the demo seed's, a bench's): the keyed hash of the row's `source`
    value, or of `part` of it. ORM writes set the same hashes when the attribute is set (see the models)."""
    def default(context):
        value = context.get_current_parameters().get(source)
        return lookup(purpose, value[part] if value else None)
    return default


class Sealed(TypeDecorator):
    """A text column stored sealed. Compare its keyed hash, never the column: the ciphertext of one value
    differs every time it is written, so `==`, `IN`, `LIKE` or `substr` would silently match nothing."""

    impl = String(SEALED_LENGTH)
    cache_ok = True

    class Comparator(TypeDecorator.Comparator):
        def operate(self, op, *other, **kwargs):
            if op in (operators.is_, operators.is_not):  # whether there is a value at all is fine
                return super().operate(op, *other, **kwargs)
            raise TypeError("A sealed column cannot be compared or searched: match its keyed hash "
                            "(eldercare.sealed.lookup) instead.")

        def reverse_operate(self, op, other, **kwargs):
            raise TypeError("A sealed column cannot be compared or searched: match its keyed hash instead.")

    comparator_factory = Comparator

    def process_bind_param(self, value, dialect):
        return None if value is None else keyring().seal(value)

    def process_result_value(self, value, dialect):
        return None if value is None else keyring().unseal(value)


class SealedJSON(Sealed):
    """A JSON value stored sealed (an elder's emergency contacts: relatives' names and phones). Nothing searches
    inside it."""

    impl = Text()
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else keyring().seal(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(keyring().unseal(value))
