"""One save's writes as one statement: its version, the response pointing at it, its audit row,
the files it counted and (a submission) the response's facts.

`response_save` wrote them as three to five statements (version INSERT, files link, facts DELETE
and COPY, response UPDATE, audit INSERT), each costing about 0.2-0.3 ms of Django's and psycopg's
cursor CPU, more than PostgreSQL takes to run it. On PostgreSQL they are one statement of
data-modifying CTEs (WITH v AS (INSERT ... RETURNING id), ... INSERT INTO audit ...): the
response, the facts and the files' link take the version's id from `v`, all of them in the
statement's single snapshot (the facts DELETE sees only the rows that were there before it).
The SQL is written once per process from the models' metadata; the values are the fields'
`get_db_prep_save` values, as `survey.dbcopy.row_insert` and `versions.responses_update` send
them, so the rows are the same. SQLite has no data-modifying CTEs: it runs the steps one by one.
"""
from __future__ import annotations

from functools import cache

from django.db import connection

from survey.dbcopy import row_insert, row_values
from survey.models import AnswerFact, AuditLog, Response, ResponseStatus, ResponseVersion
from survey.services import attachments
from survey.services.versions import (
    FACT_COLUMNS,
    RESPONSE_FIELDS,
    fact_rows,
    facts_insert,
    response_point,
    responses_update,
)


def version_write(*, response: Response, version: ResponseVersion, audit: AuditLog,
                  files: attachments.LiveFiles) -> None:
    """Insert `version` (unsaved, numbered) and `audit`, link the live `files` to the version, point
    `response` (locked) at it and, for a submitted version, replace the response's facts; set the
    new rows' pks and the response's fields as `versions.response_point` does."""
    if connection.vendor != "postgresql":
        _write_steps(response, version, audit, files)
        return
    submit = version.status == ResponseStatus.SUBMITTED
    response_point(response, version)  # every field but the version's id, which the statement adds
    sql, version_fields, audit_fields, response_fields = _statement(submit)
    params = [*row_values(version, version_fields), list(files.ids)]
    params += [f.get_db_prep_save(getattr(response, f.attname), connection) for f in response_fields]
    params.append(response.pk)
    if submit:
        rows = fact_rows(response, version)  # its version column (None here) is the statement's v.id
        params.append(response.pk)
        params += [[row[i] for row in rows] for i, name in enumerate(FACT_COLUMNS) if name != "version_id"]
    params += row_values(audit, audit_fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        version.pk, audit.pk = cursor.fetchone()
    for obj in (version, audit):
        obj._state.adding, obj._state.db = False, connection.alias
    response_point(response, version)  # again, with the version's id


def _write_steps(response, version, audit, files) -> None:
    """The same writes one statement each (SQLite)."""
    row_insert(version)
    attachments.link_to_version(version, files)
    response_point(response, version)
    if version.status == ResponseStatus.SUBMITTED:
        AnswerFact.objects.filter(response=response).delete()
        facts_insert(fact_rows(response, version))
    responses_update([response])
    row_insert(audit)


# The array type of each fact column the facts INSERT takes from unnest (the version's id comes from `v`).
_FACT_ARRAYS = {"round_id": "bigint[]", "response_id": "bigint[]", "prefecture_code": "text[]",
                "org_kind": "text[]", "item": "text[]", "option": "text[]"}


@cache
def _statement(submit: bool) -> tuple[str, list, list, list]:
    """The statement's SQL for a draft or a submission, and the fields whose values it takes, in order."""
    quote = connection.ops.quote_name

    def insert_head(model) -> tuple[str, list]:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if f is not meta.pk]
        return (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
                f"VALUES ({', '.join(['%s'] * len(fields))})"), fields

    version_insert, version_fields = insert_head(ResponseVersion)
    audit_insert, audit_fields = insert_head(AuditLog)
    link = ResponseVersion.attachments.through._meta
    link_columns = [quote(link.get_field(n).column) for n in ("responseversion", "attachment")]
    meta = Response._meta
    response_fields = [meta.get_field(name) for name in RESPONSE_FIELDS]
    pointing = {"current_version"} | ({"submitted_version"} if submit else set())
    sets = ", ".join(f"{quote(f.column)} = " + ("v.id" if f.name in pointing else "%s")
                     for f in response_fields)
    parts = [
        f"v AS ({version_insert} RETURNING {quote(ResponseVersion._meta.pk.column)} AS id)",
        f"a AS (INSERT INTO {quote(link.db_table)} ({', '.join(link_columns)}) "
        f"SELECT v.id, f.id FROM v, unnest(%s::bigint[]) AS f(id))",
        f"r AS (UPDATE {quote(meta.db_table)} SET {sets} FROM v WHERE {quote(meta.db_table)}."
        f"{quote(meta.pk.column)} = %s)",
    ]
    if submit:
        facts = AnswerFact._meta
        columns = {c: quote(facts.get_field(c.removesuffix("_id")).column) for c in FACT_COLUMNS}
        arrays = [c for c in FACT_COLUMNS if c != "version_id"]
        parts.append(f"d AS (DELETE FROM {quote(facts.db_table)} WHERE {columns['response_id']} = %s)")
        parts.append(
            f"n AS (INSERT INTO {quote(facts.db_table)} ({', '.join(columns[c] for c in FACT_COLUMNS)}) "
            f"SELECT {', '.join('v.id' if c == 'version_id' else f'x.{quote(c)}' for c in FACT_COLUMNS)} "
            f"FROM v, unnest({', '.join(f'%s::{_FACT_ARRAYS[c]}' for c in arrays)}) "
            f"AS x({', '.join(quote(c) for c in arrays)}))")
    sql = (f"WITH {', '.join(parts)} {audit_insert} "
           f"RETURNING (SELECT id FROM v), {quote(AuditLog._meta.pk.column)}")
    return sql, version_fields, audit_fields, [f for f in response_fields if f.name not in pointing]
