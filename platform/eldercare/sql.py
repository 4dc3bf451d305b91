"""Set-based writes, the one place where PostgreSQL and SQLite differ.

Every domain writes many rows the same way through these functions (the order writer, the ledger, the audit
log), so the suite on SQLite runs the very code production runs on PostgreSQL, and a branch on the dialect
appears here and nowhere else.

PostgreSQL takes each table's rows as one JSON document (INSERT ... SELECT FROM json_to_recordset): one short
statement and one parameter per table and batch, where thousands of bound rows, or arrays of quoted text,
cost several times more to send and parse. SQLite takes them as an executemany."""
import json
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from functools import lru_cache

from sqlalchemy import Column, Integer, Table, Text, any_, bindparam, cast, func, null, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeEngine

from .db import UTCDateTime
from .extensions import db
from .sealed import Sealed

_PG_TYPES = {"INTEGER": "integer", "BIGINT": "bigint", "BOOLEAN": "boolean", "DATE": "date", "TIME": "time",
             "TIME WITHOUT TIME ZONE": "time", "JSON": "json", "FLOAT": "double precision",
             "DOUBLE PRECISION": "double precision"}


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
    _refuse_sealed(table)
    if not is_postgres():
        stmt = sqlite.insert(table)
        if conflict:
            stmt = stmt.on_conflict_do_nothing(index_elements=conflict)
        if returning:
            return db.session.execute(stmt.returning(*(table.c[r] for r in returning)), rows).all()
        db.session.execute(stmt, rows)
        return []
    if not returning:
        _run(*_pg_insert(table, rows, conflict=conflict, name=_fresh("rows")))
        return []
    sql, params = _pg_insert(table, rows, conflict=conflict, returning=returning)
    return _connection().execute(_text(sql), params).all()


def next_id(table: Table):
    """A column giving a new id of `table`'s rows before the row is written (PostgreSQL's sequence): a query that
    reads what a new row needs can take its id too, and the row then joins `together` with the rows that refer to
    it. NULL on SQLite, where the row takes its id as it is inserted (insert_rows with `returning`)."""
    if is_postgres():
        return func.nextval(func.pg_get_serial_sequence(table.name, "id"))
    return null()


def insert_linked(table: Table, rows: list[dict], *, key: str,
                  children: Mapping[Table, tuple[str, list[dict]]]) -> None:
    """Insert `rows` into `table` and the rows that refer to them, without their ids coming back: a child names its
    parent by the parent's `key` value, in the column that refers to it (children: {child table: (that column,
    rows)}). On PostgreSQL the parents' INSERT ... RETURNING and the children's INSERT joined to it are one
    statement (held by `together`); SQLite reads the parents' ids back and sets them. The keys must be new: one
    written before raises the unique index's IntegrityError (nothing is skipped silently)."""
    if not rows:
        return
    for one in (table, *children):
        _refuse_sealed(one)
    if not is_postgres():
        ids = dict(insert_rows(table, rows, returning=(key, "id")))
        for child, (column, child_rows) in children.items():
            insert_rows(child, [r | {column: ids[r[column]]} for r in child_rows])
        return
    held = db.session.info.get(_PENDING)
    parent = f"w{len(held) if held is not None else 0}"  # its name among the statements as _execute_together runs them
    statements = [_pg_insert(table, rows, name=_fresh("parents"), returning=("id", key))]
    for n, (child, (column, child_rows)) in enumerate(children.items()):
        if child_rows:
            statements.append(_pg_insert_child(child, child_rows, column, parent, key, table.c[key],
                                               name=_fresh(f"children{n}")))
    _send(statements)


def insert_many(parts: Mapping[Table, list[dict]]) -> None:
    """Insert several tables' rows at once, in the order given (a parent before its children). On PostgreSQL
    that is ONE statement of data-modifying CTEs, whose foreign keys are checked when it ends, so a booking's
    history, audit events, offer and notifications cost one round trip together."""
    parts = {table: rows for table, rows in parts.items() if rows}
    if not parts:
        return
    for table in parts:
        _refuse_sealed(table)
    if not is_postgres():
        for table, rows in parts.items():
            insert_rows(table, rows)
        return
    _send([_pg_insert(table, rows, name=_fresh(f"rows{n}")) for n, (table, rows) in enumerate(parts.items())])


def run(stmt, params: dict) -> None:
    """Run a write built with SQLAlchemy that returns nothing (an INSERT ... SELECT joining `relation`s): held by
    `together` on PostgreSQL like the writers above (its text compiled once per statement), at once on
    SQLite."""
    if not is_postgres():
        db.session.execute(stmt, params)
        return
    sql, fixed = _pg_text(stmt)
    _run(sql, fixed | params)


