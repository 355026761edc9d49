"""Reading returned sheets in child processes with a memory limit and a time limit.

A hostile workbook can make a native reader allocate without bound (calamine aborts the whole
process when an allocation fails) or spin; so stage 1 of reading (`extract.extract_sheet`)
runs in a worker process under RLIMIT_AS, and the parent gives up on it after a timeout. The
parent then does stage 2 (`reader.interpret`), so `resolve_org` may use the database.

Workers are plain subprocesses (`python -m survey.workbook.worker`, about 0.3 s to start) kept
warm and recycled after a number of files. A batch uses its own `SheetReaderPool`; single
uploads borrow a worker each from a small lender, so one slow file holds no one else's upload.
"""

from __future__ import annotations

import hashlib
import os
import queue
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path

from survey.engine import Definition

from . import messages as msg
from .reader import MinistryValues, OrgKindOf, ResolveOrg, interpret, rejected_result
from .safety import DEFAULT_LIMITS, Limits

DEFAULT_TIMEOUT = 20.0
DEFAULT_MEMORY_MB = 768
# Files a worker reads before it is replaced (hygiene against slow leaks in the native reader; its
# memory is bounded by RLIMIT_AS anyway). A worker's own memory stays flat: 61.6 MB after one
# sheet, 63.0 after 100, 63.2 after 2,000 (its memos are bounded). Each start costs about 0.12 s
# of CPU, and cold memos after it: at 500, a bulk import of 2,000 sheets started 8 workers.
RECYCLE_AFTER = 1000
_ROOT = Path(__file__).resolve().parents[2]  # the directory holding the `survey` package
_ENV_KEEP = ("PATH", "LANG", "LC_ALL", "TMPDIR", "HOME")


class _Worker:
    """One `python -m survey.workbook.worker` child, talking over two pipes.

    A plain subprocess (not multiprocessing): it does not re-import the parent's __main__ and
    gets none of the parent's secrets in its environment.
    """

    def __init__(self, memory_bytes: int):
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
        env["PYTHONPATH"] = str(_ROOT)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "survey.workbook.worker", str(task_r), str(result_w), str(memory_bytes)],
            pass_fds=(task_r, result_w), env=env, cwd=str(_ROOT), stdin=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, close_fds=True)
        os.close(task_r)
        os.close(result_w)
        self.tasks = Connection(task_w, readable=False)
        self.results = Connection(result_r, writable=False)
        self.done = 0
        self.definition: Definition | None = None  # the definition this worker was last sent
        self.task: int | None = None
        self.deadline = 0.0

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, kill: bool = False) -> None:
        """Stop this worker: the process we started, by its handle."""
        if not kill and self.alive():
            try:
                self.tasks.send(None)
                self.process.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.alive():
            self.process.kill()
        self.process.wait()
        self.tasks.close()
        self.results.close()


