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
    print(f"worst peak RSS of the web process: {worst:.0f} MB (bound 300 MB; the finding: 723 MB)")
    print(f"load after: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    return 0 if worst < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
