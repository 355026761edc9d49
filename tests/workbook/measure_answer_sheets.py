"""Timing of the answer-sheet writer and reader (not a test; prints figures).

    .venv/bin/python -m tests.workbook.measure_answer_sheets [N]

Writes N (default 2000) filled sheets of distinct organisations, then reads them back: a bare
python-calamine parse, the full in-process reader (safety checks + extraction + engine), and
the isolated reader pool (2 workers).
"""
from __future__ import annotations

import io
import random
import resource
import sys
import time
from dataclasses import replace

import python_calamine

from survey.synthetic import random_answers, random_respondent
from survey.workbook import SheetReaderPool, read_answer_sheet, write_answer_sheet
from tests.workbook.answer_sheet_helpers import DEFN, SAGAMIHARA


class _Clock:
    """Wall time and CPU time (this process, plus reaped children) of a block."""

    def __enter__(self):
        self.wall, self.cpu, self.child = time.perf_counter(), time.process_time(), _children()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.child = _children() - self.child

    def __str__(self):
        extra = f" + {self.child:.2f} s CPU in workers" if self.child > 0.005 else ""
        return f"{self.wall:.3f} s wall, {self.cpu:.3f} s CPU{extra}"


def _children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _contexts(n: int):
    for i in range(n):
        code = f"{14 + i % 30:02d}{i:04d}"
        name = f"{14 + i % 30:02d}テスト県市{i}"
        yield replace(SAGAMIHARA, org_code=code, org_display_name=name)


def main(n: int) -> None:
    rng = random.Random(0)
    items = []
    for ctx in _contexts(n):
        answers = random_answers(DEFN, ctx.org_kind, rng)
        items.append((ctx, answers, random_respondent(ctx.org_display_name, ctx.org_section, rng, domain="x.lg.jp")))
    names = {ctx.org_display_name: ctx.org_code for ctx, _, _ in items}

    with _Clock() as t:
        one = write_answer_sheet(DEFN, context=items[0][0], answers=items[0][1], respondent=items[0][2])
    print(f"write 1 sheet: {t} ({len(one)} bytes)")
    with _Clock() as t:
        sheets = [write_answer_sheet(DEFN, context=c, answers=a, respondent=r) for c, a, r in items]
    print(f"write {n} sheets: {t}")

    with _Clock() as t:
        for data in sheets:
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    print(f"bare calamine parse of {n} sheets: {t}")

    with _Clock() as t:
        read_answer_sheet(sheets[0], "a.xlsx", DEFN, resolve_org=names.get)
    print(f"read 1 sheet (in process): {t}")
    with _Clock() as t:
        results = [read_answer_sheet(d, "a.xlsx", DEFN, resolve_org=names.get) for d in sheets]
    assert all(r.ok for r in results), [r.errors for r in results if not r.ok][:1]
    print(f"read {n} sheets (in process, 1 core): {t}")

    pool = SheetReaderPool(2, max_files_per_worker=1000)
    with _Clock() as t:
        pool.read(sheets[0], "a.xlsx", DEFN, resolve_org=names.get)
    print(f"read 1 sheet (isolated, cold pool: starts a worker): {t}")
    with _Clock() as t:
        pool.read(sheets[0], "a.xlsx", DEFN, resolve_org=names.get)
    print(f"read 1 sheet (isolated, warm pool): {t}")
    with _Clock() as t:
        results = list(pool.read_many([(f"{i}.xlsx", d) for i, d in enumerate(sheets)], DEFN, resolve_org=names.get))
        pool.close()
    assert all(r.ok for _, r in results)
    print(f"read {n} sheets (isolated pool, 2 workers): {t}")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
