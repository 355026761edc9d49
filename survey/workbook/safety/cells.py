"""Worksheet pre-scans: the rectangle a sheet's cells span, the number of sheets and cells (xlsx and ods)."""

from __future__ import annotations

import re

_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
# Start tags of cells, whatever their namespace prefix (what `_XlsxCells.start` counts), read
# straight from the bytes: with the letters and digits of a plain `r` reference when the tag
# has one, else two empty groups. (One pass: a tag holds no "<" in a well-formed part.) The
# prefix is matched possessively: it cannot hold ":", so giving characters back could never let
# ":" follow, and not trying costs a third less at every other tag.
_CELL_TAG = re.compile(rb"<(?:[^\s<>/:!?]++:)?c(?:\s[^>]*?(?<=\s)r=\"([A-Z]{1,3})([0-9]{1,7})\"|(?=[\s/>]))")


def _col_index(letters: str) -> int:
    n = 0
    for c in letters:
        n = n * 26 + ord(c) - 64
    return n - 1


class _Bounds:
    """The rectangle spanned by cells seen so far (0-based, inclusive)."""

    def __init__(self):
        self.min_row = self.min_col = None
        self.max_row = self.max_col = -1

    def add(self, row: int, col: int, rows: int = 1, cols: int = 1) -> None:
        self.min_row = row if self.min_row is None else min(self.min_row, row)
        self.min_col = col if self.min_col is None else min(self.min_col, col)
        self.max_row = max(self.max_row, row + rows - 1)
        self.max_col = max(self.max_col, col + cols - 1)

    def area(self) -> int:
        if self.min_row is None:
            return 0
        return (self.max_row - self.min_row + 1) * (self.max_col - self.min_col + 1)

    def cells(self) -> int:
        """Cells spanned, summed over the sheets this part holds (one for a worksheet part)."""
        return self.area()

    def sheets(self) -> int:
        return 1

    def far_cell(self) -> str:
        from ..model import cell_name

        return cell_name(self.max_row, self.max_col)

    def close(self):
        return None


class _XlsxCells(_Bounds):
    """Cell positions of a worksheet part, with or without `r` attributes (called per element,
    so kept lean: bounds are tracked inline)."""

    def __init__(self):
        super().__init__()
        self.row, self.col = -1, -1
        self.min_row = self.min_col = 1 << 30

    def start(self, tag, attrib):
        if tag.endswith("}c") or tag == "c":
            ref = attrib.get("r")
            m = _REF.fullmatch(ref) if ref else None
            if m:
                self.row, self.col = int(m.group(2)) - 1, _col_index(m.group(1))
            else:
                self.col += 1
            row, col = max(self.row, 0), self.col
            if row > self.max_row:
                self.max_row = row
            if row < self.min_row:
                self.min_row = row
            if col > self.max_col:
                self.max_col = col
            if col < self.min_col:
                self.min_col = col
        elif tag.endswith("}row") or tag == "row":
            r = attrib.get("r", "")
            self.row = int(r) - 1 if r.isdigit() else self.row + 1
            self.col = -1

    def area(self) -> int:
        if self.max_row < 0:
            return 0
        return (self.max_row - self.min_row + 1) * (self.max_col - self.min_col + 1)

    def scan_tags(self, xml: bytes) -> bool:
        """The bounds of a well-formed worksheet part from its cell tags, without a call per element.

        Only when every cell tag carries a plain `r="A1"` reference (as Excel, LibreOffice,
        openpyxl and xlsxwriter write them); then a cell's position is its reference alone, as
        in `start`. Otherwise (a cell without `r`, a reference written another way) False, and
        nothing is changed: the part goes through `start` instead. A tag inside a comment or
        CDATA counts here too, which can only widen the bounds.
        """
        refs = _CELL_TAG.findall(xml)
        letter_set = {letters for letters, _ in refs}
        if b"" in letter_set:  # a cell tag without a plain reference
            return False
        if not refs:
            return True
        rows = [int(digits) for digits in {digits for _, digits in refs}]  # each row number once
        cols = [_col_index(letters.decode()) for letters in letter_set]
        self.min_row, self.max_row = max(min(rows) - 1, 0), max(max(rows) - 1, 0)
        self.min_col, self.max_col = min(cols), max(cols)
        return True


_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


class _OdsCells(_Bounds):
    """Positions of ODS cells holding something (a value type, or any content element such as
    text:p), with the repeat attributes expanded; empty repeated cells are free."""

    def __init__(self):
        super().__init__()
        self.row, self.col, self.row_repeat = -1, 0, 1
        self.worst = self.finished = self.tables = 0
        self.pending: tuple[int, int, int, int] | None = None  # a cell whose content may follow

    def area(self) -> int:
        return max(self.worst, super().area())

    def cells(self) -> int:
        return self.finished + _Bounds.area(self)

    def sheets(self) -> int:
        return self.tables

    def start(self, tag, attrib):
        if tag == _ODS_TABLE:
            self.worst = self.area()
            self.finished += _Bounds.area(self)
            self.tables += 1
            _Bounds.__init__(self)  # each table is a sheet of its own
            self.row, self.row_repeat, self.pending = -1, 1, None
        elif tag == _ODS_ROW:
            self.row += self.row_repeat  # the previous row may stand for several
            self.col, self.pending = 0, None
            self.row_repeat = _repeat(attrib.get(_ODS_ROWS_REPEATED))
        elif tag in _ODS_CELLS:
            cols = _repeat(attrib.get(_ODS_COLS_REPEATED))
            where = (self.row, self.col, self.row_repeat, cols)
            self.pending = None
            if attrib.get(_ODS_VALUE_TYPE):
                self.add(*where)
            else:
                self.pending = where
            self.col += cols
        elif self.pending is not None:
            self.add(*self.pending)
            self.pending = None

    def end(self, tag):
        self.pending = None  # the cell (or row) closed without content


_ODS_TABLE = f"{_TABLE_NS}}}table"
_ODS_ROW = f"{_TABLE_NS}}}table-row"
_ODS_CELLS = (f"{_TABLE_NS}}}table-cell", f"{_TABLE_NS}}}covered-table-cell")
_ODS_ROWS_REPEATED = f"{_TABLE_NS}}}number-rows-repeated"
_ODS_COLS_REPEATED = f"{_TABLE_NS}}}number-columns-repeated"
_ODS_VALUE_TYPE = f"{_OFFICE_NS}}}value-type"


def _repeat(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 1