class SheetReaderPool:
    """N worker processes reading sheets; each recycled after `max_files_per_worker` files.

    Use as a context manager. `read` for one file, `read_many` for a batch (results in input
    order). A file that crashes its worker or exceeds `timeout` seconds gets a clean error
    result; the worker is replaced and the batch goes on.
    """

    def __init__(self, processes: int = 2, *, max_files_per_worker: int = RECYCLE_AFTER, timeout: float = DEFAULT_TIMEOUT,
                 memory_mb: int = DEFAULT_MEMORY_MB, limits: Limits = DEFAULT_LIMITS):
        self.size, self.recycle_after, self.timeout = max(1, processes), max_files_per_worker, timeout
        self.memory_bytes, self.limits = memory_mb * 1024 * 1024, limits
        self.workers: list[_Worker | None] = []  # None: a recycled worker not replaced yet
        self.lock = threading.Lock()

    def __enter__(self) -> SheetReaderPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        """Start the workers now (each takes about 0.3 s of CPU to start), e.g. while the caller
        prepares the files, instead of at the first read."""
        with self.lock:
            while len(self.workers) < self.size:
                self.workers.append(_Worker(self.memory_bytes))

    def close(self) -> None:
        for worker in self.workers:
            if worker is not None:
                worker.stop()
        self.workers = []

    def read(self, data: bytes, filename: str, defn: Definition, *, resolve_org: ResolveOrg,
             org_kind_of: OrgKindOf | None = None, complete: bool = True,
             ministry_values: MinistryValues | None = None):
        """Read one sheet in a worker; same result as `read_answer_sheet`."""
        return next(self.read_many([(filename, data)], defn, resolve_org=resolve_org, org_kind_of=org_kind_of,
                                   complete=complete, ministry_values=ministry_values))[1]

    def read_many(self, files: Iterable[tuple[str, bytes | Path]], defn: Definition, *, resolve_org: ResolveOrg,
                  org_kind_of: OrgKindOf | None = None, complete: bool = True,
                  ministry_values: MinistryValues | None = None, ahead: int = 0) -> Iterator[tuple[str, object]]:
        """Yield (filename, SheetResult) for every (filename, data), in input order, as the
        workers finish them (so a job can report progress). `complete` as in `read_answer_sheet`.
        `data` may be the Path of a file on disk: the worker reads it, so the parent never holds
        the batch (or even one file) in memory. With `ahead`, a thread keeps the workers reading
        up to that many files ahead of the caller (whose own work, e.g. saving a chunk to the
        database, then runs beside theirs instead of leaving them idle)."""
        with self.lock:
            files = list(files)
            outcomes = self._extract_in_order(files, defn)
            for index, outcome in (_read_ahead(outcomes, ahead) if ahead > 0 else outcomes):
                filename, data = files[index]
                if outcome[0] == "ok":  # the worker hashed the bytes it read
                    yield filename, interpret(outcome[1], defn, outcome[2], resolve_org=resolve_org,
                                              org_kind_of=org_kind_of, complete=complete,
                                              ministry_values=ministry_values)
                else:
                    yield filename, rejected_result(file_digest(data), outcome[1], outcome[2])

    def _extract_in_order(self, files: list[tuple[str, bytes]], defn: Definition) -> Iterator[tuple[int, tuple]]:
        todo = deque(range(len(files)))
        results: dict[int, tuple] = {}
        while len(self.workers) < min(self.size, max(1, len(files))):
            self.workers.append(_Worker(self.memory_bytes))
        for index in range(len(files)):
            while index not in results:
                for slot, worker in enumerate(self.workers):
                    if todo and worker is None:  # recycled: its successor starts when there is work
                        worker = self.workers[slot] = _Worker(self.memory_bytes)
                    if worker is not None and worker.task is None and todo:
                        self._assign(worker, todo.popleft(), files, defn, results)
                self._collect(results)
            yield index, results.pop(index)

    def _assign(self, worker: _Worker, index: int, files, defn, results) -> None:
        filename, data = files[index]
        source = data if isinstance(data, bytes) else str(data)  # a file on disk is read by the worker
        # The definition goes to a worker once, not with every file: pickling it costs more
        # than reading a sheet, and the worker keeps what it derives from it (shape.fixed_texts).
        sent = None if worker.definition is defn else defn
        try:
            worker.tasks.send((source, filename, sent, self.limits))
            worker.definition = defn
        except (OSError, BrokenPipeError):
            results[index] = ("rejected", "reader_crashed", msg.REJECTED_CRASH)
            self._replace(worker)
            return
        worker.task, worker.deadline = index, time.monotonic() + self.timeout

    def _collect(self, results: dict[int, tuple]) -> None:
        busy = [w for w in self.workers if w is not None and w.task is not None]
        if not busy:
            return
        timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
        ready = wait([w.results for w in busy], timeout)
        for worker in busy:
            if worker.results in ready:
                try:
                    results[worker.task] = worker.results.recv()
                except (EOFError, OSError):
                    results[worker.task] = ("rejected", "reader_crashed", msg.REJECTED_CRASH)
                    self._replace(worker)
                    continue
                worker.task, worker.done = None, worker.done + 1
                if worker.done >= self.recycle_after:
                    worker.stop()
                    self.workers[self.workers.index(worker)] = None
            elif time.monotonic() >= worker.deadline:
                results[worker.task] = ("rejected", "timeout", msg.REJECTED_TIMEOUT.format(seconds=self.timeout))
                self._replace(worker, kill=True)

    def _replace(self, worker: _Worker, kill: bool = False) -> None:
        worker.stop(kill=kill)
        self.workers[self.workers.index(worker)] = _Worker(self.memory_bytes)


