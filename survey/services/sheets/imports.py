"""Bulk import of returned sheets as submitted versions: shared by the web job and the command.

Sheets are read completely (`complete=True`): an imported sheet becomes a submitted version, so
every required answer must be there.
"""
from __future__ import annotations

import gc
import itertools
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction

from survey import storage, workbook
from survey.audit import Action, audit
from survey.jobs import JobContext, job_create, job_runner
from survey.models import Job, ResponseVersion, Round, RoundStatus, RoundTarget, User, VersionSource
from survey.services import versions
from survey.workbook.isolation import file_digest
from survey.workbook.safety import UploadRejected

from .common import (
    DUPLICATE,
    IMPORTED,
    REJECTED,
    RESULTS_FOLDER,
    SHEETS_FOLDER,
    UPLOADS_FOLDER,
    as_dicts,
    engine_issues,
    file_suffix,
    org_lookups,
    problem,
    read_many,
    reader_pool,
    too_large_problem,
    upload_limits,
)
from .report import SKIPPED, STATUS_LABELS, import_report_workbook, import_summary, subject_labels

logger = logging.getLogger(__name__)

IMPORT_KIND = "sheet_import"
IMPORT_CHUNK = 100  # sheets saved per transaction (and per job checkpoint); see bench/README.md, fifth session


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

    def brief(self) -> dict:
        """`as_dict` without the answers and the respondent (a job's report keeps only this: the
        answers are in the versions)."""
        return {"file": self.file, "status": self.status, "organization": self.organization,
                "version": self.version, "answers": {}, "respondent": {}, "errors": list(self.errors),
                "warnings": list(self.warnings)}


@dataclass
class Pending:
    """A read sheet for a target, to be submitted; `out` receives what happened to it."""

    out: FileOutcome
    target: RoundTarget
    name: str
    data: bytes | Path  # or the Path of the file on disk (an expanded zip entry)
    sha: str
    path: str = ""
    attached: frozenset[str] = frozenset()  # follow-ups the sheet has no row for: a file stands in

    def new_version(self) -> versions.NewVersion:
        return versions.NewVersion(target=self.target, answers=self.out.answers, respondent=self.out.respondent,
                                   file_name=self.name.rsplit("/", 1)[-1], file_sha256=self.sha, file_path=self.path,
                                   attached=self.attached)


def _report(out: FileOutcome, made: versions.NewVersion) -> None:
    """What the one submission path did with a sheet, in the import report's terms."""
    if made.outcome == versions.REJECTED:
        out.status, out.errors = REJECTED, engine_issues(made.errors)
        return
    out.warnings += engine_issues(made.warnings)
    if made.outcome == versions.DUPLICATE:
        out.status = DUPLICATE
        out.warnings.append(problem("duplicate_file", f"同じファイルは既に版{made.duplicate_of}として取り込まれています。"))
    else:
        out.status, out.version = IMPORTED, made.version.number


def open_round() -> Round | None:
    """The round answers are being taken for now (the one nearest its deadline)."""
    return Round.objects.select_related("survey").filter(status=RoundStatus.OPEN).order_by("deadline").first()


