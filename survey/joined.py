"""One SELECT over several models' tables, made into model instances as the ORM makes them.

The ORM builds a query's SQL anew on each call: for the target and response every answering page
reads (four and three tables), building the two queries cost more CPU than PostgreSQL took to
answer them (bench/load/profile_requests.py). A `Joined` writes its SQL once per process from the
models' own metadata (tables, columns, which fields it leaves out) and turns each row into
instances with `Model.from_db` and the fields' database converters, as a queryset does; each
table's alias is given with the model, the FROM/JOIN/WHERE text by the caller. Columns left out
are deferred (read on first access), as with `.defer()`.

Only for fetches that stay exactly the same on every call (survey.access uses it); anything else
goes through the ORM.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Model


@dataclass(frozen=True)
class Part:
    """One model's columns in the SELECT, under the table alias `alias`, without `leave_out`."""

    model: type[Model]
    alias: str
    leave_out: tuple[str, ...] = ()
    fields: tuple = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "fields", tuple(
            f for f in self.model._meta.concrete_fields if f.name not in self.leave_out))

    def select(self, quote) -> list[str]:
        return [f"{quote(self.alias)}.{quote(f.column)}" for f in self.fields]


class Joined:
    """`Joined(parts, "FROM … WHERE …")`: `.rows(params)` gives, per row, one instance per part (None
    for a part whose primary key is NULL: the outer side of a LEFT JOIN that found nothing), then
    the value of each `extra` SQL expression (as the database gives it)."""

    def __init__(self, parts: list[Part], tail: str, *, extra: tuple[str, ...] = (),
                 tables: dict[str, type[Model]] | None = None, using: str = "default"):
        """`tail` names each part's table as {alias} ("{alias} AS alias"), and each model of
        `tables` (tables only joined or queried, none of their columns selected) the same way;
        `extra` SQL expressions may name them too."""
        self.parts, self.tail, self.extra, self.using = parts, tail, extra, using
        self.tables = tables or {}
        self._sql: str | None = None
        self._converters: list = []
        self._layout: list = []

    def _prepare(self, connection) -> None:
        quote = connection.ops.quote_name
        names = {alias: f"{quote(model._meta.db_table)} {quote(alias)}" for alias, model in
                 [*((p.alias, p.model) for p in self.parts), *self.tables.items()]}
        columns = [c for p in self.parts for c in p.select(quote)] + [e.format(**names) for e in self.extra]
        sql = "SELECT " + ", ".join(columns) + " " + self.tail.format(**names)
        converters, layout, start = [], [], 0
        for part in self.parts:
            for i, f in enumerate(part.fields):
                col = f.get_col(part.alias)
                found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if found:
                    converters.append((start + i, [(c, col) for c in found]))
            pk_at = next(i for i, f in enumerate(part.fields) if f.primary_key)
            layout.append((part.model, [f.attname for f in part.fields], start, pk_at))
            start += len(part.fields)
        self._converters, self._layout = converters, layout
        self._sql = sql  # last: another thread sees the SQL only with what reads its rows

    def rows(self, params) -> list[list[Model | None]]:
        connection = connections[self.using]
        if self._sql is None:
            self._prepare(connection)
        with connection.cursor() as cursor:
            cursor.execute(self._sql, params)
            fetched = cursor.fetchall()
        out = []
        for raw in fetched:
            values = list(raw)
            for i, found in self._converters:
                for converter, col in found:
                    values[i] = converter(values[i], col, connection)
            out.append([None if values[start + pk_at] is None
                        else model.from_db(self.using, attnames, values[start:start + len(attnames)])
                        for model, attnames, start, pk_at in self._layout] + values[len(values) - len(self.extra):])
        return out
