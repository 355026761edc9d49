"""Celery tasks. They only dispatch: the work is in the job's runner (survey.jobs)."""
from celery import shared_task
from celery.signals import worker_ready
from django.db import connections

from survey.jobs import jobs_resume_interrupted, run_job


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job_task(job_id: int) -> None:
    """Run the job row `job_id` (resumes it if an earlier worker died on it)."""
    run_job(job_id)


@worker_ready.connect
def _resume_interrupted_jobs(**kwargs) -> None:
    """A (re)started worker queues again the jobs a dead worker left unfinished."""
    try:
        jobs_resume_interrupted()
    finally:
        connections.close_all()  # not to share this connection with forked pool processes
