"""One workbook checked before any reader touches it: its kind by content, then every part scanned."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from functools import lru_cache

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


KEEP_PART_BYTES = 4 * MB  # a part the reader reads again is kept if it is no larger
KEEP_TOTAL_BYTES = 8 * MB  # and while the kept parts of the workbook stay within this
_KEPT_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "content.xml")


@dataclass(frozen=True)
class CheckedWorkbook:
    """A checked workbook: its kind, and the decompressed XML parts the reader reads again
    (`sheetmeta`: the workbook, its relationships, the styles, the worksheets, content.xml),
    by name, each kept when no larger than KEEP_PART_BYTES, within KEEP_TOTAL_BYTES in all; a
    part not kept is read from the file again."""

    kind: str
    parts: dict[str, bytes] = field(default_factory=dict)


def check_workbook_bytes(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """Check one workbook before any reader touches it; returns its kind ("xlsx", "ods", "xls").
    The kind comes from the content, not the name (an .xls saved as .xlsx is an .xls).

    For the zip-based formats every part is decompressed as a stream with per-part and total
    bounds, every XML part's prolog is parsed with defusedxml (no DTD), and each worksheet's
    cells are scanned for the rectangle they span. `.xls` is only size-checked here: read it
    through the isolated reader, which runs under a memory limit.
    """
    return check_workbook(data, filename, limits).kind


def check_workbook(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> CheckedWorkbook:
    """`check_workbook_bytes`, keeping the parts the reader needs again (see CheckedWorkbook),
    so that they are not decompressed twice."""
    if len(data) > limits.max_workbook_bytes:
        raise too_large(len(data), limits.max_workbook_bytes)
    kind = workbook_kind(data, filename)
    return CheckedWorkbook("xls") if kind == "xls" else _check_container(data, limits)


def _check_container(data: bytes, limits: Limits) -> CheckedWorkbook:
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
    total = cells = kept = 0
    parts: dict[str, bytes] = {}
    for info in zf.infolist():
        scanner = _scanner_for(info.filename, kind)
        # A worksheet of a size to keep is parsed whole, then its cell tags scanned at once
        # (`_XlsxCells.scan_tags`); a call per element costs five times the parse.
        by_tags = isinstance(scanner, _XlsxCells) and info.file_size <= KEEP_PART_BYTES
        keep = KEEP_PART_BYTES if (by_tags or info.filename in _KEPT_PARTS) else 0
        size, xml = _scan_part(_part_stream(zf, info, limits, total), scanner, keep=keep, per_element=not by_tags)
        if by_tags and not (xml is not None and scanner.scan_tags(xml)):
            # Too large to keep, or cells written without plain references: a call per element.
            size, _ = _scan_part(_part_stream(zf, info, limits, total), scanner)
        total += size
        if xml is not None and (kept := kept + len(xml)) <= KEEP_TOTAL_BYTES:
            parts[info.filename] = xml
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
    return CheckedWorkbook(kind, parts)


def _part_stream(zf, info, limits: Limits, total: int):
    """The part's decompressed chunks, bounded per part and by what the workbook has left."""
    return _stream(zf, info, limits.max_part_bytes, limits.max_parts_total_bytes - total, limits.max_parts_total_bytes)


_SHEET_PART = re.compile(r"xl/(worksheets|macrosheets|dialogsheets)/[^/]+\.xml")


def _is_sheet_part(name: str) -> bool:
    return _sheet_part_name(name) if len(name) <= 100 else _sheet_part_name.__wrapped__(name)


@lru_cache(maxsize=1024)  # every workbook a worker reads has the same part names
def _sheet_part_name(name: str) -> bool:
    return _SHEET_PART.fullmatch(name.lower()) is not None


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


