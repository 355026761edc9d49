"""The bulk import's report: a workbook with one row per problem, and the counts."""
from __future__ import annotations

import io
from collections.abc import Iterator

import xlsxwriter

from survey.workbook.textcell import write_text

from .batch import DUPLICATE, IMPORTED, REJECTED

STATUS_LABELS = {IMPORTED: "取込", REJECTED: "不可", DUPLICATE: "重複"}
REPORT_HEADER = ["ファイル", "結果", "団体コード", "版", "区分", "シート", "セル", "項目", "値", "メッセージ"]


def import_report_workbook(entries: list[dict]) -> bytes:
    """The import report as .xlsx: one row per problem (or per file without any).

    Every value is written as a string, never a formula: the text comes from uploaded files.
    """
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("取込結果")
    bold = book.add_format({"bold": True, "bg_color": "#E8F1FE"})
    sheet.write_row(0, 0, REPORT_HEADER, bold)
    sheet.freeze_panes(1, 0)
    row = 1
    for entry in entries:
        for values in _report_rows(entry):
            for col, value in enumerate(values):
                write_text(sheet, row, col, "" if value is None else str(value))
            row += 1
    sheet.autofilter(0, 0, max(row - 1, 1), len(REPORT_HEADER) - 1)
    sheet.set_column(0, 0, 36)
    sheet.set_column(REPORT_HEADER.index("メッセージ"), REPORT_HEADER.index("メッセージ"), 80)
    book.close()
    return out.getvalue()


def _report_rows(entry: dict) -> Iterator[list]:
    base = [entry["file"], STATUS_LABELS.get(entry["status"], entry["status"]), entry.get("organization") or "",
            entry.get("version") or ""]
    problems = [("エラー", p) for p in entry.get("errors", [])] + [("警告", p) for p in entry.get("warnings", [])]
    if not problems:
        yield base + ["", "", "", "", "", ""]
    for label, p in problems:
        yield base + [label, p.get("sheet"), p.get("cell"), p.get("item") or p.get("field"), p.get("value"), p.get("message")]


def import_summary(entries: list[dict]) -> dict[str, int]:
    """How many files were imported, rejected and duplicates."""
    counts = {IMPORTED: 0, REJECTED: 0, DUPLICATE: 0}
    for entry in entries:
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    return counts
