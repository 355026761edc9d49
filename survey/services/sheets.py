"""Answer sheets: the officer's download and upload, bulk import (web job and command), zip export.

The workbook itself (writing, reading, upload safety) is the pure core in survey.workbook; this
module connects it to rounds, responses, private storage, jobs and the audit log. The web bulk
import (job "sheet_import") and `manage.py import_answer_sheets` share `sheets_import`.
"""
from __future__ import annotations

import hashlib
import io
import itertools
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field

import xlsxwriter
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from survey import storage, workbook
from survey.audit import Action, audit
from survey.jobs import JobContext, job_create, job_runner
from survey.models import (
    Job,
    Organization,
    ResponseVersion,
    Round,
    RoundStatus,
    RoundTarget,
    User,
    VersionSource,
)
from survey.services.responses import DuplicateFile, ResponseInvalid, SaveOutcome, response_save
from survey.services.sheets_batch import DUPLICATE, IMPORTED, REJECTED, submit_many
from survey.services.sheets_batch import Pending as _Pending
from survey.workbook.safety import Limits, UploadRejected
from survey.workbook.textcell import write_text

TEMPLATE_VERSION = "1"
STATUS_LABELS = {IMPORTED: "取込", REJECTED: "不可", DUPLICATE: "重複"}
IMPORT_CHUNK = 50  # sheets saved per transaction (and per job checkpoint)
READ_TIMEOUT = 20  # seconds for one sheet in the isolated reader
READER_PROCESSES = os.cpu_count() or 2
SHEETS_FOLDER, UPLOADS_FOLDER, RESULTS_FOLDER = "sheets", "uploads", "results"
IMPORT_KIND, EXPORT_KIND = "sheet_import", "sheet_export"


class SheetRejected(Exception):
    """The uploaded sheet cannot be taken; `errors` lists every problem (dicts with a cell)."""

    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


def _problem(code: str, message: str, **where) -> dict:
    """A problem that is not about one cell, shaped like a reader's CellIssue."""
    return {"sheet": "", "cell": "", "item": None, "field": None, "value": None, "code": code,
            "message": message, **where}


def _as_dicts(issues) -> list[dict]:
    return [issue.as_dict() if hasattr(issue, "as_dict") else dict(issue) for issue in issues]


def _engine_issues(issues) -> list[dict]:
    return [_problem(i.code, i.message, item=i.item, field=i.field, value=i.value) for i in issues]


# --- writing ------------------------------------------------------------------------------------


def sheet_context(target: RoundTarget) -> workbook.SheetContext:
    """What the writer needs to know about the round and the organisation."""
    rnd, org = target.round, target.organization
    return workbook.SheetContext(
        round_id=rnd.pk, round_title=rnd.title, org_code=org.code, org_display_name=org.display_name,
        org_section=org.section_label, org_kind=org.engine_kind, scheme=rnd.scheme,
        attribute=target.effective_attribute, deadline=f"{timezone.localtime(rnd.deadline):%Y-%m-%d}",
        template_version=TEMPLATE_VERSION,
    )


def sheet_filename(target: RoundTarget) -> str:
    """The download name: code and name, so that a folder of them sorts by code."""
    return f"回答シート_{target.organization.code}_{target.organization.display_name}.xlsx"


def _current_values(target: RoundTarget) -> tuple[dict | None, dict | None]:
    version = (ResponseVersion.objects.filter(response__round_id=target.round_id,
                                              response__organization_id=target.organization_id)
               .order_by("-number").first())
    return (version.answers, version.respondent) if version else (None, None)


def answer_sheet_bytes(target: RoundTarget, *, with_answers: bool = False) -> bytes:
    """The answer sheet of `target`, blank or filled with its current answers."""
    answers, respondent = _current_values(target) if with_answers else (None, None)
    return workbook.write_answer_sheet(target.round.survey.engine, context=sheet_context(target),
                                       answers=answers, respondent=respondent)


