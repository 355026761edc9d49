"""One workbook checked before any reader touches it: its kind by content, then every part scanned."""

from __future__ import annotations

import io
import re

from .cells import _OdsCells, _XlsxCells
from .limits import (
    DEFAULT_LIMITS,
    ENCRYPTED,
    MB,
    NOT_WORKBOOK,
    SHEET_TOO_WIDE,
    WORKBOOK_EXTENSIONS,
    Limits,
    _reject,
    too_large,
    too_many_cells,
    too_many_sheets,
)
from .xmlscan import _Prolog, _scan_part, _SheetList
from .zips import _open_zip, _stream


def workbook_kind(data: bytes, filename: str) -> str:
    """"xlsx" (also .xlsm), "ods" or "xls" by content; UploadRejected for anything else."""
    if not filename.lower().endswith(WORKBOOK_EXTENSIONS):
        raise _reject("not_a_workbook", NOT_WORKBOOK)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in data[:1 * MB]:
            raise _reject("encrypted", ENCRYPTED)
        return "xls"
    if data[:4] == b"PK\x03\x04":
        return "zip"
    raise _reject("not_a_workbook", NOT_WORKBOOK)


def check_workbook_bytes(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """Check one workbook before any reader touches it; returns its kind ("xlsx", "ods", "xls").
    The kind comes from the content, not the name (an .xls saved as .xlsx is an .xls).

    For the zip-based formats every part is decompressed as a stream with per-part and total
    bounds, every XML part's prolog is parsed with defusedxml (no DTD), and each worksheet's
    cells are scanned for the rectangle they span. `.xls` is only size-checked here: read it
    through the isolated reader, which runs under a memory limit.
    """
    if len(data) > limits.max_workbook_bytes:
        raise too_large(len(data), limits.max_workbook_bytes)
    kind = workbook_kind(data, filename)
    return "xls" if kind == "xls" else _check_container(data, limits)


def _check_container(data: bytes, limits: Limits) -> str:
    zf = _open_zip(io.BytesIO(data), limits.max_parts, limits)
    names = {i.filename for i in zf.infolist()}
    if "[Content_Types].xml" in names:
        kind = "xlsx"
    elif "content.xml" in names and "mimetype" in names:
        kind = "ods"
    else:
        raise _reject("not_a_workbook", NOT_WORKBOOK)
    sheet_parts = sum(1 for name in names if _is_sheet_part(name))
    if sheet_parts > limits.max_sheets:  # from the directory, before anything is decompressed
        raise too_many_sheets(sheet_parts, limits)
    total = cells = 0
    for info in zf.infolist():
        scanner = _scanner_for(info.filename, kind)
        chunks = _stream(zf, info, limits.max_part_bytes, limits.max_parts_total_bytes - total,
                         limits.max_parts_total_bytes)
        total += _scan_part(chunks, scanner)
        if scanner is None:
            continue
        if scanner.area() > limits.max_cells_area:
            raise _reject("sheet_too_large", SHEET_TOO_WIDE.format(sheet=_sheet_label(info.filename),
                                                                   cell=scanner.far_cell()))
        if scanner.sheets() > limits.max_sheets:
            raise too_many_sheets(scanner.sheets(), limits)
        cells += scanner.cells()
        if cells > limits.max_total_cells:
            raise too_many_cells(cells, limits)
    return kind


def _is_sheet_part(name: str) -> bool:
    return re.fullmatch(r"xl/(worksheets|macrosheets|dialogsheets)/[^/]+\.xml", name.lower()) is not None


def _sheet_label(part: str) -> str:
    return part.rsplit("/", 1)[-1].removesuffix(".xml")


def _scanner_for(name: str, kind: str | None = None):
    """Every part that could be read as cells is scanned, whatever the container claims."""
    lower = name.lower()
    if _is_sheet_part(lower):
        return _XlsxCells()
    if lower == "content.xml":
        return _OdsCells()
    if lower == "xl/workbook.xml":
        return _SheetList()
    if lower.endswith((".xml", ".rels", ".vml")):
        return _Prolog()
    return None


