"""Insert many new rows of one model at once with PostgreSQL's COPY, as bulk_create would.

Django's bulk_create on PostgreSQL sends each column as an array (INSERT ... UNNEST), which
psycopg quotes in Python element by element: for rows with JSON (a response version's
answers) that quoting costs more than the rest of a bulk import's write. COPY sends the rows
as they are. The primary keys are taken from the table's sequence first, so the objects come
back with their pk as from bulk_create. Other databases use bulk_create.
"""
from __future__ import annotations

from django.db import connection
from django.db.models import Model


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
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
