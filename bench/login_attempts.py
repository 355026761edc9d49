"""What a login attempt costs with the lock-outs (django-axes, survey/lockouts.py).

    DATABASE_URL=postgres://... .venv/bin/python bench/login_attempts.py [--rows 100000] [--runs 30]

Creates a throwaway database beside DATABASE_URL's, one officer (the portal's Argon2 hasher) and
--rows AccessAttempt rows inside the lock-out window from other addresses (a distributed attack
in progress), then posts the login form through Django's test Client and prints, per kind of
attempt, the median and max wall milliseconds and the SQL queries: a wrong password, a refusal
while the account+address is locked, the right password from another address, and one from an
address locked across accounts. The database is dropped afterwards.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from benchdb import bench_database, recreate  # noqa: E402

PASSWORD = "correct-horse-battery-staple-1"
EMAIL = "officer@city.sagamihara.example.jp"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    admin_url, bench_url = bench_database(os.environ["DATABASE_URL"], "_bench_login")
    recreate(admin_url, bench_url)
    os.environ["DATABASE_URL"] = bench_url
    try:
        _bench(args)
    finally:
        from django.db import connections

        connections.close_all()
        recreate(admin_url, bench_url, drop_only=True)


def _bench(args) -> None:
    import django

    django.setup()
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from survey.models import User

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    user = User(email=EMAIL, name="相模原 市郎", role="ministry")
    user.set_password(PASSWORD)
    user.save()
    now = timezone.now()
    AccessAttempt.objects.bulk_create(
        [AccessAttempt(username=f"guess{n}@example.jp", ip_address=f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
                       user_agent="bench", get_data="", post_data="", http_accept="", path_info="/accounts/login/",
                       failures_since_start=1, attempt_time=now) for n in range(args.rows)], batch_size=5000)
    print(f"login attempts: {args.rows} AccessAttempt rows in the window, {args.runs} runs each; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    limit, per_ip = settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_LIMIT_PER_IP
    report("wrong password (counted)", args.runs, lambda n: (EMAIL, "wrong-password-1", f"198.51.100.{n % 200}"),
           reset=True)
    for _ in range(limit):
        post(EMAIL, "wrong-password-1", "192.0.2.1")
    report("refused: account+address locked", args.runs, lambda n: (EMAIL, PASSWORD, "192.0.2.1"))
    report("right password, another address", args.runs, lambda n: (EMAIL, PASSWORD, "192.0.2.2"))
    for n in range(per_ip):
        post(f"other{n}@example.jp", "wrong-password-1", "192.0.2.3")
    report("refused: address locked", args.runs, lambda n: (EMAIL, PASSWORD, "192.0.2.3"))


def post(email, password, ip):
    from django.test import Client

    return Client().post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def report(label, runs, attempt, reset=False):
    from axes.models import AccessAttempt
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walls, queries = [], []
    for n in range(runs):
        email, password, ip = attempt(n)
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            post(email, password, ip)
            walls.append((time.perf_counter() - t0) * 1000)
        queries.append(len(captured.captured_queries))
        if reset:  # stay below the limit: each run is a first failure of its pair
            AccessAttempt.objects.filter(username=email).delete()
    print(f"  {label:34s} wall median {statistics.median(walls):6.1f} ms (max {max(walls):6.1f}), "
          f"{statistics.median(queries):.0f} queries")


if __name__ == "__main__":
    main()
