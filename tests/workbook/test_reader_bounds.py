"""Bounded work per workbook: a cap on sheets and on cells across sheets, checked before calamine
parses; and one officer's slow file does not hold another's upload.

The finding: a 31 KB .xlsx of 100 sheets, each spanning 1000 x 1000 cells (under the per-sheet
bound), kept the reader busy for 4.3 s (400 sheets: about 17 s), and the single-upload reader
was one shared worker behind one lock, so every other upload in the process waited.
"""
from __future__ import annotations

import threading
import time

import pytest

from survey.workbook import (
    UploadRejected,
    check_workbook_bytes,
    read_answer_sheet_isolated,
    write_answer_sheet,
)
from survey.workbook.safety import DEFAULT_LIMITS, Limits
from tests.workbook.answer_sheet_helpers import DEFN, SAGAMIHARA, org_kind_of, resolve_org, sample
from tests.workbook.hostile_workbooks import many_sheets_xlsx, many_tables_ods

ANSWERS, RESPONDENT = sample(SAGAMIHARA, seed=3)
SHEET = write_answer_sheet(DEFN, context=SAGAMIHARA, answers=ANSWERS, respondent=RESPONDENT)


def _rejected(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> UploadRejected:
    with pytest.raises(UploadRejected) as exc:
        check_workbook_bytes(data, name, limits)
    return exc.value


def test_a_small_workbook_of_many_sheets_is_refused_before_it_is_parsed():
    data = many_sheets_xlsx(100)
    assert len(data) < 64 * 1024
    started = time.process_time()  # CPU, not wall time: a busy machine does not change the work
    exc = _rejected(data, "多数.xlsx")
    assert time.process_time() - started < 1.0
    assert exc.code == "too_many_sheets"
    assert "シートが多すぎます" in exc.message and "100" in exc.message and f"上限{Limits().max_sheets}" in exc.message


def test_sheets_named_in_the_workbook_count_even_without_their_parts():
    """calamine lists the sheets of xl/workbook.xml: the cap reads that list too."""
    exc = _rejected(many_sheets_xlsx(5), "a.xlsx", Limits(max_sheets=4))
    assert exc.code == "too_many_sheets"


def test_cells_across_sheets_are_capped():
    limits = Limits()
    sheets = limits.max_total_cells // 1_000_000 + 1  # each sheet spans 1,000,000 cells, under the per-sheet bound
    assert sheets <= limits.max_sheets
    exc = _rejected(many_sheets_xlsx(sheets), "広い.xlsx")
    assert exc.code == "too_many_cells"
    assert "セルの範囲が大きすぎます" in exc.message and "上限" in exc.message


def test_ods_tables_are_capped_like_sheets():
    assert _rejected(many_tables_ods(60, rows=3, cols=3), "多数.ods").code == "too_many_sheets"
    assert _rejected(many_tables_ods(5, rows=1000, cols=1000), "広い.ods",
                     Limits(max_total_cells=3_000_000)).code == "too_many_cells"


def test_the_answer_sheet_is_well_inside_the_bounds():
    assert check_workbook_bytes(SHEET, "回答.xlsx") == "xlsx"


def test_the_isolated_reader_says_why_in_japanese():
    result = read_answer_sheet_isolated(many_sheets_xlsx(100), "多数.xlsx", DEFN, resolve_org=resolve_org,
                                        org_kind_of=org_kind_of)
    assert not result.ok and result.errors[0].code == "too_many_sheets"


def test_one_officers_slow_file_does_not_hold_another_officers_upload():
    """A slow file (here: many sheets under a lenient bound, about 2 s of calamine) is read while
    another officer's sheet is uploaded: the second read does not wait for the first."""
    lenient = Limits(max_sheets=10_000, max_total_cells=10**12)
    slow_file = many_sheets_xlsx(60)
    slow: dict = {}

    def read_slow():
        started = time.monotonic()
        slow["result"] = read_answer_sheet_isolated(slow_file, "遅い.xlsx", DEFN, resolve_org=resolve_org,
                                                    org_kind_of=org_kind_of, limits=lenient, timeout=60)
        slow["seconds"] = time.monotonic() - started

    read_answer_sheet_isolated(SHEET, "warm.xlsx", DEFN, resolve_org=resolve_org, org_kind_of=org_kind_of)
    thread = threading.Thread(target=read_slow)
    thread.start()
    time.sleep(0.3)  # the slow file is in its child
    started = time.monotonic()
    quick = read_answer_sheet_isolated(SHEET, "回答.xlsx", DEFN, resolve_org=resolve_org, org_kind_of=org_kind_of)
    quick_seconds = time.monotonic() - started
    thread.join()
    assert quick.ok and quick.answers == ANSWERS
    assert "seconds" in slow and slow["seconds"] > 1.0, slow  # it really was slow
    assert quick_seconds < slow["seconds"] - 0.3 - 0.5, (quick_seconds, slow["seconds"])


def test_a_file_over_the_time_limit_is_stopped_and_the_next_read_works():
    lenient = Limits(max_sheets=10_000, max_total_cells=10**12)
    started = time.monotonic()
    result = read_answer_sheet_isolated(many_sheets_xlsx(60), "遅い.xlsx", DEFN, resolve_org=resolve_org,
                                        limits=lenient, timeout=0.5)
    assert time.monotonic() - started < 2.0
    assert result.errors[0].code == "timeout" and "0.5秒" in result.errors[0].message
    assert read_answer_sheet_isolated(SHEET, "回答.xlsx", DEFN, resolve_org=resolve_org,
                                      org_kind_of=org_kind_of).ok


def test_xls_sheets_are_capped_while_reading():
    """.xls cannot be pre-scanned: the reader counts its sheets before parsing any (40 sheets,
    written by LibreOffice from hostile_workbooks.many_sheets_xlsx(40, far="B2"))."""
    from pathlib import Path

    from tests.workbook.answer_sheet_helpers import read

    data = (Path(__file__).parent / "data" / "many-sheets.xls").read_bytes()
    result = read(data, "多数.xls")
    assert not result.ok and result.errors[0].code == "too_many_sheets" and "40枚" in result.errors[0].message
