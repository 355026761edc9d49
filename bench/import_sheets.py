"""Benchmark: bulk import of returned answer sheets into PostgreSQL, through the real import path.

    DATABASE_URL=postgres://... .venv/bin/python bench/import_sheets.py [--count 2000]

1. Prepares the database (migrate, the organisation master, the survey, a fresh open round).
2. Writes --count filled sheets with the portal's own writer (valid random answers), one per
   organisation of the master; past the master's 1,788 organisations the rest are changed
   re-sends (new versions) of the first ones. Not timed.
3. Imports them as the web does: one zip, stored privately, a "sheet_import" job run by
   survey.jobs.run_job (reader pool, chunked transactions, checkpoints, report). Timed, with the
   peak RSS of this process plus its children (sampled from /proc every 20 ms).
4. In the same run, a bare parse of the same files with python-calamine (what reading alone costs).
5. A single upload answered: one officer's sheet POSTed to the upload page (Django test client,
   the full view + service + reader path), median of --single-runs.

Targets on 2 cores: 2,000 sheets in < 15 s and < 300 MB; a single upload < 200 ms.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="sheets to import (default 2000)")
    parser.add_argument("--single-runs", type=int, default=15, help="single uploads to time (median printed)")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--allow-sqlite", action="store_true", help="run without PostgreSQL (figures not comparable)")
    return parser.parse_args()


# --- memory ---------------------------------------------------------------------------------------


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _rss_kb(pid: int) -> int:
    """Resident set size in KB (statm's second field: the VmRSS of /proc/PID/status, read
    cheaply; the sampler runs in the measured process, every 20 ms)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE_KB
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return 0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children", "rb") as fh:
                    children = fh.read().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
    return found


def _unexecuted_fork(pid: int, rss_kb: int, own_kb: int) -> bool:
    """A child caught between fork and exec (a reader worker starting): it shares this process's
    pages and shows its RSS, which counted it twice. Only a child as large as this process is
    asked (a reader worker after exec has its own command line)."""
    if rss_kb < own_kb // 2:
        return False
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes() == Path(f"/proc/{os.getpid()}/cmdline").read_bytes()
    except OSError:
        return False


class PeakRss:
    """Samples RSS of this process and all its descendants; `peak_mb` after `stop()`."""

    def __init__(self, interval: float = 0.02):
        self.interval, self.peak_kb, self._stop = interval, 0, threading.Event()
        self.at_peak: tuple[int, list[int]] = (0, [])
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = os.getpid()
        while not self._stop.is_set():
            own = _rss_kb(me)
            sizes = [(p, _rss_kb(p)) for p in _descendants(me)]
            children = [kb for p, kb in sizes if not _unexecuted_fork(p, kb, own)]
            if own + sum(children) > self.peak_kb:
                self.peak_kb, self.at_peak = own + sum(children), (own, children)
            self._stop.wait(self.interval)

    def breakdown(self) -> str:
        """This process's and each child's RSS when the sum peaked."""
        own, children = self.at_peak
        return f"this process {own / 1024:.0f} MB + children " + " + ".join(f"{c / 1024:.0f}" for c in children) + " MB"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


# --- preparation ------------------------------------------------------------------------------------


def prepare(count: int, seed: int):
    """Migrate, load the master and the survey, create a fresh round; returns (round, orgs, admin, officer)."""
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from survey.models import Organization, Role, User
    from survey.services.rounds import default_definition_path, round_create, survey_version_load

    call_command("migrate", verbosity=0)
    if Organization.objects.filter(is_active=True).count() < 1700:
        call_command("load_organizations", verbosity=0, stdout=io.StringIO())
    survey, _ = survey_version_load(default_definition_path())
    rnd = round_create(survey=survey, title=f"ベンチマーク {timezone.now():%Y-%m-%d %H:%M:%S}",
                       deadline=timezone.now() + dt.timedelta(days=14), scheme=survey.engine.scheme)
    orgs = list(Organization.objects.filter(is_active=True).order_by("code"))
    admin = User.objects.filter(email="bench-admin@example.jp").first() or User.objects.create_user(
        "bench-admin@example.jp", None, name="ベンチ 管理者", role=Role.ADMIN)
    single_org = orgs[-1]
    officer = User.objects.filter(email="bench-officer@example.jp").first() or User.objects.create_user(
        "bench-officer@example.jp", None, name="ベンチ 担当者", role=Role.OFFICER, organization=single_org)
    if officer.organization_id != single_org.pk:
        officer.organization = single_org
        officer.save()
    return rnd, orgs, admin, officer


