"""Faults during traffic on the two-node production stack; each prints what happened and PASS or FAIL.

    .venv/bin/python bench/load/faults.py [--only kill-import,kill-workbook,postgres,redis,disk,web-node]
    bench/run faults [...]

The stack is bench/load/stack.py's (two gunicorn nodes, two Celery workers, beat, PostgreSQL,
Redis), with the private file store on a small tmpfs of its own (`--disk-mb`, mounted here: root
only). Throughout, `--officers` simulated officers (threads) sign in and keep opening their
questionnaire and saving drafts, half a second to a second apart, each request to the next node in
turn; a request refused at connection (a dead node) goes to the other node, as nginx's
proxy_next_upstream does. Every save the portal accepted (302) is checked in the database at the
end. The faults, in order:

- kill-import: an administrator bulk-imports a zip of `--sheets` sheets; when the job has done
  some of them, the Celery worker running it is killed with SIGKILL (the worker and its pool
  child) and started again (as systemd's Restart= does). The job must finish with every sheet
  stored exactly once.
- kill-workbook: the ministry starts the aggregate workbook; while the job runs, its worker is
  killed the same way and restarted. The job must finish once, and the download must open.
- postgres / redis: the server is stopped for `--down` seconds and started again. Requests meanwhile
  must fail with the Japanese 503 page (no 500), every node must answer 2xx again by itself
  within a minute; a bulk import started while Redis is down and one started after it is back
  must both finish (the workers reconnect; Celery beat's sweep queues the job whose message
  could not be sent).
- disk: the file store is filled up; an officer's sheet upload and an administrator's bulk import
  must be refused with a Japanese message (no 500), leave no file and no new version behind, and
  work again once space is freed.
- web-node: node B's gunicorn (master and workers) is killed with SIGKILL; node A must keep
  serving every request (the officers' requests move to it); node B is started again.
"""
from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.load import data  # noqa: E402
from bench.load.stack import HOST, Stack, django_setup, say  # noqa: E402
from bench.load.totp import totp  # noqa: E402

FAULTS = ["kill-import", "kill-workbook", "postgres", "redis", "disk", "web-node"]
JAPANESE_503 = "一時的にご利用いただけません"


class Client:
    """A browser over http.client: cookies, CSRF, the proxy's headers, nodes in turn, failover."""

    def __init__(self, stack: Stack, log: list | None = None):
        self.stack = stack
        self.cookies: dict[str, str] = {}
        self.turn = random.randrange(2)
        self.log = log

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "",
                timeout: float = 60) -> tuple[int, dict, bytes, int]:
        """(status, headers, body, node index); status 0 when no node could be reached."""
        headers = {"Host": HOST, "X-Forwarded-Proto": "https", "User-Agent": "faults"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers.update({"Origin": f"https://{HOST}", "Referer": f"https://{HOST}{path}",
                            "Content-Type": content_type})
        first = self.turn % 2
        self.turn += 1
        started = time.time()
        for node in (first, 1 - first):
            conn = http.client.HTTPConnection("127.0.0.1", self.stack.ports[node], timeout=timeout)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except ConnectionRefusedError:
                continue  # nothing listens: nginx would try the other node
            except (OSError, http.client.HTTPException) as exc:
                self._log(started, method, path, node, 0, f"{type(exc).__name__}")
                return 0, {}, b"", node
            finally:
                conn.close()
            answer = {k.lower(): v for k, v in response.getheaders()}
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    pair, _, attributes = value.partition(";")
                    key, _, val = pair.strip().partition("=")
                    if "max-age=0" in attributes.lower() or val in ('""', ""):
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = val
            self._log(started, method, path, node, response.status,
                      "ja503" if response.status == 503 and JAPANESE_503 in data.decode(errors="replace") else "")
            return response.status, answer, data, node
        self._log(started, method, path, -1, 0, "refused by both nodes")
        return 0, {}, b"", -1

    def _log(self, started, method, path, node, status, note):
        if self.log is not None:  # (started, method, path, node, status, note, ended)
            self.log.append((started, method, path, node, status, note, time.time()))

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, fields, **kw):
        return self.request("POST", path, urlencode(fields, doseq=True).encode(), "application/x-www-form-urlencoded",
                            **kw)

    def post_file(self, path: str, fields: dict, field: str, filename: str, payload: bytes, **kw):
        boundary = uuid.uuid4().hex
        out = io.BytesIO()
        for key, value in fields.items():
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                  f"Content-Type: application/octet-stream\r\n\r\n".encode())
        out.write(payload + f"\r\n--{boundary}--\r\n".encode())
        return self.request("POST", path, out.getvalue(), f"multipart/form-data; boundary={boundary}", **kw)

    @staticmethod
    def csrf(html: bytes) -> str:
        m = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        return m.group(1).decode() if m else ""

    def sign_in(self, email: str, totp_key: str | None = None) -> bool:
        for _ in range(30):
            status, _, page, _ = self.get("/accounts/login/")
            if status == 200:
                break
            time.sleep(1)
        status, headers, _, _ = self.post("/accounts/login/", {"csrfmiddlewaretoken": self.csrf(page),
                                                               "username": email, "password": data.PASSWORD})
        location = headers.get("location", "")
        if status != 302 or "/accounts/login/" in location:
            return False
        if "/accounts/two-factor/" in location and totp_key:
            path = urlsplit(location).path
            _, _, page, _ = self.get(path)
            status, _, _, _ = self.post(path, {"csrfmiddlewaretoken": self.csrf(page), "code": totp(totp_key)})
            return status == 302
        return True