@lru_cache(maxsize=64)
def _pg_text(stmt) -> tuple[str, dict]:
    """A statement's PostgreSQL text, with named parameters as `text` takes them, and its fixed values."""
    compiled = stmt.compile(dialect=_PG_NAMED)
    # A bound value's cast (":param_1::INTEGER") reads to `text` as an escaped colon: escape the cast's colons.
    return str(compiled).replace("::", "\\:\\:"), dict(compiled.params)


def update_rows(model, rows: list[dict], *, key: str = "id") -> None:
    """Set each row's columns to its own values (`rows`: dicts with the same keys, `key` naming the row), in one
    statement: PostgreSQL joins the rows as one JSON document (UPDATE ... FROM json_to_recordset), SQLite takes an
    executemany. `model` is a model class or a table."""
    if not rows:
        return
    table = getattr(model, "__table__", model)
    _refuse_sealed(table)
    names = [n for n in rows[0] if n != key]
    if is_postgres():
        shape = ", ".join(f"{n} {_pg_type(table.c[n])}" for n in (key, *names))
        sets = ", ".join(f"{n} = x.{n}" for n in names)
        document = json.dumps(rows, default=_plain, ensure_ascii=False, separators=(",", ":"))
        _connection().execute(text(
            f"UPDATE {table.name} t SET {sets} FROM json_to_recordset(CAST(:rows AS json)) AS x({shape}) "  # nosec B608
            f"WHERE t.{key} = x.{key}"), {"rows": document})
        return
    db.session.execute(update(table).where(table.c[key] == bindparam("row_key"))
                       .values({n: bindparam(f"new_{n}") for n in names}),
                       [{"row_key": r[key]} | {f"new_{n}": r[n] for n in names} for r in rows])


def add_to_balances(table: Table, deltas: Mapping[int, int], *, column: str = "balance_fen") -> None:
    """Move each row's `column` by its delta ({row id: delta}), in one statement, in id order (so that two
    writers touching the same rows lock them in the same order and never deadlock). A CHECK constraint on the
    column refuses a result it forbids: the caller's transaction must then roll back."""
    moves = sorted((row_id, delta) for row_id, delta in deltas.items() if delta)
    if not moves:
        return
    if is_postgres():
        held = db.session.info.get(_PENDING)
        if held is not None and any(sql.startswith(f"UPDATE {table.name} ") for sql, _ in held):
            # One statement may not update a row twice (PostgreSQL keeps only one of the changes, silently):
            # balances moved twice inside `together` must be summed by the caller into one call.
            raise RuntimeError(f"{table.name} moved twice inside sql.together()")
        ids, changes = _fresh("ids"), _fresh("deltas")
        _run(f"UPDATE {table.name} t SET {column} = t.{column} + u.delta "  # nosec B608
             f"FROM unnest(CAST(:{ids} AS integer[]), CAST(:{changes} AS bigint[])) AS u(id, delta) WHERE t.id = u.id",
             {ids: _array_text(a for a, _ in moves), changes: _array_text(d for _, d in moves)})
        return
    db.session.execute(update(table).where(table.c.id == bindparam("row_id"))
                       .values({column: table.c[column] + bindparam("delta")})
                       .execution_options(synchronize_session=False),
                       [dict(row_id=a, delta=d) for a, d in moves])


def add_to_rows(table: Table, rows: list[dict], *, key: list[str]) -> None:
    """Add each row's figures to the row of `table` with its `key` columns, inserting the rows not there yet
    (INSERT ... ON CONFLICT (key) DO UPDATE SET figure = figure + new), in one statement: a running summary kept
    in the same transaction as what it sums. `rows`: dicts with the same keys, one per key (summed here
    otherwise), written in key order, so two writers adding to the same rows lock them in the same order."""
    if not rows:
        return
    _refuse_sealed(table)
    figures = [n for n in rows[0] if n not in key]
    summed: dict[tuple, dict] = {}
    for row in rows:
        found = summed.setdefault(tuple(row[k] for k in key), {k: row[k] for k in key} | dict.fromkeys(figures, 0))
        for name in figures:
            found[name] += row[name]
    rows = [summed[k] for k in sorted(summed)]
    if is_postgres():
        columns = [*key, *figures]
        shape = ", ".join(f"{n} {_pg_type(table.c[n])}" for n in columns)
        sets = ", ".join(f"{n} = {table.name}.{n} + EXCLUDED.{n}" for n in figures)
        name = _fresh("sums")
        _run(f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(columns)} "  # nosec B608
             f"FROM json_to_recordset(CAST(:{name} AS json)) AS x({shape}) "
             f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}",
             {name: json.dumps(rows, default=_plain, ensure_ascii=False, separators=(",", ":"))})
        return
    stmt = sqlite.insert(table)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=key, set_={n: table.c[n] + stmt.excluded[n] for n in figures}), rows)