def _read_ahead(source: Iterator, depth: int) -> Iterator:
    """The items of `source`, pulled by a thread at most `depth` ahead of the consumer. An error
    of `source` is raised to the consumer; a consumer that stops early stops the thread."""
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(entry) -> bool:
        while not stop.is_set():
            try:
                items.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def pump() -> None:
        try:
            for item in source:
                if not put((True, item)):
                    return
            put((True, end))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            put((False, exc))
        finally:
            if hasattr(source, "close"):
                source.close()

    thread = threading.Thread(target=pump, name="sheet-reader-ahead", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = items.get()
            if not ok:
                raise item
            if item is end:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def file_digest(data: bytes | Path) -> str:
    """SHA-256 of bytes, or of a file read a chunk at a time."""
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    with open(data, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


MAX_CONCURRENT_READS = 4  # single-file reads at once per process; more wait for a free slot
IDLE_KEPT = 2             # warm workers kept between single-file reads


class _Lender:
    """Warm one-worker pools, each lent to one single-file read at a time.

    One officer's slow file holds only the worker it was lent (killed at its timeout); another
    officer's upload borrows an idle worker, or starts its own (about 0.3 s) when none is idle.
    At most MAX_CONCURRENT_READS children read at once; a read that finds no slot within its
    timeout gets a clean "busy" result instead of piling up processes.
    """

    def __init__(self):
        self.idle: list[SheetReaderPool] = []
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(MAX_CONCURRENT_READS)

    def read(self, data: bytes, filename: str, defn: Definition, *, timeout: float, limits: Limits, **kwargs):
        if not self.slots.acquire(timeout=timeout):
            return rejected_result(hashlib.sha256(data).hexdigest(), "reader_busy", msg.REJECTED_BUSY)
        try:
            pool = self._borrow()
            try:
                pool.timeout, pool.limits = timeout, limits
                return pool.read(data, filename, defn, **kwargs)
            finally:
                self._give_back(pool)
        finally:
            self.slots.release()

    def _borrow(self) -> SheetReaderPool:
        with self.lock:
            if self.idle:
                return self.idle.pop()
        return SheetReaderPool(1, max_files_per_worker=200)

    def _give_back(self, pool: SheetReaderPool) -> None:
        with self.lock:
            if len(self.idle) < IDLE_KEPT:
                self.idle.append(pool)
                return
        pool.close()


_lender = _Lender()


def read_answer_sheet_isolated(data: bytes, filename: str, defn: Definition, *, resolve_org: ResolveOrg,
                               org_kind_of: OrgKindOf | None = None, timeout: float = DEFAULT_TIMEOUT,
                               complete: bool = True, limits: Limits = DEFAULT_LIMITS,
                               ministry_values: MinistryValues | None = None):
    """`read_answer_sheet` with the file parsed in a child process (memory and time limits).

    The child is a warm worker lent to this read alone (see `_Lender`), so a single upload does
    not pay a process start and does not wait behind another officer's file.
    """
    return _lender.read(data, filename, defn, timeout=timeout, limits=limits, resolve_org=resolve_org,
                        org_kind_of=org_kind_of, complete=complete, ministry_values=ministry_values)
