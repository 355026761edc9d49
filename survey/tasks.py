"""Celery tasks (found by the worker's autodiscovery). They only dispatch: the work is in the
job's runner (survey.jobs)."""
from celery import shared_task
from celery.signals import worker_ready
from django.db import connections

from survey.jobs import jobs_resume_interrupted, run_job_task
from survey.services.scheduled_reminders import reminders_tick

__all__ = ["reminders_tick_task", "run_job_task"]


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
