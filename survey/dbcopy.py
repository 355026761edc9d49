"""Insert new rows as the ORM would, for less CPU: many at once with PostgreSQL's COPY (as
bulk_create would), or one with an INSERT made once per model (as save would).

Django's bulk_create on PostgreSQL sends each column as an array (INSERT ... UNNEST), which
psycopg quotes in Python element by element: for rows with JSON (a response version's
answers) that quoting costs more than the rest of a bulk import's write. COPY sends the rows
as they are. The primary keys are taken from the table's sequence first, so the objects come
back with their pk as from bulk_create. Other databases use bulk_create.

A web save writes two rows each time (its version and its audit row); `save()` builds their
INSERT anew on each call, about 0.3 ms of CPU more per row than the query itself costs.
`row_insert` sends the same columns and values from an INSERT made once per model.
"""
from __future__ import annotations

import datetime as dt
from functools import cache

from django.db import connection, models
from django.db.models import Field, Model

# Fields whose `get_db_prep_save` hands a value of these kinds (or None) to PostgreSQL unchanged,
# and whose `pre_save` only reads the attribute: their values are taken as they are, which saves
# a few Python calls per column and row (a bulk import writes 2,000 versions and audit rows).
# Anything else, or another kind of value, goes through `get_db_prep_save` as before.
_AS_TEXT = (models.CharField, models.TextField)
_AS_INT = (models.IntegerField, models.PositiveIntegerField, models.PositiveSmallIntegerField,
           models.PositiveBigIntegerField, models.SmallIntegerField, models.BigIntegerField,
           models.AutoField, models.BigAutoField, models.SmallAutoField)


def copy_create(objs: list[Model]) -> None:
    """Insert `objs` (new instances of one model with an auto primary key) and set their pk."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return
    meta, quote = model._meta, connection.ops.quote_name
    fields = [f for f in meta.concrete_fields]
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [meta.db_table, meta.pk.column, len(objs)])
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        columns = ", ".join(quote(f.column) for f in fields)
        plans = [(f, f.attname, _plain_kind(f)) for f in fields]
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([_db_value(obj, f, attname, kind) for f, attname, kind in plans])
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def row_insert(obj: Model) -> None:
    """Insert `obj` (a new instance of a model with an auto primary key, no signals connected)
    as obj.save(force_insert=True) would, the same values in one INSERT ... RETURNING; set its pk."""
    model = type(obj)
    if not connection.features.can_return_columns_from_insert:
        obj.save(force_insert=True)
        return
    sql, fields = _insert_sql(model)
    with connection.cursor() as cursor:
        cursor.execute(sql, row_values(obj, fields))
        obj.pk = cursor.fetchone()[0]
    obj._state.adding, obj._state.db = False, connection.alias


def row_values(obj: Model, fields: list[Field]) -> list:
    """The values save(force_insert=True) would send for `fields` of the new instance `obj`."""
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


@cache
def _insert_sql(model: type[Model]) -> tuple[str, list[Field]]:
    meta, quote = model._meta, connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    return (f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values}) RETURNING {quote(meta.pk.column)}",
            fields)


def _plain_kind(field) -> str:
    """"text", "int", "datetime" when `_db_value` may take the field's values as they are, else ""."""
    kind = type(field)
    if kind in _AS_TEXT:
        return "text"
    if kind in _AS_INT:
        return "int"
    if kind is models.DateTimeField and not field.auto_now and not field.auto_now_add:
        return "datetime"
    if kind is models.ForeignKey and _plain_kind(field.target_field) == "int":
        return "int"
    return ""


def _db_value(obj: Model, field, attname: str, kind: str):
    """`field.get_db_prep_save(field.pre_save(obj, True))` for PostgreSQL, taken as it is where that
    gives the same value: None, a str for a text column (as CharField.to_python returns it), an
    int (not a bool: Django would make it 1) for an integer one, an aware datetime (the
    PostgreSQL backend adapts it unchanged; a naive one is warned about and converted there)."""
    if kind:
        value = getattr(obj, attname)
        if value is None:
            return None
        if kind == "text":
            if isinstance(value, str):
                return value
        elif kind == "int":
            if type(value) is int:
                return value
        elif type(value) is dt.datetime and value.utcoffset() is not None:
            return value
    return field.get_db_prep_save(field.pre_save(obj, True), connection)
