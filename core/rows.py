"""Plain SQL for single rows, sent in one round trip where the database
allows it, on the two paths where ``bench/bids.py`` shows it pays: the
statements a bid runs while it holds its tender's row lock (until it
commits), including its audit entry (``audit.services.append_to_batch``),
and the token lookup every API call of a bidder makes
(``accounts.authentication``: about 1 ms less server CPU per request than
the ORM's two-level ``select_related``). Everything else uses the ORM.

The ORM spends 0.3–0.5 ms of Python building each statement, and each
statement is a round trip; under the tender's lock both serialise every
bidder on the tender. These helpers skip the query compiler only: values
still go through each field's ``pre_save`` and ``get_db_prep_save``
(defaults, ``auto_now``, JSON, binary, time zones), and rows read back go
through the same converters as the ORM's, so a row is stored and read
exactly as with ``Model.save()`` and a queryset. No signals are sent (the
project uses none for business effects). Names are model field names from
the code, never user input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.db import connection
from django.db.models import Model


@dataclass(frozen=True)
class Computed:
    """A value the database computes when the statement runs (a scalar
    SELECT), e.g. the id of a row an earlier statement of the batch inserted."""
    sql: str
    params: list


@dataclass(frozen=True)
class Outcome:
    rows: list[tuple]
    rowcount: int


def _name(name: str) -> str:
    return connection.ops.quote_name(name)


def _field(model: type[Model], name: str):
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _value(f, value, params: list) -> str:
    if isinstance(value, Computed):
        params.extend(value.params)
        return f"({value.sql})"
    params.append(f.get_db_prep_save(value, connection))
    return "%s"


def columns(model: type[Model], names: list[str], table: str = "") -> str:
    """The quoted columns of ``names`` (of ``table``, an alias in a join),
    for a SELECT read back with ``instance``."""
    prefix = f"{table}." if table else ""
    return ", ".join(prefix + _name(_field(model, name).column) for name in names)


def every_field(model: type[Model]) -> list[str]:
    """The names of all of ``model``'s columns, to read whole rows."""
    return [f.attname for f in model._meta.concrete_fields]


def instance(model: type[Model], names: list[str], values: tuple) -> Model:
    """A model instance from a row read with plain SQL: the named fields,
    converted as the ORM converts them (e.g. SQLite's text datetimes), the
    other fields deferred."""
    attnames, readers = _readers(model, tuple(names))
    converted = []
    for position, col, field_converters in readers:
        value = values[position]
        # The backend's converters belong to this thread's connection: asked each time.
        for convert in connection.ops.get_db_converters(col) + field_converters:
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, attnames, converted)


@cache
def _readers(model: type[Model], names: tuple[str, ...]) -> tuple[list[str], list[tuple]]:
    """What ``instance`` needs of the model, worked out once: the fields in the
    model's order (as ``from_db`` takes them), each with its position in the
    row, its column and the field's own converters."""
    position = {_field(model, name).attname: i for i, name in enumerate(names)}
    attnames = [f.attname for f in model._meta.concrete_fields if f.attname in position]
    readers = []
    for attname in attnames:
        col = model._meta.get_field(attname).get_col(model._meta.db_table)
        readers.append((position[attname], col, col.get_db_converters(connection)))
    return attnames, readers


def next_id_sql(model: type[Model]) -> str:
    """SQL drawing the next primary key of ``model`` from its sequence, so a
    row's id is known before it is inserted; ``NULL`` where there is no
    sequence (SQLite: insert the row first and read its id back)."""
    if connection.vendor != "postgresql":
        return "NULL"
    return f"nextval(pg_get_serial_sequence('{_name(model._meta.db_table)}', '{model._meta.pk.column}'))"