@lru_cache(maxsize=256)
def _refuse_sealed(table: Table) -> None:
    """These writers send PostgreSQL the values as they are, past the column types: a table with a sealed column
    (sealed.py: ID numbers, phones) would get them in plain text, and no lookup hash. Its rows go through the ORM
    or a Core insert, which seal them."""
    sealed = [c.name for c in table.columns if isinstance(c.type, Sealed)]
    if sealed:
        raise TypeError(f"{table.name} has sealed columns ({', '.join(sealed)}): write it with a Core insert or the "
                        "ORM, which seal them, not with sql.py's bulk writers")


def any_of(column, values: list[int]):
    """`column IN values` for a list of integer ids. PostgreSQL takes the list as one array parameter (= ANY),
    where thousands of bound values cost more to send and plan than the lookup itself; SQLite binds each value,
    so a caller splits long lists with `chunks`."""
    if is_postgres():
        return column == any_(cast(bindparam(None, _array_text(values), type_=Text), postgresql.ARRAY(Integer)))
    return column.in_(values)


def _array_text(values: Iterable[int]) -> str:
    """Integers as PostgreSQL's array text ('{1,2,3}'), for a parameter cast to an array: psycopg dumps a list
    element by element in Python, which took a month's issuance a second per 100,000 ids; this is one join."""
    return "{" + ",".join(map(str, map(int, values))) + "}"


def chunks(values: list, size: int = 5_000):
    """`values` in slices that `any_of` takes in one statement: all of them on PostgreSQL, `size` at a time on
    SQLite (well under its limit of bound parameters)."""
    step = max(len(values), 1) if is_postgres() else size
    for begin in range(0, len(values), step):
        yield values[begin:begin + step]


_PENDING = "sql.together"  # db.session.info: the statements held by `together`


@contextmanager
def together():
    """Inside this block, the writes that return nothing (insert_rows without `returning`, insert_many,
    add_to_balances) are held, and go to PostgreSQL as ONE statement of data-modifying CTEs when the block
    ends: a new order's ledger entries and balances, history, offer, audit events and notifications cost one
    round trip together. Only for writes that nothing inside the block reads back; a constraint they break
    (a balance's CHECK) raises when the block ends. SQLite, which has no such statement, runs each at once."""
    if not is_postgres() or _PENDING in db.session.info:
        yield
        return
    db.session.info[_PENDING] = []
    try:
        yield
    except BaseException:
        db.session.info.pop(_PENDING, None)  # what failed is rolled back whole: nothing held is sent
        raise
    _execute_together(db.session.info.pop(_PENDING))


def _run(sql: str, params: dict) -> None:
    """Run a PostgreSQL write that returns nothing, or hold it for the end of `together`."""
    _send([(sql, params)])


def _send(statements: list[tuple[str, dict]]) -> None:
    """PostgreSQL writes that return nothing: held for the end of `together` inside it, else run as one."""
    held = db.session.info.get(_PENDING)
    if held is not None:
        held += statements
    else:
        _execute_together(statements)


def _connection():
    """The session's connection, for plain statements: the ORM layer adds nothing to them but time."""
    return db.session.connection()


@lru_cache(maxsize=512)
def _text(sql: str):
    """The statement as SQLAlchemy runs plain SQL, parsed once: a booking's statements repeat a few shapes, and
    reading their parameters out of the text cost more than building them."""
    return text(sql)


def _fresh(name: str) -> str:
    """A parameter name no statement held by `together` uses yet."""
    held = db.session.info.get(_PENDING)
    return name if held is None else f"{name}_{len(held)}"


def _execute_together(statements: list[tuple[str, dict]]) -> None:
    """Several data-modifying statements as one, whose foreign keys are checked when it ends."""
    if not statements:
        return
    if len(statements) == 1:
        _connection().execute(_text(statements[0][0]), statements[0][1])
        return
    params = {}
    for _, one in statements:
        if params.keys() & one.keys():  # a name taken twice would give both statements the same values
            raise RuntimeError(f"parameters used twice inside sql.together(): {sorted(params.keys() & one.keys())}")
        params |= one
    ctes = ", ".join(f"w{n} AS ({sql})" for n, (sql, _) in enumerate(statements))
    _connection().execute(_text(f"WITH {ctes} SELECT 1"), params)


def locked(stmt, of=None):
    """`stmt` (a select) taking row locks for the rest of the transaction where the database has them
    (PostgreSQL's FOR UPDATE, of the rows of `of` only when given: a statement with an outer join; SQLite locks
    the whole database for a writer anyway)."""
    return stmt.with_for_update(of=of) if is_postgres() else stmt