def _sheet_job(args):
    """(name, bytes) of one filled sheet; runs in a forked generator process (pure: no database)."""
    context, defn, org_kind, section, seq, seed = args
    from survey.synthetic import random_answers, random_respondent
    from survey.workbook import write_answer_sheet

    rng = random.Random(seed * 100_003 + seq)
    answers = random_answers(defn, org_kind, rng)
    respondent = random_respondent(context.org_display_name, section, rng, domain="example.lg.jp")
    respondent["担当部署名"] += f" 送付{seq}"
    return f"{context.org_code}_{seq}.xlsx", write_answer_sheet(defn, context=context, answers=answers,
                                                                respondent=respondent)


def generate(rnd, orgs, count: int, seed: int) -> list[tuple[str, bytes]]:
    """`count` filled sheets: every organisation once, then changed re-sends of the first ones."""
    import multiprocessing

    from django.db import connections

    from survey.models import RoundTarget
    from survey.services.sheets import sheet_context

    targets = {t.organization_id: t for t in RoundTarget.objects.filter(round=rnd).select_related("organization")}
    defn = rnd.survey.engine
    jobs = []
    for seq in range(count):
        target = targets[orgs[seq % len(orgs)].pk]
        target.round = rnd
        jobs.append((sheet_context(target), defn, target.organization.engine_kind,
                     target.organization.section_label, seq, seed))
    connections.close_all()  # the forked generators must not share the database connection
    with multiprocessing.get_context("fork").Pool(os.cpu_count()) as pool:
        return pool.map(_sheet_job, jobs, chunksize=25)


# --- measurements -----------------------------------------------------------------------------------


def bench_import(sheets: list[tuple[str, bytes]], admin) -> dict:
    """The web bulk import path: zip -> private storage -> job -> run_job. Timed with peak RSS."""
    from survey import jobs
    from survey.models import Job, ResponseVersion
    from survey.services import sheets as service

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in sheets:
            zf.writestr(name, data)
    zipped = buffer.getvalue()
    del buffer
    versions_before = ResponseVersion.objects.count()
    enqueue, jobs.job_enqueue = jobs.job_enqueue, lambda job_id: None  # run it here, timed
    try:
        with PeakRss() as rss:
            cpu_before, db_before = _cpu(), _database_cpu()
            start = time.perf_counter()
            job = service.sheets_import_job_create(uploads=[("返送分.zip", zipped)], acting_user=admin)
            jobs.run_job(job.pk)
            seconds = time.perf_counter() - start
            cpu = [after - before for after, before in zip(_cpu(), cpu_before, strict=True)]
            db_after = _database_cpu()
    finally:
        jobs.job_enqueue = enqueue
    job = Job.objects.get(pk=job.pk)
    db_cpu = None if db_before is None or db_after is None else db_after - db_before
    return {"seconds": seconds, "peak_mb": rss.peak_mb, "peak_parts": rss.breakdown(), "cpu": cpu, "db_cpu": db_cpu, "summary": job.result.get("summary"),
            "status": job.status, "versions": ResponseVersion.objects.count() - versions_before,
            "messages": [m["text"] for m in job.messages]}


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its finished children (the reader workers, once closed)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def _database_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend process so far (None when it is not
    a process of this machine that /proc shows)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def bench_calamine(sheets: list[tuple[str, bytes]]) -> float:
    """A bare parse of the same files with python-calamine (every sheet, every row)."""
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    for _, data in sheets:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for index in range(len(book.sheet_names)):
            book.get_sheet_by_index(index).to_python(skip_empty_area=False)
    return time.perf_counter() - start


