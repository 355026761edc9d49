"""Writes of the aggregation app: freezing a round's figures, and the aggregate export job."""
from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from aggregation.aggregate_workbook import build_workbook
from aggregation.csvexport import build_csv
from aggregation.models import Snapshot, SnapshotFact, SnapshotVersion
from aggregation.source import REVIEW_OF_STATE, FigureSource, content_hash
from survey import access
from survey.audit import Action, audit
from survey.jobs import JobContext, job_create, job_get_for_user, job_runner
from survey.models import (
    AnswerFact,
    Job,
    Response,
    ResponseState,
    ResponseStatus,
    ReviewState,
    Round,
    RoundStatus,
    RoundTarget,
    User,
)
from survey.services.rounds import round_mark_finalised
from survey.storage import private_output

EXPORT_KIND = "aggregate_workbook"
FORMATS = {"xlsx": "Excel（.xlsx）", "csv": "CSV（UTF-8 BOM付き）"}


# --- snapshots -------------------------------------------------------------------------------


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _freeze_versions(snapshot: Snapshot) -> int:
    """Copy the counted versions (submitted versions of submitted responses) in the database,
    each with its response's state (提出済・差し戻し中・承認済)."""
    sql = f"""
        INSERT INTO {_table(SnapshotVersion)} (snapshot_id, response_id, version_id, prefecture_code, org_kind, state)
        SELECT %s, r.id, r.submitted_version_id, r.prefecture_code, r.org_kind,
               CASE r.review WHEN %s THEN %s WHEN %s THEN %s ELSE %s END
        FROM {_table(Response)} r
        WHERE r.round_id = %s AND r.status = %s AND r.submitted_version_id IS NOT NULL"""
    states = [ReviewState.RETURNED, ResponseState.RETURNED, ReviewState.APPROVED, ResponseState.APPROVED,
              ResponseState.SUBMITTED]
    with connection.cursor() as cursor:
        cursor.execute(sql, [snapshot.pk, *states, snapshot.round_id, ResponseStatus.SUBMITTED])
        return cursor.rowcount


def _freeze_facts(snapshot: Snapshot) -> int:
    """Copy the facts of exactly those versions (INSERT … SELECT, nothing passes through Python)."""
    option = connection.ops.quote_name("option")
    sql = f"""
        INSERT INTO {_table(SnapshotFact)}
            (snapshot_id, round_id, response_id, version_id, prefecture_code, org_kind, item, {option})
        SELECT sv.snapshot_id, f.round_id, f.response_id, f.version_id, f.prefecture_code, f.org_kind,
               f.item, f.{option}
        FROM {_table(AnswerFact)} f
        JOIN {_table(SnapshotVersion)} sv
          ON sv.response_id = f.response_id AND sv.version_id = f.version_id AND sv.snapshot_id = %s
        WHERE f.round_id = %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [snapshot.pk, snapshot.round_id])
        return cursor.rowcount


def snapshot_versions_hash(snapshot: Snapshot) -> str:
    """The content hash of a snapshot's versions, recomputed from the database."""
    pairs = (
        SnapshotVersion.objects.filter(snapshot=snapshot)
        .order_by("response__organization__code")
        .values_list("version_id", "version__answers")
        .iterator(chunk_size=2000)
    )
    return content_hash(pairs)


def _consistent_read() -> None:
    """On PostgreSQL, read the whole round as of one instant (both copies and the hash agree)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def _analyze_snapshot_tables() -> None:
    """Refresh the planner's statistics: a first large snapshot otherwise reads as an empty table
    and the next export joins it with a nested loop (minutes instead of seconds)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {_table(SnapshotVersion)}, {_table(SnapshotFact)}")


