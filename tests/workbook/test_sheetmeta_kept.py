"""`sheetmeta.unlocked_cells` keeps what a workbook's workbook, relationships and styles parts
say, by their bytes (a worker reads thousands of sheets whose parts are the same): a workbook
whose parts differ gets its own answer, whatever was read before it in the same process."""
from __future__ import annotations

import io

import openpyxl
from openpyxl.styles import Protection

from survey.workbook import sheetmeta
from survey.workbook.safety import check_workbook


def _protected(sheet_title: str, unlocked: list[str], *, locked_styles: int = 0) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet_title
    for n in range(locked_styles):  # more formats before the unlocking one: other style indexes
        ws.cell(row=20 + n, column=1, value="x").number_format = f"0.{'0' * (n + 1)}"
    for coord in unlocked:
        ws[coord] = "入力"
        ws[coord].protection = Protection(locked=False)
    ws["A1"] = "見出し"
    ws.protection.sheet = True
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _unlocked(data: bytes, sheet: str):
    return sheetmeta.unlocked_cells(data, sheet, check_workbook(data, "a.xlsx").parts)


def _unlocked_not_kept(data: bytes, sheet: str):
    """The same answer without the kept derivations (each part parsed for this workbook)."""
    parts = check_workbook(data, "a.xlsx").parts
    part = sheetmeta._sheet_part(parts["xl/workbook.xml"], parts["xl/_rels/workbook.xml.rels"], sheet)
    return sheetmeta._scan_sheet(parts[part], sheetmeta._unlocked_styles(parts["xl/styles.xml"]))


def test_each_workbook_gets_its_own_unlocked_cells_whatever_was_read_before():
    books = [
        (_protected("回答シート", ["B2"]), "回答シート", {(1, 1)}),
        (_protected("回答シート", ["C3", "D4"], locked_styles=2), "回答シート", {(2, 2), (3, 3)}),
        (_protected("別名", ["E5"], locked_styles=1), "別名", {(4, 4)}),
    ]
    for _ in range(2):  # read again in turn: every answer comes from its own parts
        for data, sheet, expected in books:
            assert _unlocked(data, sheet) == expected == _unlocked_not_kept(data, sheet)
    assert _unlocked(books[0][0], "別名") is None  # no sheet of that name in the first workbook


def test_large_parts_are_read_without_being_kept():
    data = _protected("回答シート", ["B2"])
    parts = dict(check_workbook(data, "a.xlsx").parts)
    padding = b"<!--" + b" " * (sheetmeta._KEEP_META_BYTES + 1) + b"-->"
    parts["xl/styles.xml"] += padding  # a comment after the root element: the same styles
    sheetmeta._remembered.cache_clear()
    assert sheetmeta.unlocked_cells(data, "回答シート", parts) == {(1, 1)}
    assert sheetmeta._remembered.cache_info().currsize == 1  # the part name is kept, the padded styles not