def answer_sheet_download(*, target: RoundTarget, with_answers: bool, acting_user: User, request=None) -> bytes:
    """The sheet for a download by `acting_user` (who may see the target), audited."""
    data = answer_sheet_bytes(target, with_answers=with_answers)
    audit(Action.DOWNLOAD, actor=acting_user, request=request, organization=target.organization,
          target=f"round:{target.round_id}/org:{target.organization.code}/sheet",
          with_answers=with_answers, bytes=len(data))
    return data


# --- identity -----------------------------------------------------------------------------------


class OrgResolver:
    """組織名 -> organisation code, "ambiguous" or None; plain data, so it can go to a child process."""

    def __init__(self, names: dict[str, str]):
        self.names = names

    def __call__(self, display_name: str | None) -> str | None:
        return self.names.get("".join((display_name or "").split()))


class OrgKinds:
    """Organisation code -> the engine's kind ("prefecture" / "municipality"), from the master."""

    def __init__(self, kinds: dict[str, str]):
        self.kinds = kinds

    def __call__(self, code: str) -> str | None:
        return self.kinds.get(code)


def org_lookups() -> tuple[OrgResolver, OrgKinds]:
    """Name and kind lookups over the organisation master (an active organisation wins a name)."""
    names: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for code, pref_code, pref_name, name, kind, active in Organization.objects.order_by("-is_active", "code").values_list(
            "code", "prefecture_code", "prefecture_name", "name", "kind", "is_active"):
        org = Organization(code=code, prefecture_code=pref_code, prefecture_name=pref_name, name=name, kind=kind)
        kinds[code] = org.engine_kind
        key = org.display_name
        if key not in names:
            names[key] = code
        elif active and names[key] != code:
            names[key] = "ambiguous"
    return OrgResolver(names), OrgKinds(kinds)


def org_resolver() -> OrgResolver:
    """組織名 -> code over the organisation master."""
    return org_lookups()[0]


def _read(data: bytes, filename: str, defn, lookups) -> workbook.SheetResult:
    """One sheet through the isolated reader (a warm child process with memory and time limits)."""
    resolver, kinds = lookups
    return workbook.read_answer_sheet_isolated(data, filename, defn, resolve_org=resolver, org_kind_of=kinds,
                                               timeout=READ_TIMEOUT)


def _read_many(files: list[tuple[str, bytes]], defn, lookups) -> Iterator[workbook.SheetResult]:
    """Many sheets through one reader pool (a worker per CPU), in order, as they are read."""
    resolver, kinds = lookups
    with workbook.SheetReaderPool(READER_PROCESSES, limits=upload_limits(), timeout=READ_TIMEOUT,
                                  max_files_per_worker=1000) as pool:
        for _name, result in pool.read_many(files, defn, resolve_org=resolver, org_kind_of=kinds):
            yield result


# --- officer upload -----------------------------------------------------------------------------


def _read_checked(data: bytes, filename: str, defn):
    """The reader's result for one uploaded file; SheetRejected for an unsafe or unreadable file."""
    if len(data) > settings.UPLOAD_MAX_BYTES:
        raise SheetRejected([_problem("too_large", f"ファイルが大きすぎます（上限 {settings.UPLOAD_MAX_BYTES // 1024 // 1024} MB）。")])
    result = _read(data, filename, defn, org_lookups())
    if not result.ok:
        raise SheetRejected(_as_dicts(result.errors))
    return result


def _identity_problems(result, target: RoundTarget) -> list[dict]:
    org = target.organization
    problems = []
    if result.org_code != org.code:
        name = result.org_display_name or result.org_code or "不明な団体"
        problems.append(_problem("other_organization", f"このシートは{name}の回答シートです。"
                                 f"{org.display_name}の回答シートをアップロードしてください。", value=name))
    if result.round_id is not None and result.round_id != target.round_id:
        problems.append(_problem("other_round", "このシートは別の調査回の回答シートです。"
                                 "この調査回の回答シートをダウンロードし直してください。", value=str(result.round_id)))
    return problems