def bench_single_upload(rnd, officer, runs: int, seed: int) -> list[float]:
    """One officer's sheet POSTed to the upload page; the time until the answer (a redirect)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from survey.models import RoundTarget
    from survey.services.sheets import sheet_context
    from survey.synthetic import random_answers, random_respondent
    from survey.workbook import write_answer_sheet

    target = RoundTarget.objects.select_related("organization", "round__survey").get(round=rnd, organization=officer.organization)
    defn, org = rnd.survey.engine, target.organization
    rng = random.Random(seed)
    client = Client()
    client.force_login(officer)
    session = client.session
    session["portal_login_at"] = time.time()
    session.save()
    url = reverse("sheet_upload", kwargs={"round_id": rnd.pk, "org_code": org.code})
    times = []
    for i in range(runs + 1):
        respondent = random_respondent(org.display_name, org.section_label, rng, domain="example.lg.jp")
        respondent["担当部署名"] += f" 単体{i}"
        data = write_answer_sheet(defn, context=sheet_context(target), answers=random_answers(defn, org.engine_kind, rng),
                                  respondent=respondent)
        start = time.perf_counter()
        response = client.post(url, {"file": SimpleUploadedFile("回答シート.xlsx", data)})
        elapsed = time.perf_counter() - start
        if response.status_code != 302:
            raise SystemExit(f"single upload failed: {response.status_code}\n{response.content.decode()[:3000]}")
        if i:  # the first one warms up the reader pool
            times.append(elapsed)
    return times


def main():
    args = parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql" and not args.allow_sqlite:
        raise SystemExit("bench/import_sheets.py: set DATABASE_URL to a PostgreSQL database (see bench/README.md)")
    private = tempfile.TemporaryDirectory(prefix="bench-private-")
    settings.PRIVATE_STORAGE_ROOT = Path(private.name)

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, database {connection.vendor} "
          f"{connection.settings_dict.get('HOST') or ''}:{connection.settings_dict.get('PORT') or ''}")
    rnd, orgs, admin, officer = prepare(args.count, args.seed)
    start = time.perf_counter()
    sheets = generate(rnd, orgs, args.count, args.seed)
    distinct = min(args.count, len(orgs))
    print(f"generated {len(sheets)} filled sheets ({distinct} organisations, {len(sheets) - distinct} re-sends), "
          f"{sum(len(d) for _, d in sheets) / len(sheets) / 1024:.1f} KB each, in {time.perf_counter() - start:.1f} s (not timed)")

    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    result = bench_import(sheets, admin)
    print(f"import (web bulk path: zip -> job -> reader pool -> PostgreSQL): {result['seconds']:.2f} s, "
          f"{len(sheets) / result['seconds']:.0f} sheets/s, peak RSS {result['peak_mb']:.0f} MB ({result['peak_parts']})")
    print(f"  job {result['status']}: {result['summary']}; versions created: {result['versions']}")
    db = "not measured" if result["db_cpu"] is None else f"{result['db_cpu']:.1f} s"
    print(f"  CPU: this process {result['cpu'][0]:.2f} s, reader workers {result['cpu'][1]:.2f} s, "
          f"PostgreSQL backend {db}; load average (1/5/15 min) before: {load}, after: "
          + "/".join(f"{x:.1f}" for x in os.getloadavg()))
    cpu_before = time.process_time()
    seconds = bench_calamine(sheets)
    parse_cpu = time.process_time() - cpu_before
    print(f"bare parse with python-calamine of the same {len(sheets)} files: {seconds:.2f} s, CPU {parse_cpu:.2f} s "
          f"({len(sheets) / seconds:.0f} sheets/s)")
    print(f"ratio import / bare parse: wall {result['seconds'] / seconds:.1f}x, "
          f"CPU (this process + readers) {sum(result['cpu']) / parse_cpu:.1f}x")
    times = bench_single_upload(rnd, officer, args.single_runs, args.seed)
    print(f"single upload answered (POST upload page -> draft version): median {statistics.median(times) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms over {len(times)} uploads")
    ok = result["status"] == "done" and result["summary"]["imported"] == len(sheets)
    private.cleanup()
    if not ok:
        raise SystemExit(f"the import did not take every sheet: {result}")


if __name__ == "__main__":
    main()