class _Importer:
    """Turns read sheets into submitted versions; caches rounds and targets for the batch."""

    def __init__(self, *, round: Round | None, fixed_round: bool, acting_user: User | None, dry_run: bool,
                 workdir: Path | None = None):
        self.default_round, self.fixed_round, self.workdir = round, fixed_round, workdir
        # The stored name of `workdir` when it is a folder of the storage (see `_keep`).
        self.workdir_name = storage.private_stored_name(workdir) if workdir is not None else None
        self.acting_user, self.dry_run = acting_user, dry_run
        self._rounds: dict[int, Round | None] = {round.pk: round} if round else {}
        self._targets: dict[int, dict[str, RoundTarget]] = {}

    def round_for(self, round_id: int | None) -> tuple[Round | None, list[dict]]:
        """The round a sheet goes to: its hidden round id, else the default (open) round."""
        if round_id is None or (self.fixed_round and self.default_round is None):
            rnd = self.default_round
        elif self.fixed_round and round_id != self.default_round.pk:
            return None, [problem("other_round", f"このシートは別の調査回（ID {round_id}）の回答シートです。", value=str(round_id))]
        else:
            if round_id not in self._rounds:
                self._rounds[round_id] = Round.objects.select_related("survey").filter(pk=round_id).first()
            rnd = self._rounds[round_id]
        if rnd is None:
            return None, [problem("no_round", "取り込み先の調査回がありません（回答受付中の調査回がありません）。")]
        if rnd.status == RoundStatus.FINALISED:
            return None, [problem("finalised", "取り込み先の調査回は確定しています。取り込むには確定を解除してください。",
                                  value=str(rnd.pk))]
        return rnd, []

    def target(self, rnd: Round, code: str | None) -> RoundTarget | None:
        if rnd.pk not in self._targets:
            targets = RoundTarget.objects.filter(round=rnd).select_related("organization")
            self._targets[rnd.pk] = {t.organization.code: t for t in targets}
            for t in self._targets[rnd.pk].values():
                t.round = rnd  # one Round (and one parsed definition) for the whole batch
        return self._targets[rnd.pk].get(code or "")

    def check(self, name: str, data: bytes | Path, result) -> FileOutcome | Pending:
        """A read sheet's outcome when it cannot be imported, else the sheet ready to be saved."""
        out = FileOutcome(file=name, status=REJECTED, organization=result.org_code, answers=result.answers,
                          respondent=result.respondent, errors=as_dicts(result.errors),
                          warnings=as_dicts(result.warnings))
        if not result.ok:
            return out
        rnd, out.errors = self.round_for(result.round_id)
        target = self.target(rnd, result.org_code) if rnd else None
        if rnd and target is None:
            out.errors = [problem("not_a_target", f"{result.org_display_name or result.org_code}は"
                                  f"調査回「{rnd.title}」の対象団体ではありません。", value=result.org_code)]
        if out.errors:
            return out
        followups = rnd.survey.engine.followups
        attached = frozenset(k for k in result.followup_rows_missing if followups[k].attachments)
        return Pending(out=out, target=target, name=name, data=data, sha=result.sha256 or file_digest(data),
                       attached=attached)

    def save(self, pending: list[Pending]) -> None:
        """Store the files and submit the sheets in one batch (survey.services.versions.versions_create_many)."""
        for p in pending:
            p.path = "" if self.dry_run else _keep(p.data, suffix=file_suffix(p.name), workdir=self.workdir,
                                                   workdir_name=self.workdir_name)
        made = [p.new_version() for p in pending]
        with transaction.atomic():
            versions.versions_create_many(made, acting_user=self.acting_user, channel=VersionSource.BULK_IMPORT)
            transaction.set_rollback(self.dry_run)
        for p, new in zip(pending, made, strict=True):
            _report(p.out, new)
        for p in pending:
            if p.out.status != IMPORTED:
                storage.private_delete(p.path)
            elif self.dry_run:
                p.out.version = None


def _keep(data: bytes | Path, *, suffix: str, workdir: Path | None, workdir_name: str | None) -> str:
    """Store an imported sheet: a file in `workdir` (a zip entry expanded there, read by the
    reader already) stays where it is when `workdir` is a folder of the storage itself (a disk
    storage: the job's folder, see `_job_folder`; `workdir_name`: its stored name), else is
    moved into the storage; anything else is copied."""
    if isinstance(data, Path) and workdir is not None and data.parent == workdir:
        if workdir_name:
            return f"{workdir_name}/{data.name}"
        return storage.private_keep_file(data, folder=SHEETS_FOLDER, suffix=suffix)
    return storage.private_save_stream(_chunks(data), folder=SHEETS_FOLDER, suffix=suffix)