@dataclass
class UploadOutcome:
    saved: SaveOutcome
    warnings: list[dict]


def sheet_upload(*, target: RoundTarget, data: bytes, filename: str, acting_user: User, request=None) -> UploadOutcome:
    """Read an officer's returned sheet and save it as a new draft version of their response.

    Raises SheetRejected (nothing stored) or DuplicateFile (this file is already a version).
    """
    result = _read_checked(data, filename, target.round.survey.engine)
    problems = _identity_problems(result, target)
    if problems:
        raise SheetRejected(problems)
    sha = hashlib.sha256(data).hexdigest()
    existing = ResponseVersion.objects.filter(response__round_id=target.round_id, file_sha256=sha,
                                              response__organization_id=target.organization_id).first()
    if existing is not None:
        raise DuplicateFile(existing)
    path = storage.private_save(data, folder=SHEETS_FOLDER, suffix=_suffix(filename))
    try:
        with transaction.atomic():
            saved = response_save(target=target, answers=result.answers, respondent=result.respondent,
                                  acting_user=acting_user, submit=False, source=VersionSource.SHEET_UPLOAD,
                                  file_name=filename[:255], file_sha256=sha, file_path=path, request=request)
            audit(Action.UPLOAD, actor=acting_user, request=request, organization=target.organization,
                  target=f"round:{target.round_id}/org:{target.organization.code}/v{saved.version.number}",
                  file_name=filename[:255], sha256=sha)
    except ResponseInvalid as exc:
        storage.private_delete(path)
        raise SheetRejected(_engine_issues(exc.issues)) from exc
    except BaseException:
        storage.private_delete(path)
        raise
    return UploadOutcome(saved=saved, warnings=_as_dicts(result.warnings) + _engine_issues(saved.warnings))


def _suffix(filename: str) -> str:
    return "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


# --- bulk import (shared by the job and the command) --------------------------------------------


@dataclass
class FileOutcome:
    """What happened to one file of a bulk import; `as_dict` is the command's JSON line."""

    file: str
    status: str
    organization: str | None = None
    version: int | None = None
    answers: dict = field(default_factory=dict)
    respondent: dict = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def open_round() -> Round | None:
    """The round answers are being taken for now (the one nearest its deadline)."""
    return Round.objects.select_related("survey").filter(status=RoundStatus.OPEN).order_by("deadline").first()


class _Importer:
    """Turns read sheets into submitted versions; caches rounds and targets for the batch."""

    def __init__(self, *, round: Round | None, fixed_round: bool, acting_user: User | None, dry_run: bool):
        self.default_round, self.fixed_round = round, fixed_round
        self.acting_user, self.dry_run = acting_user, dry_run
        self._rounds: dict[int, Round | None] = {round.pk: round} if round else {}
        self._targets: dict[int, dict[str, RoundTarget]] = {}

    def round_for(self, round_id: int | None) -> tuple[Round | None, list[dict]]:
        """The round a sheet goes to: its hidden round id, else the default (open) round."""
        if round_id is None or (self.fixed_round and self.default_round is None):
            rnd = self.default_round
        elif self.fixed_round and round_id != self.default_round.pk:
            return None, [_problem("other_round", f"このシートは別の調査回（ID {round_id}）の回答シートです。", value=str(round_id))]
        else:
            if round_id not in self._rounds:
                self._rounds[round_id] = Round.objects.select_related("survey").filter(pk=round_id).first()
            rnd = self._rounds[round_id]
        if rnd is None:
            return None, [_problem("no_round", "取り込み先の調査回がありません（回答受付中の調査回がありません）。")]
        return rnd, []

    def target(self, rnd: Round, code: str | None) -> RoundTarget | None:
        if rnd.pk not in self._targets:
            targets = RoundTarget.objects.filter(round=rnd).select_related("organization")
            self._targets[rnd.pk] = {t.organization.code: t for t in targets}
            for t in self._targets[rnd.pk].values():
                t.round = rnd  # one Round (and one parsed definition) for the whole batch
        return self._targets[rnd.pk].get(code or "")

    def check(self, name: str, data: bytes, result) -> FileOutcome | _Pending:
        """A read sheet's outcome when it cannot be imported, else the sheet ready to be saved."""
        out = FileOutcome(file=name, status=REJECTED, organization=result.org_code, answers=result.answers,
                          respondent=result.respondent, errors=_as_dicts(result.errors),
                          warnings=_as_dicts(result.warnings))
        if not result.ok:
            return out
        rnd, out.errors = self.round_for(result.round_id)
        target = self.target(rnd, result.org_code) if rnd else None
        if rnd and target is None:
            out.errors = [_problem("not_a_target", f"{result.org_display_name or result.org_code}は"
                                   f"調査回「{rnd.title}」の対象団体ではありません。", value=result.org_code)]
        if out.errors:
            return out
        return _Pending(out=out, target=target, name=name, data=data, sha=result.sha256 or hashlib.sha256(data).hexdigest())

    def save(self, pending: list[_Pending]) -> None:
        """Store the files and submit the sheets in one batch (see survey.services.sheets_batch)."""
        for p in pending:
            p.path = "" if self.dry_run else storage.private_save(p.data, folder=SHEETS_FOLDER, suffix=_suffix(p.name))
        with transaction.atomic():
            submit_many(pending, acting_user=self.acting_user)
            transaction.set_rollback(self.dry_run)
        for p in pending:
            if p.out.status != IMPORTED:
                storage.private_delete(p.path)
            elif self.dry_run:
                p.out.version = None


