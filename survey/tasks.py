"""Celery tasks (found by the worker's autodiscovery). They only dispatch: the work is in the
job's runner (survey.jobs)."""
from celery import shared_task
from celery.signals import worker_ready
from django.db import connections

from survey.jobs import jobs_resume_interrupted, run_job_task
from survey.services.scheduled_reminders import reminders_tick
from survey.services.sheets import finished_job_folders_sweep

__all__ = ["import_folders_sweep_task", "reminders_tick_task", "run_job_task"]


@worker_ready.connect
def _resume_interrupted_jobs(**kwargs) -> None:
    """A (re)started worker queues again the jobs a dead worker left unfinished."""
    try:
        jobs_resume_interrupted()
    finally:
        connections.close_all()  # not to share this connection with forked pool processes


@shared_task(name="survey.reminders_tick")
def reminders_tick_task() -> dict[str, int]:
    """Celery beat's tick: send the scheduled reminders and digests now due (survey.services.scheduled_reminders)."""
    return reminders_tick()


@shared_task(name="survey.tasks.sweep_import_folders")
def import_folders_sweep_task() -> int:
    """Celery beat's sweep of finished bulk imports' folders (survey.services.sheets.finished_job_folders_sweep):
    the expanded entries a job failed while the database was down left on disk."""
    return finished_job_folders_sweep()
