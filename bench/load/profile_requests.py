"""Where a portal request spends its time: CPU and queries per request of the officer's round.

    .venv/bin/python bench/load/profile_requests.py [--rounds 30] [--profile "edit page"] [--top 25] [--sql all]

Starts PostgreSQL and Redis as the load bench does (bench/load/stack.py, no gunicorn), migrates,
seeds the demo and makes a few officers, then plays the load bench's officer round (open the
questionnaire, save a draft, save complete answers, confirm, submit, the response page) through
Django's test client with the production settings, over HTTPS headers as the TLS proxy sends them.
Prints, per request kind, the median process CPU time and the number of SQL queries, the same for
the bench's bare view, and with --profile the cProfile of one kind (cumulative, --top lines).
Figures are CPU of this one process (no network, no gunicorn): they rank the costs, the load
bench measures the throughput. Posts are url-encoded, as a browser sends the questionnaire and the
load bench sends its saves (before 2026-12-01 04:30 UTC they went multipart, about 1.5 ms more per
save in Django's multipart parser).
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.load import data  # noqa: E402
from bench.load.stack import HOST, Stack, django_setup, say  # noqa: E402

HTTPS = {"HTTP_HOST": HOST, "HTTP_X_FORWARDED_PROTO": "https", "secure": True}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30, help="officer rounds measured (after 3 warm-up rounds)")
    parser.add_argument("--officers", type=int, default=10)
    parser.add_argument("--profile", default="", help="a request kind to profile, e.g. 'edit page'")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sql", default="", help="a request kind whose queries are printed once ('all': every kind)")
    args = parser.parse_args()
    with Stack(Path(tempfile.mkdtemp(prefix="chosa-profile."))) as stack:
        stack.start_services()
        stack.manage("migrate", "--noinput", log="migrate")
        stack.manage("collectstatic", "--noinput", log="collectstatic")
        stack.manage("seed_demo", "--responses", "0", log="seed")
        django_setup(stack)
        return measure(args)


def measure(args) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    officers = data.officers(args.officers)
    cpu: dict[str, list[float]] = {}
    queries: dict[str, list[int]] = {}
    profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on PostgreSQL
    shown: set[str] = set()

    def call(kind: str, method: str, client: Client, path: str, **kw):
        post = method == "POST"
        if post and "data" in kw:  # as browsers and the load bench send a form (the test client would send multipart)
            kw = {**kw, "data": urlencode(kw["data"], doseq=True), "content_type": "application/x-www-form-urlencoded"}
        extra = {**HTTPS, **({"HTTP_ORIGIN": f"https://{HOST}", "HTTP_REFERER": f"https://{HOST}{path}"} if post else {})}
        profile = args.profile == kind
        where: list[str] = []
        # the caller trace walks the stack on every query: only for the one request whose queries are printed
        traced = args.sql in (kind, "all") and kind not in shown
        with CaptureQueriesContext(connection) as captured, \
                (connection.execute_wrapper(_caller(where)) if traced else contextlib.nullcontext()):
            t0 = time.process_time()
            if profile:
                profiler.enable()
            response = getattr(client, method.lower())(path, **kw, **extra)
            if profile:
                profiler.disable()
            spent = time.process_time() - t0
        cpu.setdefault(kind, []).append(spent * 1000)
        if traced:
            shown.add(kind)
            say(f"\n== queries of one {kind!r}")
            callers = iter(where)  # BEGIN and COMMIT are logged without passing the execute wrappers
            for q in captured.captured_queries:
                caller = "transaction" if q["sql"] in TRANSACTION_SQL else next(callers)
                say(f"  [{caller}] {q['sql'][:300]}")
        queries.setdefault(kind, []).append(len(captured))
        return response

    def token(response) -> str:
        return response.cookies["csrftoken"].value if "csrftoken" in response.cookies else ""

    clients = []
    for me in officers:
        client = Client(enforce_csrf_checks=False)
        page = client.get("/accounts/login/", **HTTPS)
        assert page.status_code == 200, page.status_code
        done = client.post("/accounts/login/", {"username": me["email"], "password": data.PASSWORD}, **HTTPS)
        assert done.status_code == 302, done.status_code
        clients.append((client, me))

    revision = re.compile(r'name="base_revision" value="(\d+)"')

    def round_of(client, me):
        page = call("edit page", "GET", client, me["base"] + "edit/")
        assert page.status_code == 200, page.status_code
        rev = revision.search(page.content.decode()).group(1)
        saved = call("save draft", "POST", client, me["base"] + "edit/", data=_form(me["draft"], rev))
        assert saved.status_code == 302, (saved.status_code, saved.content[:3000].decode(errors="replace"))
        page = call("edit page", "GET", client, me["base"] + "edit/")
        rev = revision.search(page.content.decode()).group(1)
        saved = call("save to confirm", "POST", client, me["base"] + "edit/",
                     data=_form(me["full"], rev, [("to_confirm", "1")]))
        assert saved.status_code == 302, saved.status_code
        page = call("confirm page", "GET", client, me["base"] + "confirm/")
        rev = revision.search(page.content.decode()).group(1)
        done = call("submit", "POST", client, me["base"] + "confirm/", data={"base_revision": rev})
        assert done.status_code == 302, done.status_code
        call("response page", "GET", client, me["base"])
        call("home", "GET", client, "/")
        call("bare view", "GET", client, "/bench/bare/")

    for i in range(3):
        round_of(*clients[i % len(clients)])
    cpu.clear()
    queries.clear()
    shown.clear()
    for i in range(args.rounds):
        round_of(*clients[i % len(clients)])
    say(f"\n{'request':<18} {'CPU ms p50':>10} {'p90':>7} {'queries':>8}")
    for kind in cpu:
        values = sorted(cpu[kind])
        say(f"{kind:<18} {statistics.median(values):>10.1f} {values[int(len(values) * 0.9)]:>7.1f} "
            f"{statistics.median(queries[kind]):>8.0f}")
    if args.profile:
        say(f"\n== cProfile of {args.profile!r} ({len(cpu.get(args.profile, []))} + warm-up requests)")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(args.top)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(
            f"{re.escape(str(ROOT))}/(survey|config|aggregation)/", args.top)  # the project's own functions
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(args.top)
    return 0


TRANSACTION_SQL = {"BEGIN", "COMMIT", "ROLLBACK"}


def _caller(where: list[str]):
    """An execute wrapper noting, per query, the innermost frame of the portal's own code."""
    import traceback

    root = str(Path(__file__).resolve().parents[2])

    def wrapper(execute, sql, params, many, context):
        frames = [f for f in traceback.extract_stack() if f.filename.startswith(root) and "/.venv/" not in f.filename
                  and not f.filename.startswith(str(Path(__file__).parent))]
        where.append(f"{Path(frames[-1].filename).relative_to(root)}:{frames[-1].lineno}" if frames else "?")
        return execute(sql, params, many, context)
    return wrapper


def _form(fields: list, rev: str, extra: list | None = None):
    from django.utils.datastructures import MultiValueDict

    out = MultiValueDict()
    for key, value in [*fields, ("base_revision", rev), *(extra or [])]:
        out.appendlist(key, value)
    return {k: out.getlist(k) for k in out}


if __name__ == "__main__":
    sys.exit(main())
