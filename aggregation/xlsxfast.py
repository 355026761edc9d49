"""A worksheet for xlsxwriter's constant-memory mode that writes text cells safely and fast.

Two reasons, both about the inline strings that constant-memory mode writes:

- Safety. xlsxwriter 3.x writes an inline string that starts with `<r>` and ends with `</r>`
  into the sheet XML *unescaped* (it takes it for pre-built rich text). A respondent who typed
  `<r>…</r></is></c><c r="A1"><f>…</f></c>…</r>` would inject cells, formulas included. Here
  every text cell is XML-escaped, always.
- Speed. The per-cell path of xlsxwriter runs two regex substitutions and builds attribute
  lists for every cell; on a 2-core machine that is ~18 µs a cell, too slow for 100,000 rows.
  This path checks once whether any escaping is needed and writes the element in one go.

Only `_write_cell` for plain strings is replaced; numbers, dates, formats of other kinds, and
everything else go through xlsxwriter unchanged. Pinned to xlsxwriter 3.3 (pyproject.toml);
tests/aggregation/test_workbook_formulas.py checks the XML this writes.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import cached_property

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellStringTuple, Worksheet
from xlsxwriter.xmlwriter import XMLwriter

# Anything that needs Excel's _xHHHH_ escape (control characters, a literal _xHHHH_, non-characters).
TEXT_CACHE_SIZE = 20_000
_NEEDS_CONTROL_ESCAPE = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")


def escape_text(text: str) -> str:
    """Text as the content of an inline-string <t> element."""
    if _NEEDS_CONTROL_ESCAPE.search(text):
        text = XMLwriter._escape_control_characters(text)
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


class TextSafeWorksheet(Worksheet):
    """Worksheet whose text cells are always escaped inline strings (constant-memory mode)."""

    def write_cells_row(self, row: int, values, formats: dict | None = None) -> None:
        """Write a whole row at once, straight to the sheet XML: the fast path for long tables.

        `values`: str (always an escaped inline string), int/float, datetime (needs a date
        format in `formats`, by column index), or None (no cell). Rows must come in increasing
        order after anything written through the normal API.
        """
        if row <= self.previous_row and (row or self.table):
            raise ValueError("constant-memory rows must be written in increasing order")
        self._write_single_row(row)  # flush a row written through the normal API, if any
        if not values or self._check_dimensions(row, 0) or self._check_dimensions(row, len(values) - 1):
            return
        letters, texts, n = self._letters(len(values)), self._texts, row + 1
        styles = {c: f' s="{f._get_xf_index()}"' for c, f in (formats or {}).items()}
        parts = [f'<row r="{n}">']
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            style = styles.get(col, "") if styles else ""
            if value.__class__ is str:
                inner = texts.get(value)
                if inner is None:
                    inner = self._remember(value)
                parts.append(f'<c r="{letters[col]}{n}"{style} t="inlineStr"><is>{inner}</is></c>')
            elif isinstance(value, dt.datetime):
                parts.append(f'<c r="{letters[col]}{n}"{style}><v>{self._convert_date_time(value):.16G}</v></c>')
            else:
                parts.append(f'<c r="{letters[col]}{n}"{style}><v>{value:.16G}</v></c>')
        parts.append("</row>")
        self.fh.write("".join(parts))

    @cached_property
    def _texts(self) -> dict[str, str]:
        """Escaped <t> elements of recent strings (option texts and labels repeat on every row)."""
        return {}

    def _remember(self, text: str) -> str:
        preserve = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        inner = f"<t{preserve}>{escape_text(text)}</t>"
        if len(self._texts) > TEXT_CACHE_SIZE:
            self._texts.clear()
        self._texts[text] = inner
        return inner

    def _letters(self, width: int) -> list[str]:
        cached = self.__dict__.get("_letter_cache", [])
        if len(cached) < width:
            cached = [xl_col_to_name(c) for c in range(max(width, 64))]
            self.__dict__["_letter_cache"] = cached
        return cached

    def write_text(self, row: int, col: int, text: str, cell_format=None) -> None:
        """write_string without the A1-notation wrapper (row/col are numbers here)."""
        self._write_string(row, col, text, cell_format)

    def _write_cell(self, row: int, col: int, cell) -> None:
        if not (self.constant_memory and cell.__class__ is CellStringTuple):
            return super()._write_cell(row, col, cell)
        style = ""
        if cell.format:
            style = f' s="{cell.format._get_xf_index()}"'
        elif row in self.row_info and self.row_info[row].row_format:
            style = f' s="{self.row_info[row].row_format._get_xf_index()}"'
        elif col in self.col_info and self.col_info[col].column_format is not None:
            style = f' s="{self.col_info[col].column_format._get_xf_index()}"'
        text = cell.string
        preserve = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        self.fh.write(f'<c r="{xl_rowcol_to_cell_fast(row, col)}"{style} t="inlineStr">'
                      f"<is><t{preserve}>{escape_text(text)}</t></is></c>")
        return None
