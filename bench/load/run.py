"""Deadline-day load on the two-node production stack (loopback), with locust; prints the figures.

    .venv/bin/python bench/load/run.py [--users 1000] [--hold 150] [--phases deadline,ramp,saturation]
    bench/run load [--users 100 ...]          # the same, through bench/run

1. Starts the stack (bench/load/stack.py: PostgreSQL, Redis, two gunicorn nodes with five sync
   workers each, production settings plus the bench's bare view, two Celery workers, beat) and
   makes `--users` officers, `--ministry` ministry accounts, an administrator and a zip of
   `--sheets` returned answer sheets of other organisations (bench/load/data.py).
2. deadline: `--users` officers arrive 20 a second, sign in and go round the questionnaire (think
   time 5–15 s; bench/load/locustfile.py) while the ministry staff open dashboards and the
   administrator bulk-imports the zip; `--hold` seconds after the last arrival. Page and save
   p50/p95/p99 during the sign-in surge (until the last officer is signed in) and after it,
   throughput, CPU per request of the web nodes (and of PostgreSQL), the non-2xx share (409
   excepted), the import's time.
3. ramp: officers in steps (10 %, 25 %, 50 %, 75 %, 100 % of `--users`, `--step-seconds` each);
   p95 per step and the first step where it passes 1 s.
4. saturation: `--sat-users` signed-in users without think time, first on the bare view (session
   auth + a small template), then going round the questionnaire; throughput of each and the ratio.
5. Every save the portal accepted (a redirect after the POST) is looked up in the database
   afterwards: per organisation, stored versions >= accepted saves; the import's organisations
   have exactly one version each.

The load generator (locust, one process) runs on the same machine and takes CPU from the servers;
the load average is printed before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.load import data  # noqa: E402
from bench.load.stack import ROOT, Stack, django_setup, say  # noqa: E402

LOCUST = str(ROOT / ".venv" / "bin" / "locust")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_locust(stack: Stack, work: Path, phase: str, classes: list[str], users: int, seconds: float,
               extra_env: dict | None = None) -> tuple[dict, dict, float]:
    out = work / f"{phase}.json"
    env = {**os.environ, "LOAD_PLAN": str(work / "plan.json"), "LOAD_NODES": ",".join(stack.nodes),
           "LOAD_PHASE": phase, "LOAD_OUT": str(out), "LOAD_ZIP": str(work / "sheets.zip"), **(extra_env or {})}
    argv = [LOCUST, "-f", str(ROOT / "bench/load/locustfile.py"), "--headless", "--only-summary",
            "--loglevel", "WARNING", "--stop-timeout", "30", "-t", f"{int(seconds)}s"]
    if phase != "ramp":
        argv += ["-u", str(users), "-r", "20"]
    cpu0 = stack.cpu_seconds()
    t0 = time.time()
    with open(stack.log_dir / f"locust-{phase}.log", "w") as log:
        subprocess.run([*argv, *classes], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    wall = time.time() - t0
    cpu1 = stack.cpu_seconds()
    drain(stack)
    return json.loads(out.read_text()), {k: cpu1[k] - cpu0[k] for k in cpu0}, wall


def drain(stack: Stack, limit: float = 600) -> None:
    """Wait until the nodes have worked off the requests locust left queued (a sync worker serves
    every request in its listen queue, even those whose client has gone), so that the next phase
    starts on idle servers: /healthz answers within half a second on both nodes."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        started = time.monotonic()
        fast = all(stack.ready(i, "/healthz") == 200 for i in (0, 1))
        if fast and time.monotonic() - started < 0.5:
            break
        time.sleep(1)
    if time.monotonic() - t0 > 2:
        say(f"  (waited {time.monotonic() - t0:.0f} s for the nodes to work off the queued requests)")


def window_stats(records: list, start: float, end: float, categories: tuple[str, ...]) -> dict:
    rows = [r for r in records if start <= r[0] < end and r[1] in categories]
    ms = [r[4] for r in rows if r[3] and r[3] < 400]
    bad = [r for r in rows if r[3] == 0 or (r[3] >= 400 and r[3] != 409)]
    return {"n": len(rows), "p50": pct(ms, 50), "p95": pct(ms, 95), "p99": pct(ms, 99), "bad": len(bad),
            "statuses": Counter(r[3] for r in bad)}