def _rejected(name: str, problems: list[dict]) -> FileOutcome:
    return FileOutcome(file=name, status=REJECTED, errors=problems)


def _skipped(data) -> bool:
    """A zip entry refused by its name as no workbook (a cover letter .docx, .pdf, .txt)."""
    return isinstance(data, UploadRejected) and data.code == "not_a_workbook"


def _chunks(data) -> Iterable[bytes]:
    """The bytes of an upload, a stored file (Path) or an UploadedFile, a chunk at a time."""
    if isinstance(data, bytes | bytearray):
        return [bytes(data)]
    if isinstance(data, Path):
        return storage.file_chunks(data)
    return data.chunks()


def _unreadable(data: bytes | Path | UploadRejected) -> list[dict]:
    if isinstance(data, UploadRejected):
        return [problem(data.code, data.message)]
    size = data.stat().st_size if isinstance(data, Path) else len(data)
    if size > settings.UPLOAD_MAX_BYTES:
        return [too_large_problem()]
    return []


def read_sheets(files: Iterable[tuple[str, str, bytes | Path | UploadRejected]], defn, lookups, *,
                pool: workbook.SheetReaderPool | None = None) -> Iterator:
    """(key, name, data, result or None, problems) for each file, in order, read by the reader pool
    (`pool`, or one of its own). `data` may be a Path: the reader's worker reads the file, so no
    batch is held in memory."""
    items = [(key, name, data, _unreadable(data)) for key, name, data in files]
    results = read_many([(name, data) for _, name, data, problems in items if not problems], defn, lookups,
                        pool=pool)
    for key, name, data, problems in items:
        yield (key, name, data, None, problems) if problems else (key, name, data, next(results), [])


def sheets_import(
    *,
    files: Iterable[tuple[str, str, bytes]],
    round: Round | None = None,
    fixed_round: bool = False,
    acting_user: User | None,
    dry_run: bool = False,
    on_chunk: Callable[[list[tuple[str, FileOutcome]]], None] | None = None,
    workdir: Path | None = None,
    reader: workbook.SheetReaderPool | None = None,
) -> Iterator[tuple[str, FileOutcome]]:
    """Import returned sheets as submitted versions; yields (key, outcome) per file, in order.

    `files` are (key, name, bytes or a Path or the UploadRejected of an unopenable file). A sheet goes to its
    own round (hidden cell) unless `fixed_round`, else to `round` (default: the open round).
    Sheets are read completely (a missing answer is an error) and saved IMPORT_CHUNK per
    transaction; `on_chunk(outcomes)` runs inside that transaction (a job records its progress
    there, so that a crash loses or keeps a chunk as a whole). A rejected or duplicate file
    stores nothing. With `dry_run`, nothing is stored at all. Files in `workdir` (the caller's
    working folder, zip entries expanded there) are kept where they are when imported if that
    folder is in the storage (`storage.private_stored_name`), else moved into the storage.
    `reader`: a reader pool the caller started (`reader_pool`), else one is started here.
    """
    rnd = round or open_round()
    importer = _Importer(round=rnd, fixed_round=fixed_round, acting_user=acting_user, dry_run=dry_run,
                         workdir=workdir)
    defn = rnd.survey.engine if rnd else None
    if defn is None:
        for key, name, _data in files:
            yield key, _rejected(name, [problem("no_round", "取り込み先の調査回がありません。")])
        return
    items = read_sheets(files, defn, org_lookups(rnd, fixed=fixed_round, default_targets=importer.target), pool=reader)
    while chunk := _import_chunk(importer, itertools.islice(items, IMPORT_CHUNK), on_chunk):
        yield from chunk