def snapshot_create(*, round: Round, acting_user: User, label: str, request=None) -> Snapshot:
    """Freeze the round's current figures: its counted versions, their facts and a content hash.

    Later edits and submissions do not change a snapshot: versions are never modified and the
    facts are copied. Atomic and audited (SNAPSHOT).
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            _consistent_read()
        snapshot = Snapshot.objects.create(
            round=round, label=label.strip() or f"{timezone.localtime():%Y-%m-%d %H:%M} 時点",
            created_by=acting_user, content_sha256="", response_count=0, fact_count=0,
            target_count=RoundTarget.objects.filter(round=round).count(),
        )
        snapshot.response_count = _freeze_versions(snapshot)
        snapshot.fact_count = _freeze_facts(snapshot)
        _analyze_snapshot_tables()
        snapshot.content_sha256 = snapshot_versions_hash(snapshot)
        snapshot.save(update_fields=["response_count", "fact_count", "content_sha256"])
        audit(Action.SNAPSHOT, actor=acting_user, request=request, target=f"round:{round.pk}/snapshot:{snapshot.pk}",
              label=snapshot.label, responses=snapshot.response_count, facts=snapshot.fact_count,
              sha256=snapshot.content_sha256)
    return snapshot


FINAL_LABEL = "調査回の確定"


def round_finalise(*, round: Round, acting_user: User, label: str = "", request=None) -> Snapshot:
    """締切 → 確定: freeze the round's figures in a snapshot and mark the round finalised, atomically.

    Raises ValidationError `bad_transition` unless the round is closed (締切).
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            _consistent_read()
        if round.status != RoundStatus.CLOSED:
            raise ValidationError("締め切った調査回だけを確定できます。", code="bad_transition")
        snapshot = snapshot_create(round=round, acting_user=acting_user, label=label.strip() or FINAL_LABEL,
                                   request=request)
        snapshot.finalises = True
        snapshot.save(update_fields=["finalises"])
        round_mark_finalised(round=round, acting_user=acting_user, snapshot_id=snapshot.pk, request=request)
    round.status = RoundStatus.FINALISED
    return snapshot


@dataclass(frozen=True)
class SnapshotCheck:
    ok: bool
    recomputed_sha256: str
    facts_ok: bool


def snapshot_verify(snapshot: Snapshot) -> SnapshotCheck:
    """Recompute the hash of the snapshot's versions and recount its facts."""
    digest = snapshot_versions_hash(snapshot)
    facts_ok = SnapshotFact.objects.filter(snapshot=snapshot).count() == snapshot.fact_count
    return SnapshotCheck(digest == snapshot.content_sha256 and facts_ok, digest, facts_ok)


# --- export ----------------------------------------------------------------------------------


def export_file(source: FigureSource, path, *, fmt: str = "xlsx", progress=None,
                compare_with: FigureSource | None = None) -> dict:
    """Write the workbook (or CSV) of `source` to `path`; returns what it was built from.

    Not one transaction on purpose: the job's progress must be committed while it runs. A live
    export may therefore count a submission that arrives mid-build in one sheet and not in
    another; figures to be quoted come from a snapshot, which no submission changes.
    """
    if fmt == "csv":
        figures = build_csv(source, path, progress=progress)
    else:
        figures = build_workbook(source, path, progress=progress, compare_with=compare_with).as_dict()
    figures.update(round_id=source.round.pk, snapshot_id=source.snapshot.pk if source.snapshot else None,
                   prefecture=source.prefecture, format=fmt, basis=source.describe())
    if compare_with is not None and fmt != "csv":
        figures["compared_with"] = compare_with.round.pk
    if source.snapshot is not None and not source.prefecture and "content_sha256" in figures:
        figures["snapshot_sha256"] = source.snapshot.content_sha256
        figures["verified"] = figures["content_sha256"] == source.snapshot.content_sha256
    return figures


