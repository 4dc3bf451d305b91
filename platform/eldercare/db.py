"""Column types and helpers shared by every domain's models."""
import math
import sqlite3
from datetime import UTC, datetime

from sqlalchemy import DateTime, TypeDecorator, event

from . import clock

MAX_ID = 2**31 - 1  # integer primary keys


def utcnow() -> datetime:
    """clock.now, under the name twenty modules' column defaults and services import; kept as a thin alias
    so the clock stays one (a moved clock in a test moves these too) without touching every model."""
    return clock.now()


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every database (SQLite keeps no offset, so we store naive UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; times are stored in UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def tune_connections(engine) -> None:
    """PostgreSQL: no JIT. Our queries are short; compiling one to machine code costs 50-100 ms, which the
    planner wrongly expects to pay off on generic plans of prepared statements (matching measured 35 ms with
    JIT, 5 without). SQLite: the math functions the coverage map's distances use, where the library was built
    without its own (before 3.35, or without SQLITE_ENABLE_MATH_FUNCTIONS)."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_math)
    if engine.dialect.name != "postgresql":
        return
    _cache_long_statements()

    @event.listens_for(engine, "connect")
    def no_jit(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()


def _sqlite_math(dbapi_connection, _record) -> None:
    try:
        dbapi_connection.execute("SELECT sin(0), cos(0), floor(0.5)")
    except sqlite3.OperationalError:  # no such function
        for name, function in (("sin", math.sin), ("cos", math.cos), ("floor", math.floor)):
            dbapi_connection.create_function(
                name, 1, lambda x, f=function: None if x is None else f(x), deterministic=True)


def _cache_long_statements() -> None:
    """psycopg converts a query's placeholders once and remembers it, but only for queries up to 4 KB; matching's
    is 5 KB and runs on every booking, where converting it again cost ~0.1 ms. Its limit is a module constant;
    if a later psycopg renames it, this does nothing and only that time is lost."""
    from psycopg import _queries

    if isinstance(getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", None), int):
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 16_384)
