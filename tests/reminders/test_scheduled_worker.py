"""Scheduled reminders through a REAL Celery beat and worker on Redis and PostgreSQL.

Beat ticks every second (REMINDER_TICK_SECONDS=1); the worker "sends" into a spool directory,
one file per mail, slowly (MAIL_SPOOL_DELAY), so that it can be killed with SIGKILL in the middle
of a step. The clock: each step is reached by moving the round's deadline closer to now.

The processes use their own Redis database, so that no other worker of the test session takes
their ticks (and they take no one else's tasks).
"""
from __future__ import annotations

import datetime as dt
import email
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from django.utils import timezone

from survey.models import Organization, OrgKind, Round, ScheduledReminder, User
from survey.services.scheduled_reminders import KEY_HEADER
from tests.conftest import ARTIFACTS_DIR, REPO_ROOT, _test_database_url
from tests.infra.requirements import require

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
Status = ScheduledReminder.Status
EXTRA = 24  # municipalities of 神奈川県 added to the cast's, each with one officer
FINAL = {Status.SENT, Status.SKIPPED, Status.INTERRUPTED, Status.FAILED}


class Services:
    """One beat and one worker at a time, started, restarted and killed by the test."""

    def __init__(self, tmp: Path):
        require("celery")
        redis = urlsplit(os.environ["REDIS_URL"])
        self.spool = tmp / "spool"
        self.spool.mkdir()
        self.env = {
            **os.environ, "DATABASE_URL": _test_database_url(connection.settings_dict),
            "REDIS_URL": urlunsplit(redis._replace(path="/7")), "CELERY_TASK_ALWAYS_EAGER": "0",
            "EMAIL_BACKEND": "tests.reminders.mailboxes.SpoolBackend", "MAIL_SPOOL_DIR": str(self.spool),
            "MAIL_SPOOL_DELAY": "0.25", "REMINDER_TICK_SECONDS": "1", "REMINDER_DIGEST_HOUR": "0",
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),
        }
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.schedule = tmp / "celerybeat-schedule"
        self.worker = self.beat = None
        self.starts = 0
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)

    def _start(self, *args: str) -> subprocess.Popen:
        self.starts += 1
        log = ARTIFACTS_DIR / f"scheduled-reminders-{args[0]}-{self.starts}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", *args, "--loglevel=INFO"],
                                       cwd=REPO_ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        process.log = log
        return process

    def start_worker(self) -> None:
        from celery import Celery

        node = f"reminders-{self.starts + 1}@{socket.gethostname()}"
        self.worker = self._start("worker", "--pool=solo", "--concurrency=1", "-n", node,
                                  "--without-gossip", "--without-mingle", "--without-heartbeat")
        control = Celery(broker=self.env["REDIS_URL"], set_as_current=False).control
        wait_for(lambda: control.ping(destination=[node], timeout=0.5), "worker answers ping", self.worker)

    def start_beat(self) -> None:
        self.beat = self._start("beat", f"--schedule={self.schedule}")

    def kill_worker(self) -> None:
        """SIGKILL: no cleanup, no ack, a row possibly left `sending`."""
        os.kill(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def restart_beat(self) -> None:
        self.beat.terminate()
        self.beat.wait(timeout=15)
        self.start_beat()

    def stop(self) -> None:
        for process in (self.beat, self.worker):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def mails(self) -> list[email.message.Message]:
        return [email.message_from_bytes(p.read_bytes()) for p in sorted(self.spool.glob("*.eml"))]


def wait_for(condition, what: str, process=None, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            pytest.fail(f"{what}: the process exited\n{process.log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)
    pytest.fail(f"{what}: not after {seconds}s")


@pytest.fixture
def services(tmp_path):
    running = Services(tmp_path)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def campaign(round_, orgs, cast):
    """The cast's round with EXTRA more municipalities, nobody submitted, published a month ago."""
    extra = [Organization.objects.create(code=f"149{n:03d}", prefecture_code="14", prefecture_name="神奈川県",
                                         name=f"試験町{n}", kana="シケンチョウ", kind=OrgKind.TOWN)
             for n in range(EXTRA)]
    for org in extra:
        User.objects.create_user(f"officer{org.code}@town.example.jp", None, name="試験 担当",
                                 role="officer", organization=org)
        round_.targets.create(organization=org)
    round_.opened_at = timezone.now() - dt.timedelta(days=30)
    round_.save()
    return round_


def reach_step(rnd: Round, days: int) -> None:
    """Move the deadline so that `days` before it is a few minutes ago."""
    Round.objects.filter(pk=rnd.pk).update(deadline=timezone.now() + dt.timedelta(days=days, minutes=-5))


def step_rows(rnd, step):
    return ScheduledReminder.objects.filter(round=rnd, kind="step", step=step)


def all_final(rnd, step, expected: int) -> bool:
    rows = list(step_rows(rnd, step).values_list("status", flat=True))
    return len(rows) == expected and set(rows) <= FINAL


def check_step(services: Services, rnd, step: int, expected: int, *, kills: int) -> Counter:
    """Each target has one row for the step, each row one outcome, each mail one row: no double send."""
    keys = Counter(m[KEY_HEADER] for m in services.mails())
    doubled = {key: n for key, n in keys.items() if n > 1}
    assert doubled == {}, f"sent more than once: {doubled}"
    rows = {f"round{rnd.pk}/{code}/step{step}": status
            for code, status in step_rows(rnd, step).values_list("organization__code", "status")}
    assert len(rows) == expected
    sent = {key for key, status in rows.items() if status == Status.SENT}
    assert sent == {key for key in keys if key.endswith(f"/step{step}")}
    outcomes = Counter(rows.values())
    assert outcomes[Status.INTERRUPTED] <= kills, outcomes  # at most the mail in hand when killed
    assert outcomes[Status.SKIPPED] == 1 and outcomes[Status.SENT] >= expected - 1 - kills, outcomes  # 鎌倉市: no officer
    return outcomes


def test_each_step_is_sent_once_across_a_worker_kill_and_beat_restarts(campaign, services):
    expected = 6 + EXTRA  # every target: nobody submitted
    services.start_worker()
    services.start_beat()

    # Step 7: the worker is killed with SIGKILL in the middle of the step, beat restarted with it.
    reach_step(campaign, 7)
    wait_for(lambda: step_rows(campaign, 7).filter(status=Status.SENT).count() >= 5, "step 7 under way", services.worker)
    assert step_rows(campaign, 7).filter(status=Status.SENT).count() < expected - 1, "the run ended before the kill"
    services.kill_worker()
    services.restart_beat()
    services.start_worker()
    wait_for(lambda: all_final(campaign, 7, expected), "step 7 finished", services.worker)
    seven = check_step(services, campaign, 7, expected, kills=1)

    # Step 3: beat restarted in the middle of the step (the worker keeps running).
    reach_step(campaign, 3)
    wait_for(lambda: step_rows(campaign, 3).filter(status=Status.SENT).count() >= 5, "step 3 under way", services.worker)
    services.restart_beat()
    wait_for(lambda: all_final(campaign, 3, expected), "step 3 finished", services.worker)
    three = check_step(services, campaign, 3, expected, kills=0)
    time.sleep(3)  # more ticks: nothing new for steps 7 and 3
    assert check_step(services, campaign, 7, expected, kills=1) == seven
    assert check_step(services, campaign, 3, expected, kills=0) == three

    # One digest per prefecture for today, through all of it.
    digests = Counter(m[KEY_HEADER].split("/")[1] for m in services.mails() if "/digest" in m[KEY_HEADER])
    assert digests == {"140007": 1, "130001": 1}
    assert ScheduledReminder.objects.filter(round=campaign, kind="digest").count() == 2
