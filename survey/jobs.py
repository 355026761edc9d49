"""Background jobs: a Job row does the work of a registered runner, resumably.

How to add a kind of job (any app):

    from survey.jobs import JobContext, job_runner

    @job_runner("aggregate_workbook")
    def run_aggregate_workbook(ctx: JobContext) -> None:
        ctx.set_total(n)
        for key, thing in work(ctx.job.params):
            if ctx.is_done(key):          # done by an earlier, interrupted attempt
                continue
            with transaction.atomic():
                ...                        # the work for `key`
                ctx.record(key, {...})     # saved in the same transaction as the work
                ctx.checkpoint()
        ctx.job.result_path = ...         # saved when the job is marked done

and import the module from its app's `AppConfig.ready()` so that every process (web, worker)
has every runner registered. Create the row with
`job_create(kind=..., created_by=..., params=...)`: it is queued (survey.tasks.run_job_task)
when the transaction commits, and the Celery task only calls `run_job(job_id)`.

Resuming. Celery redelivers a job whose worker died (acks_late, reject_on_worker_lost) and
every worker re-queues unfinished jobs when it starts (survey.tasks). `run_job` claims the row
under a row lock: a pending job, or a running one whose holder is gone (its lease expired, or
its process on this host is dead). A runner that records each unit of work in the same
transaction as the work itself, and skips the keys already recorded, never does a unit twice.
An exception in the runner marks the job failed; a crash (the process dies, or a
BaseException such as SystemExit) leaves it running, to be resumed.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from collections.abc import Callable

from celery import shared_task
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from survey import access
from survey.models import Job, User

logger = logging.getLogger(__name__)

LEASE_SECONDS = 120  # a running job whose holder has not checkpointed for this long is taken over
LEASE_KEY = "_lease"
# Job.result[ENTRIES_KEY]: the units of work a runner recorded (JobContext.record). Jobs stored
# before the key was renamed keep them under LEGACY_ENTRIES_KEY ("files", from when every unit
# was an uploaded file); read them with `recorded_entries`, which accepts both.
ENTRIES_KEY = "entries"
LEGACY_ENTRIES_KEY = "files"

Runner = Callable[["JobContext"], None]
Visibility = Callable[[User, Job], bool]
_RUNNERS: dict[str, Runner] = {}
_VISIBILITY: dict[str, Visibility] = {}
_DOWNLOADS: dict[str, str] = {}


def job_runner(job_kind: str, *, visible: Visibility | None = None, download: str = "job_download"
               ) -> Callable[[Runner], Runner]:
    """Register `fn(ctx: JobContext)` as the runner of jobs of `job_kind` (Job.kind).

    `visible(user, job)` (a decision of survey.access; by default access.job_visible_to: the
    creator and administrators) says who may open the job's page, status and file; `download`
    names the URL (taking job_id) that serves its result file.
    """

    def register(fn: Runner) -> Runner:
        _RUNNERS[job_kind] = fn
        if visible is not None:
            _VISIBILITY[job_kind] = visible
        _DOWNLOADS[job_kind] = download
        return fn

    return register


def job_download_url_name(job: Job) -> str:
    """The URL name serving the result file of `job` (registered with its runner)."""
    return _DOWNLOADS.get(job.kind, "job_download")


def _load_runner(job_kind: str) -> Runner:
    if job_kind not in _RUNNERS:
        raise LookupError(f"no runner registered for job kind {job_kind!r}")
    return _RUNNERS[job_kind]


def job_create(*, kind: str, created_by: User | None, round=None, params: dict | None = None,
               total: int = 0) -> Job:
    """Create a pending job and queue it once the surrounding transaction commits."""
    job = Job.objects.create(kind=kind, created_by=created_by, round=round, params=params or {}, total=total)
    job_enqueue(job.pk)
    return job


def job_enqueue(job_id: int) -> None:
    """Queue the job's task after commit (a worker must see the row)."""
    transaction.on_commit(lambda: _send(job_id))


