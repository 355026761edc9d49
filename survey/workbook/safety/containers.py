"""One workbook checked before any reader touches it: its kind by content, then every part scanned."""

from __future__ import annotations

import io
import re
import struct
import threading
from dataclasses import dataclass, field
from functools import lru_cache

from .cells import _OdsCells, _XlsxCells
from .limits import (
    BOMB,
    DEFAULT_LIMITS,
    ENCRYPTED,
    MB,
    NOT_WORKBOOK,
    SHEET_TOO_WIDE,
    WORKBOOK_EXTENSIONS,
    Limits,
    _reject,
    _size,
    too_large,
    too_many_cells,
    too_many_sheets,
)
from .xmlscan import _Prolog, _scan_part, _SheetList
from .zips import _open_zip, _stream, _whole_part


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
    # The limits as a plain tuple in the memo's keys: equal when the limits are, hashed in C
    # (the frozen dataclass's __hash__ is Python, called for every part of every workbook).
    bounds = (type(limits), *vars(limits).values())
    for info in zf.infolist():
        scanner = _scanner_for(info.filename, kind)
        # A worksheet of a size to keep is parsed whole, then its cell tags scanned at once
        # (`_XlsxCells.scan_tags`); a call per element costs five times the parse.
        by_tags = isinstance(scanner, _XlsxCells) and info.file_size <= KEEP_PART_BYTES
        keep = KEEP_PART_BYTES if (by_tags or info.filename in _KEPT_PARTS) else 0
        seen_key = _seen_key(data, info, kind, bounds)
        seen = _recall(seen_key) if seen_key is not None else None
        if seen is not None:
            size, xml = _replay(seen, scanner, limits, total)
        else:
            whole = _whole_part(data, info, min(limits.max_part_bytes, limits.max_parts_total_bytes - total,
                                                KEEP_PART_BYTES))
            size, xml = _scan_part(_part_chunks(whole, zf, info, limits, total), scanner, keep=keep,
                                   per_element=not by_tags)
            if by_tags and not (xml is not None and scanner.scan_tags(xml)):
                # Too large to keep, or cells written without plain references: a call per element.
                size, _ = _scan_part(_part_chunks(whole, zf, info, limits, total), scanner)
            if seen_key is not None:
                _remember(seen_key, (size, xml, dict(vars(scanner)) if scanner is not None else None))
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


# A part byte for byte the same as one checked before (a writer's styles, theme, relationships:
# the same in every sheet of a batch) is not decompressed and parsed again. What checking a part
# finds is a function of the part as stored (its local header and compressed bytes, read from
# where zipfile reads them), of its directory entry (name, method, flags, CRC, sizes: what
# zipfile checks it against), of the container's kind (its scanner) and of the limits; a part
# whose check passed with all of them equal passes again, with the same size and kept bytes.
# Only small parts are remembered, and only passes: a part that was refused is checked again
# each time. What its scanner found is remembered with it (a sheet list's count; a worksheet's
# cell bounds, e.g. the choice-list sheet that every sheet of a writer carries byte for byte)
# and set again on the new scanner, so the workbook's bounds are applied to it as to a part
# checked afresh; its size still counts toward the workbook's total (`_replay`).
# The least recently used part is forgotten first: a batch's sheets each bring parts of their own
# (the worksheet, the shared strings) that never come again, and they must not push out the
# parts every sheet shares (emptying the whole memo when full checked those again every ~20 sheets).
SEEN_PART_BYTES = 64 * 1024  # stored bytes of a part that may be remembered
_SEEN_MAX = 64
_SEEN: dict[tuple, tuple[int, bytes | None, dict | None]] = {}
_SEEN_LOCK = threading.Lock()


def _seen_key(data: bytes, info, kind: str, limits: tuple) -> tuple | None:
    """Everything checking this part depends on, or None when it is not to be remembered."""
    if info.compress_size > SEEN_PART_BYTES or info.file_size > 4 * SEEN_PART_BYTES:
        return None
    start = info.header_offset
    head = data[start:start + 30]
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        return None  # zipfile will refuse it: let it
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    end = start + 30 + name_len + extra_len + info.compress_size
    if end > len(data):
        return None
    return (kind, limits, info.filename, info.orig_filename, info.compress_type, info.flag_bits, info.CRC,
            info.file_size, info.compress_size, data[start:end])


def _recall(key: tuple) -> tuple[int, bytes | None, dict | None] | None:
    """What checking this part found before, now the most recently used; None when not remembered."""
    with _SEEN_LOCK:
        seen = _SEEN.pop(key, None)
        if seen is not None:
            _SEEN[key] = seen  # last: `_remember` forgets the first
        return seen


def _remember(key: tuple, outcome: tuple[int, bytes | None, int]) -> None:
    with _SEEN_LOCK:  # threads of one process may check workbooks at once
        while len(_SEEN) >= _SEEN_MAX:
            del _SEEN[next(iter(_SEEN))]  # the least recently used (a dict keeps its order)
        _SEEN[key] = outcome


def _replay(seen: tuple[int, bytes | None, dict | None], scanner, limits: Limits, total: int,
            ) -> tuple[int, bytes | None]:
    """(size, kept bytes) of a part checked before, its scanner set to what it found then;
    refused as its decompression would be when the workbook's other parts leave it too little
    of the total."""
    size, xml, found = seen
    if size > limits.max_parts_total_bytes - total:
        raise _reject("decompressed_too_large", BOMB.format(limit=_size(limits.max_parts_total_bytes)))
    if scanner is not None:
        vars(scanner).update(found)
    return size, xml


def _part_stream(zf, info, limits: Limits, total: int):
    """The part's decompressed chunks, bounded per part and by what the workbook has left."""
    return _stream(zf, info, limits.max_part_bytes, limits.max_parts_total_bytes - total, limits.max_parts_total_bytes)


def _part_chunks(whole: bytes | None, zf, info, limits: Limits, total: int):
    """The part whole when `_whole_part` could take it, else its bounded stream through zipfile."""
    return (whole,) if whole is not None else _part_stream(zf, info, limits, total)


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