def export_filename(source: FigureSource, fmt: str) -> str:
    """A download name that says what the file holds."""
    parts = ["集計表", f"調査回{source.round.pk}"]
    if source.snapshot is not None:
        parts.append(f"確定{source.snapshot.pk}")
    if source.prefecture:
        parts.append(source.prefecture_label())
    parts.append(f"{timezone.localtime():%Y%m%d_%H%M}")
    return "_".join(parts) + f".{fmt}"


def export_start(*, round: Round, acting_user: User, prefecture: str = "", snapshot: Snapshot | None = None,
                 fmt: str = "xlsx", state: str = "", compare_with: Round | None = None, request=None) -> Job:
    """Queue an aggregate export as a job (run by the worker after commit); audited EXPORT.

    The caller has already narrowed `prefecture` to what the user may see (survey.access.dashboard_scope)
    and chosen `compare_with` among the rounds the user may see (its live figures, same scope; xlsx only).
    """
    if snapshot is not None and snapshot.round_id != round.pk:
        raise ValueError("snapshot of another round")
    if compare_with is not None and (compare_with.pk == round.pk or compare_with.survey.code != round.survey.code):
        raise ValueError("compare with another round of the same survey")
    fmt = fmt if fmt in FORMATS else "xlsx"
    params = {"prefecture": prefecture, "snapshot_id": snapshot.pk if snapshot else None, "format": fmt,
              "state": state if state in REVIEW_OF_STATE else ""}
    if compare_with is not None:
        params["compare_round_id"] = compare_with.pk
    with transaction.atomic():
        job = job_create(kind=EXPORT_KIND, created_by=acting_user, round=round, params=params)
        audit(Action.EXPORT, actor=acting_user, request=request, target=f"round:{round.pk}/job:{job.pk}",
              kind=EXPORT_KIND, **params)
    return job


def _source_of(job: Job) -> FigureSource:
    params = job.params
    snapshot = Snapshot.objects.get(pk=params["snapshot_id"]) if params.get("snapshot_id") else None
    rnd = Round.objects.select_related("survey").get(pk=job.round_id)
    return FigureSource(rnd, snapshot, access.Scope(prefecture=params.get("prefecture", "")),
                        state=params.get("state", ""))


def _compared_of(job: Job, source: FigureSource) -> FigureSource | None:
    """The other round's live figures in the job's scope, if the job asked for a comparison."""
    if not job.params.get("compare_round_id"):
        return None
    other = Round.objects.select_related("survey").get(pk=job.params["compare_round_id"])
    return FigureSource(other, None, source.scope, state=source.state)


@job_runner(EXPORT_KIND, visible=access.export_visible_to, download="aggregation:export_download")
def run_aggregate_export(ctx: JobContext) -> None:
    """Build the file into private storage; a rerun simply builds it again."""
    job = ctx.job
    source = _source_of(job)
    fmt = job.params.get("format", "xlsx")
    ctx.set_total(source.targets().count())

    def progress(done: int) -> None:
        job.progress = done
        ctx.checkpoint()

    with private_output(folder="exports", suffix=f".{fmt}") as out:
        figures = export_file(source, out.path, fmt=fmt, progress=progress, compare_with=_compared_of(job, source))
    job.result = {**job.result, "figures": figures}
    job.result_path, job.result_name = out.name, export_filename(source, fmt)
    if figures.get("verified") is False:
        ctx.message("確定時の内容ハッシュと一致しません。確定集計の検証を行ってください。", "error")


def export_get_for_user(user: User, job_id: int) -> Job:
    """An export job the user may see: ministry staff and administrators any, others their own.

    A prefecture officer's own job is also checked against their prefecture (404 otherwise).
    """
    return job_get_for_user(user, job_id, kind=EXPORT_KIND)


def export_download_audit(*, job: Job, acting_user: User, request=None) -> None:
    """Record that the export file was handed out."""
    audit(Action.DOWNLOAD, actor=acting_user, request=request, target=f"round:{job.round_id}/job:{job.pk}",
          kind=EXPORT_KIND, name=job.result_name)
