"""The bulk import's report, as a clerk would write it: one row per problem naming the file, the
cell, the item or field and the value, and the counts (取込, 取込不可, 重複, 読み飛ばし)."""
from __future__ import annotations

import io
from collections.abc import Iterator

import xlsxwriter

from survey.workbook.textcell import write_text

from .common import DUPLICATE, IMPORTED, REJECTED

SKIPPED = "skipped"  # a file in a zip that is not a workbook (a cover letter): listed, not an error
STATUS_LABELS = {IMPORTED: "取込", REJECTED: "取込不可", DUPLICATE: "重複", SKIPPED: "読み飛ばし"}
REPORT_HEADER = ["ファイル", "結果", "団体コード", "版", "区分", "シート", "セル", "項目", "値", "メッセージ"]
SKIPPED_MESSAGE = "回答シート（Excel・ODS）ではないため読み飛ばしました（送付状などの添付ファイル）。"


def subject_labels(defn) -> dict[str, str]:
    """Item and follow-up keys -> how the report names them ("9" -> "Q9", "8-1:概要" -> "Q8-1 概要")."""
    labels = {item.id: item.label for item in defn.items}
    labels.update({key: f"{defn.item(f.item).label} {f.label}" for key, f in defn.followups.items()})
    return labels


def import_report_workbook(entries: list[dict], labels: dict[str, str] | None = None) -> bytes:
    """The import report as .xlsx: a sheet with one row per problem (or per file without any) and
    a sheet with the counts. `labels` name items (see `subject_labels`).

    Every value is written as a string, never a formula: the text comes from uploaded files.
    """
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    bold = book.add_format({"bold": True, "bg_color": "#E8F1FE"})
    sheet = book.add_worksheet("取込結果")
    sheet.write_row(0, 0, REPORT_HEADER, bold)
    sheet.freeze_panes(1, 0)
    row = 1
    for entry in entries:
        for values in _report_rows(entry, labels or {}):
            for col, value in enumerate(values):
                write_text(sheet, row, col, "" if value is None else str(value))
            row += 1
    sheet.autofilter(0, 0, max(row - 1, 1), len(REPORT_HEADER) - 1)
    sheet.set_column(0, 0, 36)
    sheet.set_column(REPORT_HEADER.index("メッセージ"), REPORT_HEADER.index("メッセージ"), 80)
    counts = book.add_worksheet("件数")
    counts.write_row(0, 0, ["結果", "件数"], bold)
    for n, (status, count) in enumerate(import_summary(entries).items(), start=1):
        counts.write_string(n, 0, STATUS_LABELS[status])
        counts.write_number(n, 1, count)
    counts.write_string(len(STATUS_LABELS) + 1, 0, "ファイル数")
    counts.write_number(len(STATUS_LABELS) + 1, 1, len(entries))
    counts.set_column(0, 0, 16)
    book.close()
    return out.getvalue()


def _report_rows(entry: dict, labels: dict[str, str]) -> Iterator[list]:
    base = [entry["file"], STATUS_LABELS.get(entry["status"], entry["status"]), entry.get("organization") or "",
            entry.get("version") or ""]
    problems = [("エラー", p) for p in entry.get("errors", [])] + [("警告", p) for p in entry.get("warnings", [])]
    if entry["status"] == SKIPPED:
        problems = [("読み飛ばし", {"message": SKIPPED_MESSAGE})]
    if not problems:
        yield base + ["", "", "", "", "", ""]
    for label, p in problems:
        subject = labels.get(p.get("item") or "", p.get("item")) or p.get("field")
        yield base + [label, p.get("sheet"), p.get("cell"), subject, p.get("value"), p.get("message")]


def import_summary(entries: list[dict]) -> dict[str, int]:
    """How many files were imported, rejected, duplicates and skipped (not workbooks)."""
    counts = {IMPORTED: 0, REJECTED: 0, DUPLICATE: 0, SKIPPED: 0}
    for entry in entries:
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    return counts