def _rejected(name: str, problems: list[dict]) -> FileOutcome:
    return FileOutcome(file=name, status=REJECTED, errors=problems)


def _unreadable(data: bytes | UploadRejected) -> list[dict]:
    if isinstance(data, UploadRejected):
        return [_problem(data.code, data.message)]
    if len(data) > settings.UPLOAD_MAX_BYTES:
        return [_problem("too_large", f"ファイルが大きすぎます（上限 {settings.UPLOAD_MAX_BYTES // 1024 // 1024} MB）。")]
    return []


def read_sheets(files: Iterable[tuple[str, str, bytes | UploadRejected]], defn, lookups) -> Iterator:
    """(key, name, data, result or None, problems) for each file, in order, read by the reader pool."""
    items = list(files)
    results = _read_many([(name, data) for _, name, data in items if not _unreadable(data)], defn, lookups)
    for key, name, data in items:
        problems = _unreadable(data)
        yield (key, name, b"", None, problems) if problems else (key, name, data, next(results), [])


def sheets_import(
    *,
    files: Iterable[tuple[str, str, bytes]],
    round: Round | None = None,
    fixed_round: bool = False,
    acting_user: User | None,
    dry_run: bool = False,
    on_chunk: Callable[[list[tuple[str, FileOutcome]]], None] | None = None,
) -> Iterator[tuple[str, FileOutcome]]:
    """Import returned sheets as submitted versions; yields (key, outcome) per file, in order.

    `files` are (key, name, bytes or the UploadRejected of an unopenable file). A sheet goes to its
    own round (hidden cell) unless
    `fixed_round`, else to `round` (default: the open round). Sheets are saved IMPORT_CHUNK per
    transaction; `on_chunk(outcomes)` runs inside that transaction (a job records its progress
    there, so that a crash loses or keeps a chunk as a whole). A rejected or duplicate file
    stores nothing. With `dry_run`, nothing is stored at all.
    """
    rnd = round or open_round()
    importer = _Importer(round=rnd, fixed_round=fixed_round, acting_user=acting_user, dry_run=dry_run)
    defn = rnd.survey.engine if rnd else None
    if defn is None:
        for key, name, _data in files:
            yield key, _rejected(name, [_problem("no_round", "取り込み先の調査回がありません。")])
        return
    items = read_sheets(files, defn, org_lookups())
    while chunk := _import_chunk(importer, itertools.islice(items, IMPORT_CHUNK), on_chunk):
        yield from chunk