def _send(job_id: int) -> None:
    """Queue the job; when the broker (Redis) cannot be reached, leave it pending for the sweep.

    The row is committed already: failing the request now would tell the user nothing was done
    while the job exists. `jobs_requeue_stale` (Celery beat) queues it once Redis is back.
    """
    from kombu.exceptions import OperationalError

    try:
        run_job_task.delay(job_id)
    except OperationalError:
        logger.warning("job %s not queued (the broker is unreachable); the periodic sweep will queue it", job_id)


def job_get_for_user(user: User, job_id: int, *, kind: str | None = None) -> Job:
    """A job the user may see (its kind's rule, by default its creator or an administrator),
    of `kind` when given; 404 for anyone else."""
    job = Job.objects.filter(pk=job_id).select_related("created_by", "round").first()
    if job is None or (kind is not None and job.kind != kind):
        raise Http404
    if not _VISIBILITY.get(job.kind, access.job_visible_to)(user, job):
        raise Http404
    return job


# --- running -----------------------------------------------------------------------------


def _owner() -> str:
    """Who holds a lease: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _holder_gone(lease: dict | None) -> bool:
    if not lease or lease.get("until", 0) < time.time():
        return True
    return owner_process_gone(str(lease.get("owner", "")))


def owner_process_gone(owner: str) -> bool:
    """True when `owner` ("host:pid") names a process of this host that no longer exists; False
    when it is alive, belongs to another host or cannot be read (the caller's lease decides then)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _lease() -> dict:
    return {"owner": _owner(), "until": time.time() + LEASE_SECONDS}


def _claim(job_id: int, *, steal: bool) -> Job | None:
    """Lock the row and take the job if it is pending, or running with its holder gone."""
    with transaction.atomic():
        job = Job.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        if job.status == Job.Status.RUNNING and not steal and not _holder_gone(job.result.get(LEASE_KEY)):
            return None
        resumed = job.status == Job.Status.RUNNING
        job.status = Job.Status.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or timezone.now()
        job.result = {**job.result, LEASE_KEY: _lease()}
        if resumed:
            job.messages = [*job.messages, {"level": "info", "text": f"中断された処理を再開しました（{job.attempts}回目）。"}]
        job.save(update_fields=["status", "attempts", "started_at", "result", "messages"])
        return job


def run_job(job_id: int, *, steal: bool = False) -> Job | None:
    """Claim the job and run its runner; returns the job, or None when it was not ours to run.

    `steal=True` takes over a running job whatever its lease says (operators, tests).
    """
    job = _claim(job_id, steal=steal)
    if job is None:
        return None
    ctx = JobContext(job)
    try:
        _load_runner(job.kind)(ctx)
    except Exception as exc:  # the job fails; a BaseException (crash) leaves it to be resumed
        logger.exception("job %s failed", job.pk)
        ctx.finish(Job.Status.FAILED, f"処理に失敗しました: {type(exc).__name__}: {exc}"[:500])
        return job
    ctx.finish(Job.Status.DONE, "")
    return job


# Named as when it lived in survey/tasks.py, so that messages already queued still find it. It is
# defined here, not in survey/tasks.py, so that queueing a job does not import the tasks module
# (which imports this one).
@shared_task(name="survey.tasks.run_job_task", acks_late=True, reject_on_worker_lost=True)
def run_job_task(job_id: int) -> None:
    """Run the job row `job_id` (resumes it if an earlier worker died on it)."""
    run_job(job_id)


def jobs_resume_interrupted() -> list[int]:
    """Queue again every unfinished job (a worker calls this when it starts).

    Extra deliveries are harmless: `run_job` only claims a job nobody alive is running.
    """
    ids = list(Job.objects.filter(status__in=[Job.Status.PENDING, Job.Status.RUNNING]).values_list("pk", flat=True))
    for job_id in ids:
        run_job_task.delay(job_id)
    return ids


STALE_PENDING_SECONDS = 60  # a job still pending after this long is queued again by the sweep


def jobs_requeue_stale() -> list[int]:
    """Queue again the jobs nobody is running: pending for over STALE_PENDING_SECONDS (their
    message was never sent, or was lost with a restarted Redis), or running with their lease run
    out (a worker died and no worker has started since). Celery beat calls it every 30 seconds.

    Extra deliveries are harmless: `run_job` only claims a job nobody alive is running.
    """
    cutoff = timezone.now() - dt.timedelta(seconds=STALE_PENDING_SECONDS)
    ids = list(Job.objects.filter(status=Job.Status.PENDING, created_at__lt=cutoff).values_list("pk", flat=True))
    for job in Job.objects.filter(status=Job.Status.RUNNING).only("pk", "result"):
        lease = (job.result or {}).get(LEASE_KEY)
        if not lease or lease.get("until", 0) < time.time():
            ids.append(job.pk)
    for job_id in ids:
        run_job_task.delay(job_id)
    return ids


def recorded_entries(result: dict) -> list[dict]:
    """The units of work recorded in a job's `result`, under the current or the old key."""
    if ENTRIES_KEY in result:
        return result[ENTRIES_KEY]
    return result.get(LEGACY_ENTRIES_KEY, [])


class JobContext:
    """What a runner sees: the job row, its recorded units of work, progress and messages."""

    def __init__(self, job: Job):
        self.job = job
        if LEGACY_ENTRIES_KEY in job.result and ENTRIES_KEY not in job.result:
            # A job stored before the rename, resumed: carry its entries over to the new key.
            job.result[ENTRIES_KEY] = job.result.pop(LEGACY_ENTRIES_KEY)
        self._done = {entry["key"] for entry in self.entries if "key" in entry}

    @property
    def entries(self) -> list[dict]:
        """Units of work recorded so far (this attempt and earlier ones), in order."""
        return self.job.result.setdefault(ENTRIES_KEY, [])

    def is_done(self, key: str) -> bool:
        """True when an earlier checkpoint recorded this unit of work."""
        return key in self._done

    def set_total(self, total: int) -> None:
        self.job.total = total
        self.job.save(update_fields=["total"])

    def record(self, key: str, entry: dict) -> None:
        """Record one unit of work (saved at the next checkpoint)."""
        self.entries.append({"key": key, **entry})
        self._done.add(key)
        self.job.progress = len(self._done)

    def advance(self, n: int = 1) -> None:
        """Count progress for work that records no entry."""
        self.job.progress += n

    def message(self, text: str, level: str = "info") -> None:
        self.job.messages = [*self.job.messages, {"level": level, "text": text}]

    def checkpoint(self) -> None:
        """Save progress, entries and messages, and renew the lease. Call inside the unit's transaction."""
        self.job.result[LEASE_KEY] = _lease()
        self.job.save(update_fields=["progress", "total", "result", "messages"])

    def finish(self, status: str, text: str) -> None:
        job = self.job
        if status == Job.Status.FAILED:
            # Keep what was committed: the failing unit's transaction was rolled back.
            job.refresh_from_db(fields=["result", "progress", "messages"])
        job.result.pop(LEASE_KEY, None)
        if text:
            job.messages = [*job.messages, {"level": "error" if status == Job.Status.FAILED else "info", "text": text}]
        if status == Job.Status.DONE:
            job.progress = max(job.progress, job.total)
        job.status = status
        job.finished_at = timezone.now()
        job.save()


@shared_task(name="survey.tasks.requeue_stale_jobs")
def requeue_stale_jobs_task() -> list[int]:
    """Celery beat's sweep (CELERY_BEAT_SCHEDULE): queue again the jobs nobody is running."""
    return jobs_requeue_stale()