def fmt(s: dict) -> str:
    return (f"n={s['n']:>6}  p50 {s['p50']:7.0f} ms  p95 {s['p95']:7.0f} ms  p99 {s['p99']:7.0f} ms  "
            f"non-2xx {s['bad']}" + (f" {dict(s['statuses'])}" if s["bad"] else ""))


def deadline(stack: Stack, work: Path, args, accepted: Counter) -> None:
    users = args.users + args.ministry + 1
    seconds = users / 20 + args.hold
    say(f"\n== deadline: {args.users} officers arriving 20/s (think 5–15 s), {args.ministry} ministry staff, "
        f"an administrator importing {args.sheets} sheets; {seconds:.0f} s; load average {loadavg()}")
    out, cpu, wall = run_locust(stack, work, "deadline", ["Officer", "Ministry", "Admin"], users, seconds,
                                {"LOAD_MINISTRY": str(args.ministry)})
    rec = out["records"]
    t0 = min(r[0] for r in rec)
    t_end = max(r[0] for r in rec)
    officer_signins = sorted(s[0] + s[2] / 1000 for s in out["signins"])
    surge_end = officer_signins[-1] if officer_signins else t0
    failed = sum(1 for s in out["signins"] if not s[1])
    say(f"sign-ins: {len(out['signins'])} ({failed} refused); the last one done {surge_end - t0:.0f} s after the start; "
        f"sign-in p50 {pct([s[2] for s in out['signins']], 50):.0f} ms, p95 {pct([s[2] for s in out['signins']], 95):.0f} ms")
    if surge_end > t_end:
        say("  the sign-in surge lasted the whole run: no request came after it")
    for label, a, b in (("during the sign-in surge", t0, min(surge_end, t_end + 1)),
                        ("after the surge", surge_end, t_end + 1)):
        if b <= a:
            continue
        say(f"  {label} ({b - a:.0f} s):")
        for cat in ("page", "save", "dashboard", "login"):
            say(f"    {cat:<9} {fmt(window_stats(rec, a, b, (cat,)))}")
    total = len(rec)
    bad = sum(1 for r in rec if r[3] == 0 or (r[3] >= 400 and r[3] != 409))
    conflicts = sum(1 for r in rec if r[3] == 409)
    say(f"  throughput {total / wall:.1f} req/s over {wall:.0f} s ({total} requests); non-2xx (409 excepted) "
        f"{bad} = {100 * bad / max(total, 1):.3f} %; 409 conflicts {conflicts}")
    say(f"  CPU per request: web nodes {1000 * cpu['web'] / max(total, 1):.1f} ms, PostgreSQL "
        f"{1000 * cpu['postgres'] / max(total, 1):.1f} ms, Celery {cpu['celery']:.1f} s in all "
        f"(web {cpu['web']:.0f} s of {2 * wall:.0f} s on 2 cores)")
    imp = out["notes"]["import"] or {}
    if imp.get("finished"):
        say(f"  bulk import of {args.sheets} sheets ({imp['bytes']} bytes) during the load: {imp['status']} in "
            f"{imp['finished'] - imp['started']:.1f} s — {imp.get('message', '')}")
    else:
        say(f"  bulk import: {imp.get('status', 'not started')} (not finished within the run)")
    for org, _, _ in out["saves"]:
        accepted[org] += 1
    say(f"  load average after: {loadavg()}")