def _import_chunk(importer: _Importer, items: Iterator, on_chunk) -> list[tuple[str, FileOutcome]]:
    """Import up to IMPORT_CHUNK read sheets in one transaction.

    The sheets are read and checked as they come from the reader pool, outside the transaction
    (on SQLite an open transaction holds the write lock: parsing must not), then written in one batch.
    """
    outcomes, pending = [], []
    for key, name, data, result, problems in items:
        if result is None:
            outcome = FileOutcome(file=name, status=SKIPPED) if _skipped(data) else _rejected(name, problems)
        else:
            outcome = importer.check(name, data, result)
        if isinstance(outcome, Pending):
            pending.append(outcome)
            outcome = outcome.out
        outcomes.append((key, outcome))
    if outcomes:
        with transaction.atomic():
            importer.save(pending)
            if on_chunk is not None:
                on_chunk(outcomes)
    return outcomes


def expand_upload(name: str, path: Path, into: Path, *, already: int = 0) -> list[tuple[str, Path | UploadRejected]]:
    """The workbooks of the uploaded file at `path`: the file itself, or each entry of a .zip
    written to a new file in `into` a chunk at a time, with the running bounds (upload_limits;
    `already`: bytes the batch's other zips expanded, so ZIP_MAX_TOTAL_BYTES bounds the batch).
    Nothing is held in memory; a refused zip comes back as one rejection (entries written
    before the refusal stay in `into`: the caller removes the folder)."""
    limits = upload_limits()
    size = path.stat().st_size
    if size > limits.max_upload_bytes:
        return [(name, workbook.too_large(size, limits.max_upload_bytes))]
    if not workbook.is_zip_upload(name, b""):
        return [(name, path)]
    into.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        with path.open("rb") as fh:
            return workbook.expand_zip(fh, partial(_write_entry, into), limits, already=already)
    except UploadRejected as exc:
        return [(name, exc)]


def _write_entry(into: Path, name: str, chunks: Iterator[bytes]) -> Path:
    path = into / f"{uuid.uuid4().hex}{file_suffix(name)[:10]}"
    storage.write_chunks(path, chunks)
    return path


# --- the bulk import job --------------------------------------------------------------------------


def sheets_import_job_create(*, uploads: list[tuple[str, object]], acting_user: User, request=None) -> Job:
    """Store the uploaded files privately (a chunk at a time) and queue their import as a job.
    `uploads`: (name, bytes or an UploadedFile)."""
    stored = [{"name": name[:255], "path": storage.private_save_stream(_chunks(data), folder=UPLOADS_FOLDER,
                                                                        suffix=file_suffix(name))}
              for name, data in uploads]
    with transaction.atomic():
        job = job_create(kind=IMPORT_KIND, created_by=acting_user, round=open_round(), params={"uploads": stored})
        audit(Action.IMPORT, actor=acting_user, request=request, target=f"job:{job.pk}",
              uploads=[u["name"] for u in stored], started=True)
    return job


def _job_folder(job: Job) -> str:
    """Where a job expands its zips: a folder of the stored sheets, so that on a disk storage an
    imported entry is stored where it was expanded (one file creation, no copy or move; the
    version points at it there); on another storage, a local working folder of that name."""
    return f"{SHEETS_FOLDER}/{job.created_at:%Y/%m}/job-{job.pk}"


def _job_folder_sweep(job: Job) -> None:
    """Remove the files of the job's folder that no version points at: entries rejected,
    skipped or not reached, and those of an attempt that was killed (a resumed job expands its
    zips again). A local working folder (another storage) is removed whole."""
    folder = _job_folder(job)
    workdir = storage.private_workdir(folder)
    if storage.private_stored_name(workdir) is None:
        storage.private_delete_folder(folder)
        return
    kept = set(ResponseVersion.objects.filter(file_path__startswith=f"{folder}/").values_list("file_path", flat=True))
    for path in workdir.iterdir():
        if f"{folder}/{path.name}" not in kept:
            path.unlink(missing_ok=True)
    if not kept:
        workdir.rmdir()