class Traffic:
    """Officers opening their questionnaire and saving drafts until stopped; records every request."""

    def __init__(self, stack: Stack, officers: list[dict]):
        self.stack = stack
        self.officers = officers
        self.log: list = []
        self.accepted: Counter = Counter()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(o,), daemon=True) for o in officers]

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)

    def _run(self, officer: dict):
        client = Client(self.stack, self.log)
        while not self.stop.is_set() and not client.sign_in(officer["email"]):
            time.sleep(1)
        rng = random.Random(officer["email"])
        while not self.stop.is_set():
            status, _, page, _ = client.get(officer["base"] + "edit/")
            revision = re.search(rb'name="base_revision" value="(\d+)"', page)
            if status == 200 and revision:
                time.sleep(rng.uniform(0.5, 1.0))
                fields = [*officer["draft"], ("base_revision", revision.group(1).decode()),
                          ("csrfmiddlewaretoken", client.csrf(page))]
                status, _, _, _ = client.post(officer["base"] + "edit/", fields)
                if status == 302:
                    self.accepted[officer["org"]] += 1
            time.sleep(rng.uniform(0.5, 1.0))

    def window(self, start: float, end: float) -> Counter:
        return Counter((row[4], row[5]) for row in self.log if start <= row[0] < end)


def fmt_counts(counts: Counter) -> str:
    return ", ".join(f"{status}{'/' + note if note else ''}: {n}" for (status, note), n in sorted(counts.items(),
                                                                                                   key=str)) or "none"


