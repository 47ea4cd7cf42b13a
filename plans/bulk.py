"""Writing many new rows of one table at once: COPY on PostgreSQL, one executemany elsewhere.

`bulk_create` builds a model instance per row and prepares every field of every row through its
field class; at 10,000 steps of some forty columns that is seconds. Here a column's value is
prepared by its field once for all the rows that share it (most columns of a new step hold the
same value in every row), and the rows go to the database as they are.

`loaded` makes the model instance of a row just written without the field-by-field `__init__`,
as unpickling does, for the code that goes on with the rows in hand.

`collector_paused` keeps the garbage collector from walking, again and again, the tens of
thousands of objects such work holds until it ends (a tenth of a 10,000-step submission's time).

Imports only Django.
"""

from __future__ import annotations

import copy
import gc
import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connections
from django.db.models import AutoField, BigAutoField, FloatField, JSONField, Model
from django.db.models.base import ModelState

M = TypeVar("M", bound=Model)


def _columns(model: type[Model]) -> list[Any]:
    """The concrete fields written: every one but an auto primary key."""
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoField | BigAutoField)]
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            # Their value is set on save, which these rows do not go through.
            raise ValueError(f"{model.__name__}.{f.name} sets itself on save")
    return fields


def rows_insert(
    model: type[Model], rows: Sequence[Mapping[str, Any]], using: str = "default"
) -> None:
    """Insert `rows` (each: field attname -> value, as `Model.__dict__` holds it; every row
    gives the same fields, and a field not given takes its default) into `model`'s table, in
    order, in the current transaction.

    The primary keys are the database's; read them back by a unique column when needed.
    """
    if not rows:
        return
    connection = connections[using]
    fields = _columns(model)
    columns = [_prepared(f, rows, connection) for f in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the rows stream in one statement, with no SQL text to build or parse.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as stream:
                for row_values in zip(*columns, strict=True):
                    stream.write_row(row_values)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 - our own names
                list(zip(*columns, strict=True)),
            )


# Fields whose preparation gives back a value of their own python type unchanged (`str` for
# text, `int` for integers...): such columns are written as they are.
AS_IS: dict[str, tuple[type, ...]] = {
    "CharField": (str,),
    "TextField": (str,),
    "IntegerField": (int,),
    "BigIntegerField": (int,),
    "SmallIntegerField": (int,),
    "PositiveIntegerField": (int,),
    "PositiveBigIntegerField": (int,),
    "PositiveSmallIntegerField": (int,),
    "FloatField": (float,),
    "BooleanField": (bool,),
}


def _prepared(field: Any, rows: Sequence[Mapping[str, Any]], connection: Any) -> list[Any]:
    """One column's values as the database takes them, as `field.get_db_prep_save` makes them."""
    name = field.attname
    as_json = isinstance(field, JSONField) and field.encoder is None
    if name not in rows[0]:
        default = field.get_default()
        return [_json(default) if as_json else field.get_db_prep_save(default, connection)] * len(
            rows
        )
    values = [row[name] for row in rows]
    first = values[0]
    if len(set(map(id, values))) == 1:  # one object in every row: prepared once
        return [_json(first) if as_json else field.get_db_prep_save(first, connection)] * len(
            values
        )
    if as_json:
        return [_json(v) for v in values]
    native = AS_IS.get(field.get_internal_type())
    if native is not None:
        allowed = {*native, type(None)} if field.null else set(native)
        if {type(v) for v in values} <= allowed:
            return values
    prepared: dict[Any, Any] = {}
    out = []
    for value in values:
        try:
            key = (type(value), value)
            found = prepared.get(key, prepared)
        except TypeError:  # unhashable: prepared each time
            out.append(field.get_db_prep_save(value, connection))
            continue
        if found is prepared:
            found = prepared[key] = field.get_db_prep_save(value, connection)
        out.append(found)
    return out


def _json(value: Any) -> str | None:
    """What a JSONField's own preparation writes, on every backend: JSON text; None is NULL."""
    if value is None:
        return None
    # Most steps' params and context are empty: no encoder run for those.
    if not value and isinstance(value, dict | list):
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value)


# A number as Python writes it that jsonb reads back as another python value: in exponent form
# (1e+20 comes back as the int 100000000000000000000), or a negative zero (comes back as 0.0).
# Also matches such text inside a string: a false alarm costs only a read-back.
_RENUMBERED = re.compile(r"[0-9]e[+-]?[0-9]|(?<![0-9.])-0\.0(?![0-9])")


def reads_back_otherwise(value: Any) -> bool:
    """Whether a JSON value may read back from the database as other python values than it was
    written with (PostgreSQL's jsonb keeps numbers as decimals, so some floats come back as
    ints or lose their sign); None and empty objects and lists never do."""
    return bool(value) and _RENUMBERED.search(json.dumps(value)) is not None


class Defaults:
    """Each field's default of one model, worked out once for many `loaded` instances."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.values: dict[str, Any] = {}
        self.mutable: list[str] = []
        # Float columns: a whole number written to one reads back as a float (30 as 30.0).
        self.floats = [f.attname for f in model._meta.concrete_fields if isinstance(f, FloatField)]
        for f in model._meta.concrete_fields:
            value = f.get_default()
            self.values[f.attname] = value
            if isinstance(value, dict | list):
                self.mutable.append(f.attname)


def loaded(defaults: Defaults, values: Mapping[str, Any], using: str = "default") -> Any:
    """The model instance of a row as written: `values` (attname -> value, the primary key
    included) over the fields' defaults, as if read back (whole numbers in float columns as
    floats), without a query or `__init__`."""
    instance = defaults.model.__new__(defaults.model)
    state = {**defaults.values, **values}
    for name in defaults.mutable:
        if name not in values:
            state[name] = copy.copy(state[name])
    for name in defaults.floats:
        if type(state[name]) is int:
            state[name] = float(state[name])
    model_state = ModelState()
    model_state.adding = False
    model_state.db = using
    state["_state"] = model_state
    instance.__dict__ = state
    return instance


_pause_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic garbage collection inside: for work making many objects that all live
    until it ends, where each of the collector's passes would walk them all and free nothing.
    Reference counting still frees what goes; the collector runs again as before once the last
    of overlapping pauses ends (it is one for the process)."""
    global _pauses, _was_enabled
    with _pause_lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