def _import_chunk(importer: _Importer, items: Iterator, on_chunk) -> list[tuple[str, FileOutcome]]:
    """Import up to IMPORT_CHUNK read sheets in one transaction.

    The sheets are checked as they come from the reader pool, then written in one batch.
    """
    outcomes, pending = [], []
    with transaction.atomic():
        for key, name, data, result, problems in items:
            outcome = _rejected(name, problems) if result is None else importer.check(name, data, result)
            if isinstance(outcome, _Pending):
                pending.append(outcome)
                outcome = outcome.out
            outcomes.append((key, outcome))
        importer.save(pending)
        if outcomes and on_chunk is not None:
            on_chunk(outcomes)
    return outcomes


def upload_limits() -> Limits:
    """The reader's bounds, from the settings (UPLOAD_MAX_BYTES, BULK_UPLOAD_MAX_BYTES, ZIP_MAX_*)."""
    return Limits(max_upload_bytes=settings.BULK_UPLOAD_MAX_BYTES, max_workbook_bytes=settings.UPLOAD_MAX_BYTES,
                  max_zip_entries=settings.ZIP_MAX_ENTRIES, max_zip_entry_bytes=settings.UPLOAD_MAX_BYTES,
                  max_zip_total_bytes=settings.ZIP_MAX_TOTAL_BYTES)


def expand_upload(name: str, data: bytes) -> list[tuple[str, bytes | UploadRejected]]:
    """The workbooks of an uploaded file (a zip is opened with bounds), each as bytes or its rejection."""
    try:
        files = workbook.open_upload(data, name, upload_limits())
    except UploadRejected as exc:
        return [(name, exc)]
    return [(f.name, f.data if f.error is None else f.error) for f in files]


# --- the report workbook ----------------------------------------------------------------------------

REPORT_HEADER = ["ファイル", "結果", "団体コード", "版", "区分", "シート", "セル", "項目", "値", "メッセージ"]


def import_report_workbook(entries: list[dict]) -> bytes:
    """The import report as .xlsx: one row per problem (or per file without any).

    Every value is written as a string, never a formula: the text comes from uploaded files.
    """
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("取込結果")
    bold = book.add_format({"bold": True, "bg_color": "#E8F1FE"})
    sheet.write_row(0, 0, REPORT_HEADER, bold)
    sheet.freeze_panes(1, 0)
    row = 1
    for entry in entries:
        for values in _report_rows(entry):
            for col, value in enumerate(values):
                write_text(sheet, row, col, "" if value is None else str(value))
            row += 1
    sheet.autofilter(0, 0, max(row - 1, 1), len(REPORT_HEADER) - 1)
    sheet.set_column(0, 0, 36)
    sheet.set_column(REPORT_HEADER.index("メッセージ"), REPORT_HEADER.index("メッセージ"), 80)
    book.close()
    return out.getvalue()


def _report_rows(entry: dict) -> Iterator[list]:
    base = [entry["file"], STATUS_LABELS.get(entry["status"], entry["status"]), entry.get("organization") or "",
            entry.get("version") or ""]
    problems = [("エラー", p) for p in entry.get("errors", [])] + [("警告", p) for p in entry.get("warnings", [])]
    if not problems:
        yield base + ["", "", "", "", "", ""]
    for label, p in problems:
        yield base + [label, p.get("sheet"), p.get("cell"), p.get("item") or p.get("field"), p.get("value"), p.get("message")]


def import_summary(entries: list[dict]) -> dict[str, int]:
    counts = {IMPORTED: 0, REJECTED: 0, DUPLICATE: 0}
    for entry in entries:
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    return counts


# --- the bulk import job --------------------------------------------------------------------------