def insert_statement(obj: Model, *, returning: bool = True, **computed: Computed) -> tuple[str, list]:
    """INSERT of every concrete field of a new instance (its primary key
    too if it is set), with ``RETURNING`` the primary key. ``computed``
    gives fields whose value the database computes (``Computed``)."""
    opts = obj._meta
    fields = [f for f in opts.local_concrete_fields if not f.primary_key or obj.pk is not None]
    params: list = []
    values = [_value(f, computed.get(f.name, computed.get(f.attname)) or f.pre_save(obj, True), params)
              for f in fields]
    sql = (f"INSERT INTO {_name(opts.db_table)} ({', '.join(_name(f.column) for f in fields)}) "
           f"VALUES ({', '.join(values)})")
    return (sql + f" RETURNING {_name(opts.pk.column)}" if returning else sql), params


def update_statement(model: type[Model], *, where: dict, values: dict, add: dict | None = None
                     ) -> tuple[str, list]:
    """``UPDATE … SET f = v, …, g = g + n, … WHERE h = w AND …``: a
    compare-and-set when ``where`` holds the expected old values."""
    assignments, params = [], []
    for name, value in values.items():
        f = _field(model, name)
        assignments.append(f"{_name(f.column)} = {_value(f, value, params)}")
    for name, step in (add or {}).items():
        column = _name(_field(model, name).column)
        assignments.append(f"{column} = {column} + %s")
        params.append(int(step))
    conditions = []
    for name, value in where.items():
        if value is None:  # "= NULL" matches nothing: a compare-and-set would always fail
            raise ValueError(f"update_statement: {name} = None in where")
        f = _field(model, name)
        conditions.append(f"{_name(f.column)} = %s")
        params.append(f.get_db_prep_value(value, connection, prepared=False))
    return (f"UPDATE {_name(model._meta.db_table)} SET {', '.join(assignments)} "
            f"WHERE {' AND '.join(conditions)}"), params


def _one_message(cursor) -> bool:
    """psycopg 3's client-side-binding cursor (Django's default on
    PostgreSQL) takes several statements in one simple-query message: they
    run one after the other, in the open transaction, in one round trip.
    Decided from the cursor itself, so a server-side-binding configuration
    falls back to one statement at a time."""
    client_cursor = getattr(connection.Database, "ClientCursor", None)
    return client_cursor is not None and isinstance(cursor.cursor, client_cursor)


def run(statements: list[tuple[str, list]]) -> list[Outcome]:
    """Execute statements in order and return each one's rows and row count:
    in one round trip on PostgreSQL, one by one elsewhere. A statement that
    fails raises, and the ones after it do not run. Statements are joined
    with "; ": none may end with a semicolon, and a literal % is written %%."""
    outcomes = []
    with connection.cursor() as cursor:
        if len(statements) > 1 and _one_message(cursor):
            cursor.execute("; ".join(sql for sql, _ in statements), [p for _, params in statements for p in params])
            while True:
                outcomes.append(Outcome(cursor.fetchall() if cursor.description else [], cursor.rowcount))
                if not cursor.nextset():
                    break
        else:
            for sql, params in statements:
                cursor.execute(sql, params)
                outcomes.append(Outcome(cursor.fetchall() if cursor.description else [], cursor.rowcount))
    return outcomes


@dataclass
class Batch:
    """Statements collected from several places (a bid's rows, its audit
    entry) and run together; ``expect`` turns a row count other than the
    expected one (a lost compare-and-set) into an error."""
    statements: list[tuple[str, list]] = field(default_factory=list)
    expectations: list[tuple[int, int, str]] = field(default_factory=list)

    def add(self, statement: tuple[str, list], *, expect: int | None = None, error: str = "") -> None:
        if expect is not None:
            self.expectations.append((len(self.statements), expect, error))
        self.statements.append(statement)

    def run(self) -> list[Outcome]:
        if self.expectations and not connection.in_atomic_block:
            # Outside a transaction the statements would be committed before a failed expectation raised.
            raise RuntimeError("A batch with expectations runs inside a transaction")
        outcomes = run(self.statements)
        for index, expected, error in self.expectations:
            if outcomes[index].rowcount != expected:
                raise RuntimeError(error)
        return outcomes


def insert(obj: Model) -> Model:
    """INSERT ``obj`` now and set its primary key."""
    (outcome,) = run([insert_statement(obj)])
    obj.pk = outcome.rows[0][0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj

