"""Benchmark: where the bulk import's CPU goes, per process and per step, without the sheets' generation each run.

    DATABASE_URL=postgres://... .venv/bin/python bench/import_steps.py [--count 2000]
        [--step survey.services.versions:versions_create_many ...] [--wall]

Prepares the database as bench/import_sheets.py does (a fresh open round), writes the sheets
with its generator once and keeps them in a pickle under the system's temporary folder (keyed by
count and round id: a fresh database gives the same round id, so later runs reuse them), zips
them and runs the web's bulk import job (`survey.jobs.run_job`) in this process. Prints one
line: wall seconds and the CPU seconds of the main thread, of this process, of the reader
workers (children), of this connection's PostgreSQL backend and their total, with the load
average before. Each `--step MODULE:NAME` (NAME may be Class.method) is wrapped and its CPU
seconds on the main thread (`--wall`: wall seconds) and calls are printed, largest first (nested
steps count in both); `--step-database` adds the PostgreSQL backend's CPU meanwhile. Also the main thread's time in garbage collection. `--profile FILE`
writes a cProfile of the main thread's job (its CPU figures then include the profiler's cost).

Compare two trees by running each tree's copy of this script alternately on one database
server, a fresh database each run (the CPU seconds survive a shared machine better than the
wall time).
"""
from __future__ import annotations

import argparse
import collections
import functools
import gc
import importlib
import io
import os
import pickle
import resource
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# From the tree's own folder: Celery imports the project's modules from the working directory
# first, so a second tree's script run from elsewhere would time the other tree's code.
os.chdir(ROOT)
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--step", action="append", default=[], help="MODULE:NAME to time (repeatable)")
    parser.add_argument("--wall", action="store_true", help="time the steps in wall seconds, not CPU")
    parser.add_argument("--step-database", action="store_true",
                        help="also the PostgreSQL backend's CPU during each step (reads /proc twice a call)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the main thread's job into FILE (pstats)")
    return parser.parse_args()


class Steps:
    """Wrapped functions' time and calls on the main thread."""

    def __init__(self, wall: bool):
        self.clock = time.perf_counter if wall else time.thread_time
        self.main = threading.get_ident()
        self.spent: collections.Counter = collections.Counter()
        self.calls: collections.Counter = collections.Counter()
        self.database: collections.Counter = collections.Counter()
        self.backend: Path | None = None  # /proc/PID/stat of this connection's PostgreSQL backend

    def watch_database(self) -> None:
        """Also count the PostgreSQL backend's CPU during each step (clock ticks: 10 ms each, so
        only a sum over many calls says something)."""
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.backend = Path(f"/proc/{cursor.fetchone()[0]}/stat")

    def _database_cpu(self) -> float:
        if self.backend is None:
            return 0.0
        fields = self.backend.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wrap(self, spec: str) -> None:
        module_name, _, attr = spec.partition(":")
        owner = importlib.import_module(module_name)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        fn = getattr(owner, name)
        label = f"{module_name.rsplit('.', 1)[-1]}.{attr}"

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            if threading.get_ident() != self.main:
                return fn(*args, **kwargs)
            database = self._database_cpu()
            start = self.clock()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[label] += self.clock() - start
                self.database[label] += self._database_cpu() - database
                self.calls[label] += 1

        setattr(owner, name, timed)


class Statements:
    """SQL statements this connection sent during the job, and their text's characters (a
    measure that does not depend on the machine's load)."""

    def __init__(self):
        self.count = self.chars = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        self.chars += len(sql)
        return execute(sql, params, many, context)


class GcTime:
    """Main-thread CPU seconds spent in garbage collections, by generation."""

    def __init__(self):
        self.main, self.seconds, self.started = threading.get_ident(), 0.0, 0.0
        self.count: collections.Counter = collections.Counter()
        gc.callbacks.append(self)

    def __call__(self, phase, info):
        if threading.get_ident() != self.main:
            return
        if phase == "start":
            self.started = time.thread_time()
        else:
            self.seconds += time.thread_time() - self.started
            self.count[info["generation"]] += 1


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    args = parse_args()
    import django

    django.setup()
    import import_sheets as bench
    from django.conf import settings

    private = tempfile.TemporaryDirectory(prefix="bench-private-")
    settings.PRIVATE_STORAGE_ROOT = Path(private.name)
    rnd, orgs, admin, _officer = bench.prepare(args.count, args.seed)
    cache = Path(tempfile.gettempdir()) / f"chosa-bench-sheets-{args.count}-{args.seed}-r{rnd.pk}.pickle"
    if cache.exists():
        sheets = pickle.loads(cache.read_bytes())
    else:
        sheets = bench.generate(rnd, orgs, args.count, args.seed)
        cache.write_bytes(pickle.dumps(sheets))
    from survey import jobs
    from survey.models import Job
    from survey.services import sheets as service

    steps = Steps(args.wall)
    for spec in args.step:
        steps.wrap(spec)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in sheets:
            zf.writestr(name, data)
    jobs.job_enqueue = lambda job_id: None  # run here
    job = service.sheets_import_job_create(uploads=[("返送分.zip", buffer.getvalue())], acting_user=admin)
    del buffer
    if args.step_database:
        steps.watch_database()
    collections_ = GcTime()
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    db_before, children_before = bench._database_cpu(), _children_cpu()
    start, thread_before, process_before = time.perf_counter(), time.thread_time(), time.process_time()
    from django.db import connection

    statements = Statements()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.thread_time)  # CPU, not the waits
        profiler.enable()
    with connection.execute_wrapper(statements):
        jobs.run_job(job.pk)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    wall = time.perf_counter() - start
    main_thread, process = time.thread_time() - thread_before, time.process_time() - process_before
    readers, db_after = _children_cpu() - children_before, bench._database_cpu()
    db = db_after - db_before if db_before is not None and db_after is not None else 0.0  # 0: not measured
    job = Job.objects.get(pk=job.pk)
    print(f"{ROOT.name}: {args.count} sheets, job {job.status} {job.result.get('summary')}, "
          f"{service.IMPORT_CHUNK} per transaction, code from {Path(service.__file__).parents[2]}")
    print(f"  wall {wall:.2f} s; CPU s: main thread {main_thread:.2f}, this process {process:.2f}, "
          f"reader workers {readers:.2f}, PostgreSQL {db:.2f}, total {process + readers + db:.2f}; load before {load}")
    print(f"  SQL statements through Django: {statements.count} ({statements.chars / 1e6:.1f} M characters of SQL text)")
    print(f"  garbage collection on the main thread: {collections_.seconds:.3f} s ({dict(collections_.count)})")
    for label, seconds in steps.spent.most_common():
        database = f"  (PostgreSQL {steps.database[label]:.2f} s)" if args.step_database else ""
        print(f"  {seconds:7.3f} s {steps.calls[label]:6d}  {label}{database}")
    private.cleanup()


if __name__ == "__main__":
    main()