def ramp(stack: Stack, work: Path, args, accepted: Counter) -> None:
    steps = sorted({max(1, round(args.users * f)) for f in (0.1, 0.25, 0.5, 0.75, 1.0)})
    seconds = args.step_seconds * len(steps)
    say(f"\n== ramp: officers in steps {steps}, {args.step_seconds:.0f} s each (arriving 20/s, think 5–15 s); "
        f"load average {loadavg()}")
    out, cpu, wall = run_locust(stack, work, "ramp", ["Officer"], 0, seconds + 5, {
        "LOAD_STEPS": ",".join(map(str, steps)), "LOAD_STEP_SECONDS": str(args.step_seconds)})
    rec = out["records"]
    marks = out["notes"]["steps"] + [[None, max(r[0] for r in rec) + 1]]
    passed = None
    say("  users   requests  page+save p50 / p95 / p99 (ms)   login p95   non-2xx")
    for (users, start), (_, end) in zip(marks, marks[1:], strict=False):
        settle = start + min(args.step_seconds / 2, users / 20 + 5)  # after this step's arrivals
        s = window_stats(rec, settle, end, ("page", "save"))
        login = window_stats(rec, start, end, ("login",))
        say(f"  {users:>5}   {s['n']:>8}  {s['p50']:6.0f} / {s['p95']:6.0f} / {s['p99']:6.0f}"
            f"          {login['p95']:7.0f}   {s['bad']}")
        if passed is None and s["p95"] > 1000:
            passed = users
    say(f"  p95 of pages and saves passes 1 s at: {passed or f'not within {steps[-1]} users'}")
    for org, _, _ in out["saves"]:
        accepted[org] += 1
    say(f"  load average after: {loadavg()}")


def saturation(stack: Stack, work: Path, args, accepted: Counter) -> dict:
    say(f"\n== saturation: {args.sat_users} signed-in users without think time, {args.sat_seconds:.0f} s each; "
        f"load average {loadavg()}")
    rates, costs = {}, {}
    for phase, classes, cats in (("bare", ["Bare"], ("bare",)), ("portal", ["OfficerNoThink"], ("page", "save"))):
        out, cpu, wall = run_locust(stack, work, f"sat-{phase}", classes, args.sat_users,
                                    args.sat_seconds + args.sat_users / 20)
        rec = out["records"]
        start = max(s[0] + s[2] / 1000 for s in out["signins"]) + 2  # everyone signed in
        end = max(r[0] for r in rec)
        if end <= start:  # the sign-ins took the whole phase: count from the first request of the kind
            start = min((r[0] for r in rec if r[1] in cats), default=end)
        s = window_stats(rec, start, end, cats)
        ok = s["n"] - s["bad"]
        rates[phase] = ok / max(end - start, 1e-9)
        costs[phase] = (cpu["web"] + cpu["postgres"]) / max(len(rec), 1)
        say(f"  {phase:<6} {rates[phase]:6.1f} req/s  ({fmt(s)}); CPU per request: web "
            f"{1000 * cpu['web'] / max(len(rec), 1):.1f} ms, PostgreSQL {1000 * cpu['postgres'] / max(len(rec), 1):.1f} ms")
        for org, _, _ in out["saves"]:
            accepted[org] += 1
    ratio = f"{100 * rates['portal'] / rates['bare']:.0f} %" if rates["bare"] else "not measured (no bare-view request)"
    # The same ratio from the CPU each request cost the web nodes and PostgreSQL: less moved by
    # whatever else the machine runs meanwhile than the throughput is.
    by_cpu = f"{100 * costs['bare'] / costs['portal']:.0f} %" if costs.get("portal") else "not measured"
    say(f"  portal / bare view throughput: {ratio}  (target ≥ 50 %); by CPU per request (web + PostgreSQL): "
        f"{by_cpu}; load average {loadavg()}")
    return rates


# The officer's round in locustfile.py: open the questionnaire (1 request), save a draft (POST and
# the page it redirects to: 2), save the complete answers (2), submit (2): 7 requests in 4 clicks,
# one click per think time of 5–15 s (10 s on average).
REQUESTS_PER_CLICK = 7 / 4
MEAN_THINK_SECONDS = 10.0


def capacity(users: int, rates: dict) -> None:
    """What the simulated officers ask of the machine against what it can serve (saturation)."""
    asked = users * REQUESTS_PER_CLICK / MEAN_THINK_SECONDS
    say(f"\n== capacity: {users} signed-in officers ask {asked:.0f} req/s at most (a click every 10 s on average, "
        f"{REQUESTS_PER_CLICK:.2f} requests per click), plus 60 req/s and 20 password checks a second while they "
        f"arrive; saturation on this machine: bare view {rates.get('bare', 0):.0f} req/s, portal "
        f"{rates.get('portal', 0):.0f} req/s")
    for name in ("bare", "portal"):
        if rates.get(name):
            users_max = rates[name] * MEAN_THINK_SECONDS / REQUESTS_PER_CLICK
            say(f"  {name:<6}: the load is {asked / rates[name]:.1f}× its saturation; at most ≈{users_max:.0f} "
                f"officers thinking 10 s before requests queue")


