"""Benchmark: hostile uploads over HTTP, each case's time and the web process's peak RSS.

    DATABASE_URL=postgres://... .venv/bin/python bench/upload_hazards.py [--runs 1]

1. Prepares the database (migrate, the organisation master, the survey, a fresh open round, an
   administrator and officers of 相模原市 and 横浜市).
2. Starts gunicorn (config/gunicorn.conf.py, one gthread worker, no Celery worker: a bulk import
   job runs inside the web process, the worst case for its memory) on a free loopback port, with
   the settings of tests/security/hazards.py (SERVER_ENV: bulk bound 40 MB, attachment quota 3).
3. POSTs every case of tests/security/hazards.py (the same cases the test suite asserts) and
   prints, per case: the HTTP status after its redirect, seconds, and the gunicorn worker's peak
   RSS (VmHWM, reset before each case through /proc/PID/clear_refs).

4. Isolation: on a second server whose reader bounds are lifted (READER_MAX_SHEETS and
   READER_MAX_CELLS as good as unlimited, so a 400-sheet workbook is slow again, as before the
   caps), 横浜市 uploads that workbook while 相模原市 uploads an ordinary filled sheet; prints how
   long 相模原市's upload takes alone and during the slow read (it must not wait for it).

Bound: every case under 300 MB. The finding this guards: a 306 KB zip of 30 x 9.9 MB entries
took the web process to 723 MB.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def prepare():
    """Migrate, load the master and the survey, create a fresh round and the users; returns (round, users)."""
    import datetime as dt
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from survey.models import Organization, Role
    from survey.services.rounds import default_definition_path, round_create, survey_version_load

    call_command("migrate", verbosity=0)
    if Organization.objects.filter(is_active=True).count() < 1700:
        call_command("load_organizations", verbosity=0, stdout=io.StringIO())
    survey, _ = survey_version_load(default_definition_path())
    rnd = round_create(survey=survey, title=f"アップロード負荷 {timezone.now():%Y-%m-%d %H:%M:%S}",
                       deadline=timezone.now() + dt.timedelta(days=14), scheme=survey.engine.scheme)
    users = {
        "admin": _user("bench-hazard-admin@example.jp", "ベンチ 管理者", Role.ADMIN, None),
        "sagamihara": _user("bench-hazard-sagamihara@example.jp", "ベンチ 相模原", Role.OFFICER,
                            Organization.objects.get(code="141500")),
        "yokohama": _user("bench-hazard-yokohama@example.jp", "ベンチ 横浜", Role.OFFICER,
                          Organization.objects.get(code="141003")),
    }
    return rnd, users


def _user(email, name, role, org):
    from survey.models import User

    return User.objects.filter(email=email).first() or User.objects.create_user(
        email, None, name=name, role=role, organization=org)


def _filled_sheet(rnd, code: str, seed: int) -> bytes:
    """A complete, valid sheet of the organisation `code`, as an officer returns it."""
    import random

    from survey.models import RoundTarget
    from survey.services.sheets import sheet_context
    from survey.synthetic import random_answers, random_respondent
    from survey.workbook import write_answer_sheet

    target = RoundTarget.objects.select_related("organization", "round__survey").get(
        round=rnd, organization__code=code)
    rng = random.Random(seed)
    org = target.organization
    answers = random_answers(rnd.survey.engine, org.engine_kind, rng)
    respondent = random_respondent(org.display_name, org.section_label, rng, domain="example.lg.jp")
    return write_answer_sheet(rnd.survey.engine, context=sheet_context(target), answers=answers, respondent=respondent)


def isolation(tmp_path: Path, env: dict) -> None:
    """Another officer's upload while a slow file is being read (reader bounds lifted to make one)."""
    import threading
    import time

    from django.db import connections
    from django.urls import reverse

    from tests.security.hazards import Browser, PortalServer, session_key
    from tests.workbook.hostile_workbooks import many_sheets_xlsx

    rnd, users = prepare()
    sheets = [_filled_sheet(rnd, "141500", seed) for seed in range(3)]
    slow_file = many_sheets_xlsx(400)
    connections.close_all()
    lifted = {**env, "READER_MAX_SHEETS": "100000", "READER_MAX_CELLS": str(10**12), "READER_TIMEOUT_SECONDS": "120"}
    url = {code: reverse("sheet_upload", kwargs={"round_id": rnd.pk, "org_code": code}) for code in ("141500", "141003")}
    with PortalServer(lifted, tmp_path / "gunicorn-isolation.log") as server:
        sagamihara = Browser(server, session_key(users["sagamihara"]))
        yokohama = Browser(server, session_key(users["yokohama"]))

        def upload(browser, code, name, data) -> float:
            started = time.monotonic()
            browser.post_files(url[code], {}, [("file", name, data)])
            return time.monotonic() - started

        upload(sagamihara, "141500", "回答.xlsx", sheets[0])  # warm-up
        alone = upload(sagamihara, "141500", "回答.xlsx", sheets[1])
        slow: dict = {}
        thread = threading.Thread(target=lambda: slow.update(seconds=upload(yokohama, "141003", "多数.xlsx", slow_file)))
        thread.start()
        time.sleep(1.0)  # the slow file is in its reader
        during = upload(sagamihara, "141500", "回答.xlsx", sheets[2])
        thread.join()
    print(f"isolation (reader bounds lifted): 相模原市's sheet upload alone {alone:.2f} s; while 横浜市's "
          f"400-sheet workbook was read ({slow['seconds']:.1f} s in all) {during:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="rounds of all cases (each on a fresh round)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("DATABASE_URL must point at PostgreSQL (bench/run starts one)", file=sys.stderr)
        return 2

    import django

    django.setup()
    from django.db import connections

    from tests.security.hazards import CASES, SERVER_ENV, Browser, PortalServer, run_case, session_key

    print(f"upload hazards over HTTP — load: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-hazards-") as tmp:
        tmp_path = Path(tmp)
        env = {**SERVER_ENV, "DATABASE_URL": os.environ["DATABASE_URL"], "PRIVATE_STORAGE_ROOT": str(tmp_path / "private")}
        with PortalServer(env, tmp_path / "gunicorn.log") as server:
            print(f"gunicorn worker pid {server.worker_pid}, RSS at start {server.rss_mb():.0f} MB")
            print(f"{'case':58} {'HTTP':>4} {'seconds':>8} {'peak RSS MB':>12}  answer says")
            for _run in range(args.runs):
                rnd, users = prepare()
                connections.close_all()
                for case in CASES:
                    browser = Browser(server, session_key(users[case.role]))
                    work = tmp_path / "case"
                    work.mkdir(exist_ok=True)
                    reply, measured = run_case(server, case, browser, rnd.pk, work)
                    said = case.expect if case.expect in reply.body else "(expected text MISSING)"
                    worst = max(worst, measured.peak_mb)
                    print(f"{case.name:58} {reply.status:>4} {measured.seconds:>8.2f} {measured.peak_mb:>12.0f}  {said}")
        isolation(tmp_path, env)
    print(f"worst peak RSS of the web process: {worst:.0f} MB (bound 300 MB; the finding: 723 MB)")
    print(f"load after: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    return 0 if worst < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
