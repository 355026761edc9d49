"""A publish notice resumes after its worker is killed (SIGKILL, mid-job) on a real Celery worker
and real Redis, and no officer is told twice.

The workers use their own Redis database (and the test queues the job there), so that no other
worker of the test session — the session's `real_celery` one — takes the job or keeps a message
of ours unacknowledged (both happened in a full run: this test timed out and a later test's job
stayed pending). Its own Celery apps are made with `set_as_current=False`: a new app otherwise
becomes the current one, and every later `shared_task` call of the session goes to its broker."""
import os
import signal
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import Celery

from survey.models import Job, RoundNotice, RoundStatus, User
from survey.services import notices as service
from tests.conftest import ARTIFACTS_DIR, REPO_ROOT, _stop, _test_database_url
from tests.infra.requirements import require

pytestmark = pytest.mark.worker
EXTRA_OFFICERS = 15  # besides the cast's five: enough mails for the kill to land mid-job
TIMEOUT = 90


def _own_redis() -> str:
    return urlunsplit(urlsplit(os.environ["REDIS_URL"])._replace(path="/6"))


def _worker(mail_dir, log_name):
    """A real `celery worker` (solo pool: the task runs in the process we kill) sending slow mail."""
    from django.db import connection

    node = f"notice-{uuid.uuid4().hex[:8]}@{os.uname().nodename}"
    env = {**os.environ, "DATABASE_URL": _test_database_url(connection.settings_dict), "CELERY_TASK_ALWAYS_EAGER": "0",
           "REDIS_URL": _own_redis(),
           "EMAIL_BACKEND": "tests.rounds.slow_mail.SlowFileBackend", "SLOW_MAIL_DIR": str(mail_dir),
           "SLOW_MAIL_SECONDS": "0.3", "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE",
                                                                                "config.settings")}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log_path = ARTIFACTS_DIR / log_name
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
                                    "--concurrency=1", "-Q", "celery", "-n", node, "--without-gossip",
                                    "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
                                   cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    control = Celery(broker=_own_redis(), set_as_current=False).control
    deadline = time.monotonic() + TIMEOUT
    while not control.ping(destination=[node], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            pytest.fail(f"notice worker did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
    return process


def _wait(condition, what):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def test_a_killed_worker_is_resumed_without_double_sends(transactional_db, round_, cast, ministry, orgs, tmp_path,
                                                          monkeypatch):
    require("postgres", "redis", "celery")
    from config.celery import app
    from survey import jobs

    producer = Celery(broker=_own_redis(), set_as_current=False)
    monkeypatch.setattr(jobs, "_send", lambda job_id: producer.send_task(jobs.run_job_task.name, args=[job_id]))

    for n in range(EXTRA_OFFICERS):
        User.objects.create_user(f"officer{n:02d}@city.sagamihara.example.jp", None, name=f"相模原 {n}",
                                 role="officer", organization=orgs["141500"])
    expected = sorted(service.recipients(round_).values_list("email", flat=True))
    assert len(expected) == EXTRA_OFFICERS + 5
    round_.status = RoundStatus.DRAFT
    round_.save()

    first = _worker(tmp_path, "notice-worker-1.log")
    previous, app.conf.task_always_eager = app.conf.task_always_eager, False
    try:
        _, job = service.round_publish(round=round_, acting_user=ministry)  # committed: queued to Redis
        _wait(lambda: RoundNotice.objects.count() >= 4, "a few notices")
        os.kill(first.pid, signal.SIGKILL)  # mid-job, most likely while a mail is being handed over
        first.wait(timeout=10)
        told_before = RoundNotice.objects.count()
        job.refresh_from_db()
        assert job.status == Job.Status.RUNNING and told_before < len(expected)

        second = _worker(tmp_path, "notice-worker-2.log")  # resumes unfinished jobs when ready
        try:
            _wait(lambda: Job.objects.get(pk=job.pk).status == Job.Status.DONE, "the resumed job")
        finally:
            _stop(second)
    finally:
        app.conf.task_always_eager = previous
        _stop(first)
    sent = sorted(line for f in tmp_path.glob("*.txt") for line in f.read_text().splitlines())
    assert sent == expected  # every officer told, nobody twice
    assert sorted(RoundNotice.objects.values_list("email", flat=True)) == expected
    job.refresh_from_db()
    assert job.progress == job.total == len(expected)