def finished_job_folders_sweep(*, current: Job | None = None) -> int:
    """Sweep the folders of finished bulk jobs whose own sweep did not run: a job that failed
    while the database was down could not tell which of its files versions point at, and a
    failed job is not resumed, so its expanded entries (personal data) would stay on disk.
    Run at every bulk job's start (`current`: that job, left alone) and by Celery beat
    (settings.CELERY_BEAT_SCHEDULE "sweep-import-folders"), so that the files do not wait for
    the next import. A running or queued job's folder is never touched. Returns the number of
    folders swept."""
    folders = {}
    for folder in storage.private_workdirs(SHEETS_FOLDER, "*/*/job-*"):
        pk = folder.rpartition("/job-")[2]
        if pk.isdigit() and (current is None or int(pk) != current.pk):
            folders[int(pk)] = folder
    if not folders:
        return 0
    swept = 0
    for job in Job.objects.filter(pk__in=folders, kind=IMPORT_KIND, status__in=[Job.Status.DONE, Job.Status.FAILED]):
        if _job_folder(job) == folders[job.pk]:
            _job_folder_sweep(job)
            swept += 1
    return swept


def _job_files(job: Job) -> Iterator[tuple[str, str, Path | UploadRejected]]:
    """(key, display name, file or the upload's rejection) of every workbook in the job's uploads;
    zip entries are expanded to the job's folder (`_job_folder`)."""
    into = storage.private_workdir(_job_folder(job))
    expanded = 0  # across the job's zips: ZIP_MAX_TOTAL_BYTES bounds the disk one job can fill
    for i, upload in enumerate(job.params.get("uploads", [])):
        source = storage.private_local_file(upload["path"], workdir=into)
        for name, data in expand_upload(upload["name"], source, into, already=expanded):
            display = name if name == upload["name"] else f"{upload['name']}/{name}"
            if isinstance(data, Path) and data != source:  # an entry expanded from a zip
                expanded += data.stat().st_size
            yield f"{i}:{name}", display, data


@job_runner(IMPORT_KIND)
def run_sheet_import(ctx: JobContext) -> None:
    """Import every sheet of the job's uploads; resumes after the last committed chunk."""
    job = ctx.job
    # The objects that exist before the job (Django, the definition, the organisation master)
    # are left out of its garbage collections: each full collection would walk them all again
    # (about a tenth of a second each, several per 2,000 sheets). Given back at the end.
    gc.freeze()
    try:
        _job_folder_sweep(job)  # what a killed attempt left
        finished_job_folders_sweep(current=job)  # what a job failed while the database was down left
        with reader_pool() as reader:
            reader.start()  # the workers start up beside the zips' expansion, on the other CPUs
            files = list(_job_files(job))
            ctx.set_total(len(files))
            todo = [(key, name, data) for key, name, data in files if not ctx.is_done(key)]

            def record(outcomes):
                for key, outcome in outcomes:
                    ctx.record(key, outcome.brief())
                ctx.checkpoint()

            for _ in sheets_import(files=todo, round=job.round, acting_user=job.created_by, on_chunk=record,
                                   workdir=storage.private_workdir(_job_folder(job)), reader=reader):
                pass
    finally:
        try:
            _job_folder_sweep(job)
        except DatabaseError:  # the database went away: the files stay for a resumed attempt's sweep
            logger.warning("job %s: its folder was not swept", job.pk, exc_info=True)
        gc.unfreeze()
    _finish_import(ctx)


def _finish_import(ctx: JobContext) -> None:
    job = ctx.job
    entries = ctx.entries
    summary = import_summary(entries)
    job.result["summary"] = summary
    labels = subject_labels(job.round.survey.engine) if job.round else None
    job.result_path = storage.private_save(import_report_workbook(entries, labels), folder=RESULTS_FOLDER,
                                           suffix=".xlsx")
    job.result_name = f"取込結果_{job.pk}.xlsx"
    ctx.message("、".join(f"{STATUS_LABELS[status]} {count} 件" for status, count in summary.items()) + "。")
    audit(Action.IMPORT, actor=job.created_by, target=f"job:{job.pk}", finished=True, **summary)