def relation(name: str, columns: Mapping[str, TypeEngine]):
    """A relation of rows given when the statement runs, as the parameter `name` (`relation_rows`' document),
    with these typed columns: a set-based question about many things at once (which caregivers are free for
    a batch of visits) joins it like a table. PostgreSQL reads it with json_to_recordset, SQLite with json_each
    (its values written as SQLite stores each type, so they compare with the stored columns)."""
    typed = [Column(c, t) for c, t in columns.items()]
    quote = db.engine.dialect.identifier_preparer.quote  # "end", "start": words SQL keeps for itself
    if is_postgres():
        shape = ", ".join(f"{quote(c.name)} {_pg_type(c)}" for c in typed)
        source = (f"SELECT {', '.join(map(quote, columns))} "  # nosec B608
                  f"FROM json_to_recordset(CAST(:{name} AS json)) AS x({shape})")
    else:
        picked = ", ".join("json_extract(value, '$." + c + "') AS " + quote(c) for c in columns)
        source = f"SELECT {picked} FROM json_each(:{name})"  # nosec B608
    return text(source).columns(*typed).subquery(name)


def relation_rows(columns: Mapping[str, TypeEngine], rows: Iterable[Mapping]) -> str:
    """`rows` as the document a `relation` with these columns reads."""
    if is_postgres():
        return json.dumps(list(rows), default=_plain, separators=(",", ":"))
    dialect = db.engine.dialect
    convert = {c: t.dialect_impl(dialect).bind_processor(dialect) for c, t in columns.items()}
    convert = {c: f for c, f in convert.items() if f is not None}
    return json.dumps([{c: (convert[c](v) if c in convert and v is not None else v) for c, v in row.items()}
                       for row in rows], separators=(",", ":"))


def _pg_type(column) -> str:
    return _pg_type_name(column.type)


@lru_cache(maxsize=256)
def _pg_type_name(type_: TypeEngine) -> str:
    """PostgreSQL's name of a column type, for json_to_recordset's row shape. Compiled once per type: compiling
    builds a dialect, which cost a booking more than a millisecond when done per column and statement."""
    if isinstance(type_, UTCDateTime):
        return "timestamp"
    name = type_.compile(dialect=_PG_DIALECT).split("(")[0].upper()
    return _PG_TYPES.get(name, "text")


_PG_DIALECT = postgresql.dialect()
_PG_NAMED = postgresql.dialect(paramstyle="named")


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
    sql, defaults, computed = _pg_insert_text(table, tuple(rows[0]), name, tuple(conflict or ()), tuple(returning))
    if computed:  # now(), list(), ...: once per statement, as before, the same for every row
        defaults = defaults | {c.name: c.default.arg(None) for c in computed}
    document = json.dumps([row | defaults for row in rows] if defaults else rows, default=_plain,
                          ensure_ascii=False, separators=(",", ":"))
    return sql, {name: document}


def _pg_insert_child(table: Table, rows: list[dict], column: str, parent: str, key: str, key_column, *, name: str):
    """The INSERT of rows that name their parent (the statement `parent`'s RETURNING id, key) by its key in
    `column`, for `insert_linked`."""
    names = list(rows[0])
    shape = ", ".join(f"{n} {_pg_type(key_column if n == column else table.c[n])}" for n in names)
    picked = ", ".join("p.id" if n == column else f"x.{n}" for n in names)
    document = json.dumps(rows, default=_plain, ensure_ascii=False, separators=(",", ":"))
    return (f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {picked} "  # nosec B608
            f"FROM json_to_recordset(CAST(:{name} AS json)) AS x({shape}) JOIN {parent} p ON p.{key} = x.{column}",
            {name: document})


@lru_cache(maxsize=512)
def _pg_insert_text(table: Table, names: tuple[str, ...], name: str, conflict: tuple[str, ...],
                    returning: tuple[str, ...]) -> tuple[str, dict, tuple]:
    """The statement's text, the fixed defaults added to each row and the columns whose default is computed
    (per call, by the caller), built once per table, columns and options: a booking repeats a few shapes."""
    defaults, computed = {}, []
    for column in table.columns:
        if column.name not in names and column.default is not None and not column.primary_key:
            if column.default.is_callable:
                computed.append(column)
            else:
                defaults[column.name] = column.default.arg
    columns = list(names) + list(defaults) + [c.name for c in computed]
    shape = ", ".join(f"{n} {_pg_type(table.c[n])}" for n in columns)
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(columns)} "  # nosec B608
           f"FROM json_to_recordset(CAST(:{name} AS json)) AS x({shape})")
    if conflict:
        sql += f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
    return sql, defaults, tuple(computed)
