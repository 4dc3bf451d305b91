"""Set-based writes, the one place where PostgreSQL and SQLite differ.

Every domain writes many rows the same way through these functions (the order writer, the ledger, the audit
log), so the suite on SQLite runs the very code production runs on PostgreSQL, and a branch on the dialect
appears here and nowhere else.

PostgreSQL takes each table's rows as one JSON document (INSERT ... SELECT FROM json_to_recordset): one short
statement and one parameter per table and batch, where thousands of bound rows, or arrays of quoted text,
cost several times more to send and parse. SQLite takes them as an executemany."""
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from functools import lru_cache

from sqlalchemy import Integer, Table, any_, bindparam, text, update
from sqlalchemy.dialects import postgresql, sqlite

from .db import UTCDateTime
from .extensions import db

_PG_TYPES = {"INTEGER": "integer", "BIGINT": "bigint", "BOOLEAN": "boolean", "DATE": "date", "TIME": "time",
             "JSON": "json", "FLOAT": "double precision"}


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def writers_side_by_side() -> bool:
    """Whether several connections can write at once, each in its own transaction (PostgreSQL), so that a job
    may split its work across them; SQLite takes one writer at a time."""
    return is_postgres()


def insert_rows(table: Table, rows: list[dict], *, returning: Iterable[str] = (),
                conflict: list[str] | None = None) -> list:
    """Insert `rows` (dicts with the same keys) into `table`; skip the rows that conflict on the unique
    columns `conflict` when given; return the `returning` columns of the rows inserted (in no set order)."""
    returning = tuple(returning)
    if not rows:
        return []
    if not is_postgres():
        stmt = sqlite.insert(table)
        if conflict:
            stmt = stmt.on_conflict_do_nothing(index_elements=conflict)
        if returning:
            return db.session.execute(stmt.returning(*(table.c[r] for r in returning)), rows).all()
        db.session.execute(stmt, rows)
        return []
    sql, params = _pg_insert(table, rows, conflict=conflict, returning=returning)
    result = db.session.execute(text(sql), params)
    return result.all() if returning else []


def insert_many(parts: Mapping[Table, list[dict]]) -> None:
    """Insert several tables' rows at once, in the order given (a parent before its children). On PostgreSQL
    that is ONE statement of data-modifying CTEs, whose foreign keys are checked when it ends, so a booking's
    history, audit events, offer and notifications cost one round trip together."""
    parts = {table: rows for table, rows in parts.items() if rows}
    if not parts:
        return
    if not is_postgres():
        for table, rows in parts.items():
            insert_rows(table, rows)
        return
    ctes, params = [], {}
    for n, (table, rows) in enumerate(parts.items()):
        sql, one = _pg_insert(table, rows, name=f"rows{n}")
        ctes.append(f"w{n} AS ({sql})")
        params |= one
    db.session.execute(text(f"WITH {', '.join(ctes)} SELECT 1"), params)


def add_to_balances(table: Table, deltas: Mapping[int, int], *, column: str = "balance_fen") -> None:
    """Move each row's `column` by its delta ({row id: delta}), in one statement, in id order (so that two
    writers touching the same rows lock them in the same order and never deadlock). A CHECK constraint on the
    column refuses a result it forbids: the caller's transaction must then roll back."""
    moves = sorted((row_id, delta) for row_id, delta in deltas.items() if delta)
    if not moves:
        return
    if is_postgres():
        db.session.execute(text(
            f"UPDATE {table.name} t SET {column} = t.{column} + u.delta "
            "FROM unnest(CAST(:ids AS integer[]), CAST(:deltas AS bigint[])) AS u(id, delta) WHERE t.id = u.id"),
            dict(ids=[a for a, _ in moves], deltas=[d for _, d in moves]))
        return
    db.session.execute(update(table).where(table.c.id == bindparam("row_id"))
                       .values({column: table.c[column] + bindparam("delta")})
                       .execution_options(synchronize_session=False),
                       [dict(row_id=a, delta=d) for a, d in moves])


def any_of(column, values: list[int]):
    """`column IN values` for a list of integer ids. PostgreSQL takes the list as one array parameter (= ANY),
    where thousands of bound values cost more to send and plan than the lookup itself; SQLite binds each value,
    so a caller splits long lists with `chunks`."""
    if is_postgres():
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(Integer)))
    return column.in_(values)


def chunks(values: list, size: int = 5_000):
    """`values` in slices that `any_of` takes in one statement: all of them on PostgreSQL, `size` at a time on
    SQLite (well under its limit of bound parameters)."""
    step = max(len(values), 1) if is_postgres() else size
    for begin in range(0, len(values), step):
        yield values[begin:begin + step]


def locked(stmt):
    """`stmt` (a select) taking row locks for the rest of the transaction where the database has them
    (PostgreSQL's FOR UPDATE; SQLite locks the whole database for a writer anyway)."""
    return stmt.with_for_update() if is_postgres() else stmt


def insert_ignoring_dialect(table: Table):
    """An INSERT of `table` that can take ON CONFLICT DO NOTHING (`.on_conflict_do_nothing(...)`)."""
    return (postgresql if is_postgres() else sqlite).insert(table)


def _pg_type(column) -> str:
    if isinstance(column.type, UTCDateTime):
        return "timestamp"
    name = column.type.compile(dialect=postgresql.dialect()).split("(")[0].upper()
    return _PG_TYPES.get(name, "text")


@lru_cache(maxsize=4096)  # a batch repeats a few moments (now, the day's start times) thousands of times
def _plain(value):
    """A datetime as PostgreSQL's naive UTC text, a date or time as ISO text (json.dumps' `default`)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    raise TypeError(type(value))


def _pg_insert(table: Table, rows: list[dict], *, name: str = "rows", conflict=None, returning=()):
    """PostgreSQL's INSERT ... SELECT FROM json_to_recordset(:name) for `rows`, with the model's Python-side
    defaults that a Core insert would apply, and its parameters."""
    names = list(rows[0])
    defaults = {}
    for column in table.columns:
        if column.name not in names and column.default is not None and not column.primary_key:
            defaults[column.name] = column.default.arg(None) if column.default.is_callable else column.default.arg
    names += list(defaults)
    document = json.dumps([row | defaults for row in rows] if defaults else rows, default=_plain,
                          ensure_ascii=False, separators=(",", ":"))
    shape = ", ".join(f"{n} {_pg_type(table.c[n])}" for n in names)
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(names)} "
           f"FROM json_to_recordset(CAST(:{name} AS json)) AS x({shape})")
    if conflict:
        sql += f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
    return sql, {name: document}
