"""Submitting many imported sheets at once: response_save's rules, in a few queries per batch.

`response_save` costs about fifteen queries per sheet; a bulk import near the deadline brings
thousands of sheets. `submit_many` applies the same rules to a batch (clear what the branching
skips, add the ministry's fields, validate completely, classify the risk, refuse a file already
imported, number the versions, keep the flattened facts and write the audit rows) with one
query per step for the whole batch. tests/sheets/test_sheets_batch.py checks that its rows
equal those of response_save.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from survey import engine
from survey.audit import Action
from survey.facts import fact_pairs, fired_rules
from survey.models import AnswerFact, AuditLog, Response, ResponseStatus, ResponseVersion, RoundTarget, User
from survey.services.responses import ministry_fields

IMPORTED, REJECTED, DUPLICATE = "imported", "rejected", "duplicate"


@dataclass
class Pending:
    """A read sheet for a target, to be submitted; `out` (a FileOutcome) receives the result."""

    out: Any
    target: RoundTarget
    name: str
    data: Any  # bytes, or the Path of the file on disk (an expanded zip entry)
    sha: str
    path: str = ""
    version: ResponseVersion | None = None
    cleared: list[str] = field(default_factory=list)
    attached: frozenset[str] = frozenset()  # follow-ups the sheet has no row for: a file stands in


def _issues(issues) -> list[dict]:
    return [{"sheet": "", "cell": "", "item": i.item, "field": i.field, "value": i.value, "code": i.code,
             "message": i.message} for i in issues]


def _validated(p: Pending) -> dict | None:
    """The version's values, or None (and the errors on p.out) when the answers are invalid."""
    defn, kind = p.target.round.survey.engine, p.target.organization.engine_kind
    answers, cleared = engine.clear_inapplicable(defn, kind, p.out.answers)
    respondent = {**p.out.respondent, **ministry_fields(p.target)}
    issues = engine.validate(defn, kind, answers, respondent, complete=True, attached=p.attached)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        p.out.status, p.out.errors = REJECTED, _issues(errors)
        return None
    p.out.warnings += _issues(i for i in issues if i.severity == "warning")
    risk = engine.classify_risk(defn, answers, kind)
    p.cleared = cleared
    return {"answers": answers, "respondent": respondent, "risk_level": risk.level, "cleared_items": cleared,
            "risk_rules": fired_rules(risk)}


def _locked_responses(pending: list[Pending]) -> dict[tuple[int, int], Response]:
    """The responses of the targets, created where missing, locked until the transaction ends."""
    keys = {(p.target.round_id, p.target.organization_id): p.target for p in pending}
    Response.objects.bulk_create(
        [Response(round_id=r, organization_id=o, prefecture_code=t.organization.prefecture_code,
                  org_kind=t.organization.kind) for (r, o), t in keys.items()],
        ignore_conflicts=True,
    )
    rounds = {r for r, _ in keys}
    orgs = {o for _, o in keys}
    rows = Response.objects.select_for_update().filter(round_id__in=rounds, organization_id__in=orgs).order_by("pk")
    responses = {(r.round_id, r.organization_id): r for r in rows if (r.round_id, r.organization_id) in keys}
    for (r, o), response in responses.items():
        response.organization = keys[(r, o)].organization
    return responses


def _new_versions(pending, values, responses, acting_user: User | None, source: str) -> list[ResponseVersion]:
    """Number the versions; a file already kept for the response (or earlier in the batch) is a duplicate."""
    ids = [r.pk for r in responses.values()]
    kept = {(rid, sha): n for rid, sha, n in ResponseVersion.objects.filter(
        response_id__in=ids, file_sha256__in=[p.sha for p in pending]).values_list("response_id", "file_sha256", "number")}
    last = dict(ResponseVersion.objects.filter(response_id__in=ids).values("response_id")
                .annotate(n=Max("number")).values_list("response_id", "n"))
    now, versions = timezone.now(), []
    for p, vals in zip(pending, values, strict=True):
        response = responses[(p.target.round_id, p.target.organization_id)]
        if (response.pk, p.sha) in kept:
            p.out.status = DUPLICATE
            p.out.warnings.append({"sheet": "", "cell": "", "item": None, "field": None, "value": None,
                                   "code": "duplicate_file",
                                   "message": f"同じファイルは既に版{kept[(response.pk, p.sha)]}として取り込まれています。"})
            continue
        last[response.pk] = kept[(response.pk, p.sha)] = last.get(response.pk, 0) + 1
        p.version = ResponseVersion(
            response=response, number=last[response.pk], status=ResponseStatus.SUBMITTED, source=source,
            created_by=acting_user, acting_organization=getattr(acting_user, "organization", None),
            created_at=now, file_name=p.name.rsplit("/", 1)[-1][:255], file_sha256=p.sha, file_path=p.path, **vals)
        versions.append(p.version)
    return versions