def sheets_import_job_create(*, uploads: list[tuple[str, bytes]], acting_user: User, request=None) -> Job:
    """Store the uploaded files privately and queue their import as a job."""
    stored = [{"name": name[:255], "path": storage.private_save(data, folder=UPLOADS_FOLDER, suffix=_suffix(name))}
              for name, data in uploads]
    with transaction.atomic():
        job = job_create(kind=IMPORT_KIND, created_by=acting_user, round=open_round(), params={"uploads": stored})
        audit(Action.IMPORT, actor=acting_user, request=request, target=f"job:{job.pk}",
              uploads=[u["name"] for u in stored], started=True)
    return job


def _job_files(job: Job) -> Iterator[tuple[str, str, bytes | UploadRejected]]:
    """(key, display name, bytes or the upload's rejection) of every workbook in the job's uploads."""
    for i, upload in enumerate(job.params.get("uploads", [])):
        for name, data in expand_upload(upload["name"], storage.private_read(upload["path"])):
            display = name if name == upload["name"] else f"{upload['name']}/{name}"
            yield f"{i}:{name}", display, data


@job_runner(IMPORT_KIND)
def run_sheet_import(ctx: JobContext) -> None:
    """Import every sheet of the job's uploads; resumes after the last committed chunk."""
    job = ctx.job
    files = list(_job_files(job))
    ctx.set_total(len(files))
    todo = [(key, name, data) for key, name, data in files if not ctx.is_done(key)]

    def record(outcomes):
        for key, outcome in outcomes:
            ctx.record(key, {**outcome.as_dict(), **_brief()})
        ctx.checkpoint()

    for _ in sheets_import(files=todo, round=job.round, acting_user=job.created_by, on_chunk=record):
        pass
    _finish_import(ctx)


def _brief() -> dict:
    """Answers are in the versions; the job keeps only the report (smaller checkpoints)."""
    return {"answers": {}, "respondent": {}}


def _finish_import(ctx: JobContext) -> None:
    job = ctx.job
    entries = ctx.entries
    summary = import_summary(entries)
    job.result["summary"] = summary
    job.result_path = storage.private_save(import_report_workbook(entries), folder=RESULTS_FOLDER, suffix=".xlsx")
    job.result_name = f"取込結果_{job.pk}.xlsx"
    ctx.message(f"取込 {summary[IMPORTED]} 件、不可 {summary[REJECTED]} 件、重複 {summary[DUPLICATE]} 件。")
    audit(Action.IMPORT, actor=job.created_by, target=f"job:{job.pk}", finished=True, **summary)


# --- the zip of every target's sheet ---------------------------------------------------------------


def sheets_export_job_create(*, round: Round, acting_user: User, with_answers: bool = False, request=None) -> Job:
    """Queue building the zip of every target's answer sheet for `round`."""
    with transaction.atomic():
        job = job_create(kind=EXPORT_KIND, created_by=acting_user, round=round,
                         params={"with_answers": with_answers}, total=round.targets.count())
        audit(Action.EXPORT, actor=acting_user, request=request, target=f"round:{round.pk}/sheets.zip",
              job=job.pk, with_answers=with_answers)
    return job


@job_runner(EXPORT_KIND)
def run_sheet_export(ctx: JobContext) -> None:
    """Write every target's sheet into one zip in private storage (rebuilt whole on a rerun)."""
    job = ctx.job
    targets = list(RoundTarget.objects.filter(round=job.round).select_related("organization").order_by("organization__code"))
    for t in targets:
        t.round = job.round
    ctx.set_total(len(targets))
    job.progress = 0
    relative, path = storage.new_private_path(folder=RESULTS_FOLDER, suffix=".zip")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i, target in enumerate(targets, start=1):
            zf.writestr(sheet_filename(target), answer_sheet_bytes(target, with_answers=job.params.get("with_answers", False)))
            ctx.advance()
            if i % 50 == 0:
                ctx.checkpoint()
    job.result_path, job.result_name = relative, f"回答シート_{job.round_id}_{timezone.localdate():%Y%m%d}.zip"
    job.result["count"] = len(targets)
    ctx.message(f"{len(targets)} 団体の回答シートを作成しました。")
