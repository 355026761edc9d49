"""A job whose queueing failed (Redis down or restarted, the queue lost) still runs, by itself.

The job row is committed before its message is sent; when the broker cannot be reached the
request must not fail (the job exists and the user is shown it), and a periodic sweep (Celery
beat) queues again the jobs left pending, and the running ones whose worker's lease ran out.
"""
import datetime as dt

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from survey import jobs
from survey.models import Job

pytestmark = pytest.mark.django_db


def test_a_broker_outage_at_queueing_leaves_a_pending_job_and_no_error(monkeypatch,
                                                                      django_capture_on_commit_callbacks):
    def refuse(job_id):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(jobs.run_job_task, "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_create(kind="sheet_import", created_by=None)
    assert Job.objects.get(pk=job.pk).status == Job.Status.PENDING


def test_the_sweep_queues_stale_pending_and_abandoned_running_jobs_again(monkeypatch):
    sent = []
    monkeypatch.setattr(jobs.run_job_task, "delay", sent.append)
    old = timezone.now() - dt.timedelta(seconds=jobs.STALE_PENDING_SECONDS + 5)
    lost = Job.objects.create(kind="sheet_import", created_at=old)
    fresh = Job.objects.create(kind="sheet_import")  # its message may still be on its way
    abandoned = Job.objects.create(kind="sheet_import", status=Job.Status.RUNNING, created_at=old,
                                   result={jobs.LEASE_KEY: {"owner": "elsewhere:1", "until": 0}})
    alive = Job.objects.create(kind="sheet_import", status=Job.Status.RUNNING, created_at=old,
                               result={jobs.LEASE_KEY: {"owner": "elsewhere:1", "until": 4102444800}})
    done = Job.objects.create(kind="sheet_import", status=Job.Status.DONE, created_at=old)
    assert sorted(jobs.jobs_requeue_stale()) == sorted([lost.pk, abandoned.pk])
    assert sorted(sent) == sorted([lost.pk, abandoned.pk])
    assert fresh.pk not in sent and alive.pk not in sent and done.pk not in sent


def test_celery_beat_runs_the_sweep():
    from django.conf import settings

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "survey.tasks.requeue_stale_jobs"]
    assert entries and entries[0]["schedule"] <= 60