def wait_job(client: Client, job_id: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    state = {}
    while time.monotonic() < deadline:
        status, _, body, _ = client.get(f"/jobs/{job_id}/status.json")
        if status == 200:
            state = json.loads(body)
            if state["status"] in ("done", "failed"):
                return state
        time.sleep(0.5)
    return state


def job_holder(job_id: int) -> int | None:
    """The pid holding a running job's lease (host:pid), read from the database."""
    from survey.jobs import LEASE_KEY
    from survey.models import Job

    job = Job.objects.get(pk=job_id)
    lease = (job.result or {}).get(LEASE_KEY) or {}
    owner = str(lease.get("owner", ""))
    return int(owner.rpartition(":")[2]) if job.status == Job.Status.RUNNING and owner else None


def worker_of(stack: Stack, pid: int) -> int | None:
    import psutil

    try:
        chain = [psutil.Process(pid), *psutil.Process(pid).parents()]
    except psutil.NoSuchProcess:
        return None
    for i, proc in enumerate(stack.workers):
        if proc is not None and any(p.pid == proc.pid for p in chain):
            return i
    return None


def kill_job_worker(stack: Stack, job_id: int, *, at_progress: int, timeout: float = 120) -> str:
    """Wait until the job runs (and has done `at_progress` units), then SIGKILL its worker and restart it."""
    from survey.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        pid = job_holder(job_id)
        if job.status in (Job.Status.DONE, Job.Status.FAILED):
            return f"job {job.status} before it could be killed ({job.progress}/{job.total})"
        if pid and job.progress >= at_progress:
            i = worker_of(stack, pid)
            if i is None:
                return f"lease holder {pid} is no worker of this stack"
            stack.kill_group(stack.workers[i])
            stack.start_worker(i)
            return (f"killed worker-{i + 1} (SIGKILL to its process group; job at {job.progress}/{job.total}) "
                    f"and started it again")
        time.sleep(0.05)
    return "the job never ran"


def fault_kill_import(stack, admin: Client, zip_bytes, codes) -> bool:
    from survey.models import Job

    _, _, page, _ = admin.get("/manage/imports/")
    status, headers, _, _ = admin.post_file("/manage/imports/", {"csrfmiddlewaretoken": admin.csrf(page)}, "files",
                                            "返送分.zip", zip_bytes)
    job_id = re.search(r"/(\d+)/$", headers.get("location", ""))
    if status != 302 or not job_id:
        say(f"[faults] kill-import: FAIL upload refused ({status})")
        return False
    job_id = job_id.group(1)
    t0 = time.monotonic()
    what = kill_job_worker(stack, int(job_id), at_progress=max(1, len(codes) // 4))
    state = wait_job(admin, job_id)
    counts = data.version_counts(codes, source="bulk_import")
    once = sum(1 for c in codes if counts.get(c) == 1)
    job = Job.objects.get(pk=job_id)
    ok = state.get("status") == "done" and once == len(codes) and "killed" in what
    say(f"[faults] kill-import: {'PASS' if ok else 'FAIL'} — {what}; job {state.get('status')} after "
        f"{time.monotonic() - t0:.1f} s ({job.progress}/{job.total}); {once}/{len(codes)} sheets stored exactly once, "
        f"{sum(1 for c in codes if counts.get(c, 0) > 1)} doubled, {sum(1 for c in codes if not counts.get(c))} missing; "
        f"{(state.get('messages') or [''])[-1]}")
    return ok


def fault_kill_workbook(stack, ministry: Client, staff) -> bool:
    from survey.models import Job

    path = f"/aggregation/rounds/{staff['round']}/exports/"
    _, _, page, _ = ministry.get(path)
    before = Job.objects.count()
    status, headers, _, _ = ministry.post(path, {"csrfmiddlewaretoken": ministry.csrf(page), "format": "xlsx"})
    job_id = re.search(r"/(\d+)/$", headers.get("location", ""))
    if status != 302 or not job_id:
        say(f"[faults] kill-workbook: FAIL export refused ({status})")
        return False
    job_id = job_id.group(1)
    t0 = time.monotonic()
    what = kill_job_worker(stack, int(job_id), at_progress=0)
    state = wait_job(ministry, job_id)
    book = b""
    if state.get("download_url"):
        _, _, book, _ = ministry.get(state["download_url"])
    sheets = []
    try:
        import openpyxl

        sheets = openpyxl.load_workbook(io.BytesIO(book), read_only=True).sheetnames
    except (zipfile.BadZipFile, OSError, KeyError):
        pass
    new_jobs = Job.objects.count() - before
    ok = state.get("status") == "done" and bool(sheets) and new_jobs == 1 and "killed" in what
    say(f"[faults] kill-workbook: {'PASS' if ok else 'FAIL'} — {what}; job {state.get('status')} after "
        f"{time.monotonic() - t0:.1f} s; jobs created {new_jobs}; download {len(book)} bytes, "
        f"{len(sheets)} sheets ({', '.join(sheets[:3])}…)")
    return ok


def _recovery(stack: Stack, traffic: Traffic, name: str, down: float, stop, start, after=None,
              while_down=None) -> bool:
    t_stop = time.time()
    stop()
    started_down = time.monotonic()
    pending = while_down() if while_down else None
    time.sleep(max(0.0, down - (time.monotonic() - started_down)))
    t_start = time.time()
    start()
    from django.db import connections

    connections.close_all()  # this script's own connection did not survive a database restart
    # Every node is ready again by itself (nothing restarted but the server).
    recovered = {}
    deadline = time.time() + 60
    while time.time() < deadline and len(recovered) < 2:
        for node in (0, 1):
            if node in recovered:
                continue
            conn = http.client.HTTPConnection("127.0.0.1", stack.ports[node], timeout=10)
            try:
                conn.request("GET", "/readyz", headers={"Host": HOST})
                if conn.getresponse().status == 200:
                    recovered[node] = time.time() - t_start
            except OSError:
                pass
            finally:
                conn.close()
        time.sleep(0.5)
    time.sleep(5)
    t_end = time.time()
    during = traffic.window(t_stop, t_start + 1)
    after_counts = traffic.window(t_start + max(recovered.values(), default=60) + 1, t_end)
    fives = sum(n for (status, _), n in during.items() if status >= 500)
    ja = sum(n for (status, note), n in during.items() if note == "ja503")
    no500 = not any(status == 500 for (status, _), _ in [(k, v) for k, v in during.items()])
    after_ok = all(status in (200, 302) for (status, _), _ in after_counts.items())
    extra_ok, extra = True, ""
    if after is not None:
        extra_ok, extra = after(pending)
    ok = len(recovered) == 2 and no500 and ja == fives and after_ok and extra_ok
    say(f"[faults] {name}: {'PASS' if ok else 'FAIL'} — down {down:.0f} s; during: {fmt_counts(during)}; "
        f"{ja}/{fives} 5xx were the Japanese 503 page; /readyz 200 again on "
        + ", ".join(f"node {'AB'[n]} after {t:.1f} s" for n, t in sorted(recovered.items()))
        + f"; afterwards: {fmt_counts(after_counts)}" + (f"; {extra}" if extra else ""))
    return ok


def _start_import(probe: Client, zip_bytes: bytes, name: str) -> tuple[int, str]:
    _, _, page, _ = probe.get("/manage/imports/")
    status, headers, _, _ = probe.post_file("/manage/imports/", {"csrfmiddlewaretoken": probe.csrf(page)},
                                            "files", name, zip_bytes)
    job_id = re.search(r"/(\d+)/$", headers.get("location", ""))
    return status, job_id.group(1) if status == 302 and job_id else ""


def _imports_around_outage(probe: Client, zip_during: bytes, zip_after: bytes):
    """An import started while Redis is down, and one after: both must finish by themselves."""
    def during():
        return _start_import(probe, zip_during, "停止中.zip")

    def check(pending) -> tuple[bool, str]:
        status_during, job_during = pending
        status, job_after = _start_import(probe, zip_after, "再送.zip")
        after = wait_job(probe, job_after, timeout=120) if job_after else {}
        waited = time.monotonic()
        first = wait_job(probe, job_during, timeout=150) if job_during else {}
        ok = after.get("status") == "done" and first.get("status") == "done"
        return ok, (f"an import started while down: {status_during}, job {first.get('status', '-')} "
                    f"{time.monotonic() - waited:.0f} s after the next one finished; one started afterwards: "
                    f"{status} {after.get('status', 'not finished')}")
    return during, check


def fault_disk(stack: Stack, admin: Client, officer: dict, sheet: bytes, zip_bytes: bytes) -> bool:
    from survey.models import Job

    root = Path(stack.env()["PRIVATE_STORAGE_ROOT"])
    filler = root / "filler.bin"
    files_before = {p for p in root.rglob("*") if p.is_file()}
    codes = [officer["org"]]
    versions_before = data.version_counts(codes).get(officer["org"], 0)
    jobs_before = Job.objects.count()
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M", "status=none"], check=False)  # until ENOSPC
    officer_client = Client(stack)
    officer_client.sign_in(officer["email"])
    upload = officer["base"].rstrip("/") + "/upload/"
    _, _, page, _ = officer_client.get(upload)
    s1, _, body1, _ = officer_client.post_file(upload, {"csrfmiddlewaretoken": officer_client.csrf(page)}, "file",
                                               "回答.xlsx", sheet)
    _, _, page, _ = admin.get("/manage/imports/")
    s2, h2, body2, _ = admin.post_file("/manage/imports/", {"csrfmiddlewaretoken": admin.csrf(page)}, "files",
                                      "返送分.zip", zip_bytes)
    if s2 == 302:  # accepted after all: what the job page says
        _, _, body2, _ = admin.get(urlsplit(h2.get("location", "")).path)
    files_full = {p for p in root.rglob("*") if p.is_file()} - files_before - {filler}
    versions_full = data.version_counts(codes).get(officer["org"], 0)
    jobs_full = Job.objects.count()
    filler.unlink()
    _, _, page, _ = officer_client.get(upload)
    s3, _, _, _ = officer_client.post_file(upload, {"csrfmiddlewaretoken": officer_client.csrf(page)}, "file",
                                           "回答.xlsx", sheet)
    versions_after = data.version_counts(codes).get(officer["org"], 0)

    def said(body: bytes) -> str:
        text = body.decode(errors="replace")
        for pattern in (r'class="[^"]*alert[^"]*"[^>]*>\s*(.*?)<', r'<h1[^>]*>(.*?)</h1>', r"<li>(.*?)</li>"):
            m = re.search(pattern, text, re.S)
            if m and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", m.group(1)):
                return re.sub(r"\s+", " ", m.group(1)).strip()[:90]
        return text[:60]

    clear = all(s not in (0, 500) and s >= 400 for s in (s1, s2))
    ok = clear and not files_full and versions_full == versions_before and jobs_full == jobs_before \
        and s3 in (200, 302) and versions_after == versions_before + 1
    say(f"[faults] disk: {'PASS' if ok else 'FAIL'} — store full ({stack.disk_mb} MB tmpfs): officer's sheet upload "
        f"{s1} 「{said(body1)}」, bulk import {s2} 「{said(body2)}」; left behind: {len(files_full)} files "
        f"{sorted(str(p.relative_to(root)) for p in files_full)[:3]}, {versions_full - versions_before} versions, "
        f"{jobs_full - jobs_before} jobs; after freeing space the upload gives {s3} "
        f"({versions_after - versions_before} new version)")
    return ok


def fault_web_node(stack: Stack, traffic: Traffic) -> bool:
    t_kill = time.time()
    stack.kill_group(stack.web[1])
    time.sleep(15)
    t_end = time.time()
    rows = [r for r in traffic.log if t_kill <= r[0] < t_end]
    by_node = Counter((r[3], r[4]) for r in rows)
    served_a = sum(n for (node, status), n in by_node.items() if node == 0 and status in (200, 302))
    # Requests node B held when it died (being served or waiting in its listen queue): started before
    # the kill, ended without an answer after it. A proxy retries such a GET on the other node; a POST
    # is not retried (it may have been stored: the saves check counts it).
    held = [r for r in traffic.log if r[0] < t_kill <= r[6] and r[3] == 1 and r[4] == 0]
    failed = [r for r in rows if r[4] == 0 or r[4] >= 500] + held
    settled = [r for r in rows if r[0] > t_kill + 1 and (r[4] == 0 or r[4] >= 500)]
    ready_a = stack.ready(0, "/healthz")
    readyz_a = stack.ready(0)
    stack.start_node(1)
    stack.wait_ready(1)
    ok = served_a > 0 and not settled and ready_a == 200
    say(f"[faults] web-node: {'PASS' if ok else 'FAIL'} — node B killed (SIGKILL to master and workers); in the "
        f"next 15 s node A served {served_a} requests, "
        f"{len(failed)} failed ({len(failed) - len(settled)} in flight on node B at the kill, {len(settled)} after); "
        f"node A /healthz {ready_a}, /readyz {readyz_a}; node B started again and ready")
    return ok


def _fault_at(marks: list, t: float) -> str:
    """The fault under way (or last begun) at time t."""
    return max((m for m in marks if m[0] <= t), default=marks[0])[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(FAULTS))
    parser.add_argument("--officers", type=int, default=20, help="simulated officers saving drafts meanwhile")
    parser.add_argument("--sheets", type=int, default=200, help="sheets in the bulk import that is interrupted")
    parser.add_argument("--down", type=float, default=8, help="seconds PostgreSQL / Redis stay down")
    parser.add_argument("--disk-mb", type=int, default=48, help="size of the file store's tmpfs")
    args = parser.parse_args()
    chosen = args.only.split(",")
    say(f"bench/load/faults: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        f"(the machine is shared)")
    log_dir = Path(os.environ.get("LOAD_LOG_DIR", "/tmp/test-artifacts/faults"))
    results = {}
    with Stack(log_dir, web_workers=3, private_mount_mb=args.disk_mb) as stack:
        stack.start(seed_responses=150)
        django_setup(stack)
        officers = data.officers(args.officers + 1)
        staff = data.staff(1)
        zip_bytes, codes = data.sheet_zip(args.sheets, skip=args.officers + 1)
        small_zip, _ = data.sheet_zip(5, skip=args.officers + 1 + args.sheets, seed=8)
        outage_zip, _ = data.sheet_zip(3, skip=args.officers + 6 + args.sheets, seed=10)
        sheet_zip, _ = data.sheet_zip(1, skip=args.officers, seed=9)
        with zipfile.ZipFile(io.BytesIO(sheet_zip)) as zf:
            one_sheet = zf.read(zf.namelist()[0])
        admin, ministry = Client(stack), Client(stack)
        if not (admin.sign_in(staff["admin"], staff["totp_key"])
                and ministry.sign_in(staff["ministry"][0], staff["totp_key"])):
            raise SystemExit("staff sign-in failed")
        traffic = Traffic(stack, officers[:args.officers])
        marks = [(time.time(), "before the faults")]
        traffic.start()
        time.sleep(5)
        say(f"[faults] {args.officers} officers saving drafts meanwhile; {len(codes)} sheets to import")
        if "kill-import" in chosen:
            marks.append((time.time(), "kill-import"))
            results["kill-import"] = fault_kill_import(stack, admin, zip_bytes, codes)
        if "kill-workbook" in chosen:
            marks.append((time.time(), "kill-workbook"))
            results["kill-workbook"] = fault_kill_workbook(stack, ministry, staff)
        if "postgres" in chosen:
            marks.append((time.time(), "postgres"))
            results["postgres"] = _recovery(stack, traffic, "postgres", args.down, stack.stop_postgres,
                                            stack.start_postgres)
        if "redis" in chosen:
            marks.append((time.time(), "redis"))
            during, check = _imports_around_outage(admin, outage_zip, small_zip)
            results["redis"] = _recovery(stack, traffic, "redis", args.down, stack.stop_redis, stack.start_redis,
                                         after=check, while_down=during)
        if "disk" in chosen:
            marks.append((time.time(), "disk"))
            results["disk"] = fault_disk(stack, admin, officers[args.officers], one_sheet, small_zip)
        if "web-node" in chosen:
            marks.append((time.time(), "web-node"))
            results["web-node"] = fault_web_node(stack, traffic)
        traffic.finish()
        stored = data.version_counts(list(traffic.accepted))
        lost = {o: (n, stored.get(o, 0)) for o, n in traffic.accepted.items() if stored.get(o, 0) < n}
        total = Counter(r[4] for r in traffic.log)
        results["saves"] = not lost
        say(f"[faults] saves: {'PASS' if not lost else 'FAIL'} — {sum(traffic.accepted.values())} drafts accepted "
            f"during the faults, {sum(stored.get(o, 0) for o in traffic.accepted)} versions stored, "
            f"{len(lost)} organisations missing some; all requests by status: {dict(sorted(total.items()))}")
        # Each failure under the fault during which its answer came (or did not): a request sent just
        # before a fault began fails because of it.
        failed = Counter((_fault_at(marks, r[6]), r[4], r[1], r[5]) for r in traffic.log if r[4] == 0 or r[4] >= 500)
        for (fault, status, method, note), n in sorted(failed.items()):
            say(f"[faults]   {n} × {method} {'without an answer' if status == 0 else status} during {fault}"
                f"{f' ({note})' if note else ''}")
        begun = dict((name, t) for t, name in marks)
        for r in traffic.log:
            if r[4] == 0:
                fault = _fault_at(marks, r[6])
                say(f"[faults]     {fault} +{r[6] - begun[fault]:.1f} s: {r[1]} {r[2]} on node {'AB'[r[3]] if r[3] >= 0 else '-'}"
                    f" ({r[5]}; sent {r[6] - r[0]:.1f} s before)")
    say(f"[faults] {'PASSED' if all(results.values()) else 'FAILED'}: "
        + ", ".join(f"{k} {'ok' if v else 'FAIL'}" for k, v in results.items())
        + f"; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