def _facts(response: Response, version: ResponseVersion) -> list[AnswerFact]:
    """The flattened answers of a submitted version (survey.facts.fact_pairs, as response_save writes them)."""
    pairs = fact_pairs(response.round.survey.engine, response.organization.engine_kind, version.answers)
    return [AnswerFact(round_id=response.round_id, response=response, version=version,
                       prefecture_code=response.prefecture_code, org_kind=response.org_kind, item=item, option=option)
            for item, option in pairs]


def _audit_row(p: Pending, acting_user: User | None, source: str) -> AuditLog:
    """The row `audit(Action.SUBMIT, ...)` writes for response_save(submit=True)."""
    actor = acting_user if acting_user is not None and acting_user.pk else None
    version = p.version
    return AuditLog(
        actor=actor, actor_label=f"{actor.name} <{actor.email}>" if actor else "", action=Action.SUBMIT,
        organization=p.target.organization,
        target=f"round:{p.target.round_id}/org:{p.target.organization.code}/v{version.number}"[:200],
        details={"source": source, "cleared": p.cleared,
                 "proxy": version.acting_organization_id not in (None, p.target.organization_id)},
    )


def submit_many(pending: list[Pending], *, acting_user: User | None, source: str = "bulk_import") -> None:
    """Submit each pending sheet as a new version of its response; sets p.out's status and version.

    Call inside a transaction. Invalid answers make that sheet REJECTED, a file already imported
    for the response DUPLICATE; nothing of those is written.
    """
    checked = [(p, vals) for p in pending if (vals := _validated(p)) is not None]
    if not checked:
        return
    todo, values = [p for p, _ in checked], [v for _, v in checked]
    responses = _locked_responses(todo)
    versions = _new_versions(todo, values, responses, acting_user, source)
    ResponseVersion.objects.bulk_create(versions)
    newest: dict[int, Pending] = {}
    for p in todo:
        if p.version is not None:
            p.out.status, p.out.version = IMPORTED, p.version.number
            newest[p.version.response_id] = p
    _update_responses(newest, responses)
    AuditLog.objects.bulk_create([_audit_row(p, acting_user, source) for p in todo if p.version is not None])


def _update_responses(newest: dict[int, Pending], responses: dict) -> None:
    """Point each response at its newest version and replace its facts (as response_save)."""
    by_pk = {r.pk: r for r in responses.values()}
    facts, changed = [], []
    for response_id, p in newest.items():
        response, version = by_pk[response_id], p.version
        response.round = p.target.round
        response.current_version = response.submitted_version = version
        response.revision, response.updated_at = version.number, version.created_at
        response.status, response.submitted_at = ResponseStatus.SUBMITTED, version.created_at
        response.risk_level = version.risk_level
        facts += _facts(response, version)
        changed.append(response)
    AnswerFact.objects.filter(response_id__in=list(newest)).delete()
    AnswerFact.objects.bulk_create(facts, batch_size=5000)
    _save_responses(changed)


RESPONSE_FIELDS = ["current_version", "submitted_version", "revision", "updated_at", "status", "submitted_at",
                   "risk_level"]


def _save_responses(changed: list[Response]) -> None:
    """One UPDATE for the batch. On PostgreSQL from a VALUES list: Django's bulk_update builds a
    CASE per field and row, which costs more Python time than the whole rest of the batch."""
    if not changed:
        return
    if connection.vendor != "postgresql":
        Response.objects.bulk_update(changed, RESPONSE_FIELDS)
        return
    rows = [(r.pk, r.current_version_id, r.submitted_version_id, r.revision, r.updated_at, r.status, r.submitted_at,
             r.risk_level) for r in changed]
    values = ", ".join(["(%s::bigint, %s::bigint, %s::bigint, %s::integer, %s::timestamptz, %s, %s::timestamptz, %s)"] * len(rows))
    table = Response._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS r SET current_version_id = v.cv, submitted_version_id = v.sv, revision = v.rev, "
            f"updated_at = v.upd, status = v.status, submitted_at = v.sub, risk_level = v.risk "
            f"FROM (VALUES {values}) AS v(id, cv, sv, rev, upd, status, sub, risk) WHERE r.id = v.id",
            [value for row in rows for value in row],
        )