def check_saves(accepted: Counter, import_codes: list[str]) -> bool:
    from survey.models import Job

    stored = data.version_counts(list(accepted) + import_codes)
    short = {org: (n, stored.get(org, 0)) for org, n in accepted.items() if stored.get(org, 0) < n}
    extra = sum(stored.get(org, 0) - n for org, n in accepted.items())
    say(f"\n== saves: {sum(accepted.values())} accepted for {len(accepted)} organisations; "
        f"{sum(stored.get(o, 0) for o in accepted)} versions stored; missing: {len(short)} organisations"
        + (f" {dict(list(short.items())[:5])}" if short else "")
        + (f"; {extra} stored beyond the accepted (saves cut off by the end of a run)" if extra else ""))
    doubled = {c: n for c, n in stored.items() if c in import_codes and n != 1}
    jobs = list(Job.objects.filter(kind="sheet_import").values_list("status", flat=True))
    say(f"   bulk import: {len(import_codes)} sheets, {sum(1 for c in import_codes if stored.get(c) == 1)} stored once, "
        f"{len(doubled)} not exactly once; jobs {Counter(jobs)}")
    return not short


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--ministry", type=int, default=5)
    parser.add_argument("--sheets", type=int, default=None, help="default: half of --users")
    parser.add_argument("--hold", type=float, default=150, help="seconds after the last arrival")
    parser.add_argument("--step-seconds", type=float, default=45)
    parser.add_argument("--sat-users", type=int, default=30)
    parser.add_argument("--sat-seconds", type=float, default=40)
    parser.add_argument("--web-workers", type=int, default=5, help="sync workers per gunicorn node")
    parser.add_argument("--phases", default="deadline,ramp,saturation")
    args = parser.parse_args()
    args.sheets = args.users // 2 if args.sheets is None else args.sheets
    phases = args.phases.split(",")
    say(f"bench/load: {os.cpu_count()} CPUs, load average {loadavg()} (the machine is shared: other work counts)")
    work = Path(tempfile.mkdtemp(prefix="chosa-load-run."))
    log_dir = Path(os.environ.get("LOAD_LOG_DIR", "/tmp/test-artifacts/load"))
    with Stack(log_dir, web_workers=args.web_workers) as stack:
        stack.start()
        django_setup(stack)
        t = time.monotonic()
        officers = data.officers(args.users)
        staff = data.staff(args.ministry)
        zip_bytes, import_codes = data.sheet_zip(args.sheets, skip=args.users)
        (work / "sheets.zip").write_bytes(zip_bytes)
        (work / "plan.json").write_text(json.dumps({"officers": officers, "password": data.PASSWORD, **staff}))
        say(f"[setup] {len(officers)} officers (bulk, one hash), {args.ministry} ministry staff and an administrator "
            f"with TOTP, a zip of {len(import_codes)} sheets ({len(zip_bytes)} bytes) [{time.monotonic() - t:.0f}s]")
        accepted: Counter = Counter()
        # Warm the nodes first (each gunicorn worker's first requests load templates and code):
        # deadline day meets servers that have been up for a while. Not reported; saves counted.
        out, _, _ = run_locust(stack, work, "warmup", ["OfficerNoThink"], min(10, args.users), 20)
        for org, _, _ in out["saves"]:
            accepted[org] += 1
        if "deadline" in phases:
            deadline(stack, work, args, accepted)
        if "ramp" in phases:
            ramp(stack, work, args, accepted)
        if "saturation" in phases:
            capacity(args.users, saturation(stack, work, args, accepted))
        ok = check_saves(accepted, import_codes if "deadline" in phases else [])
    say(f"\nload average at the end: {loadavg()}; logs in {log_dir}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
