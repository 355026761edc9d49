"""Upload safety: size limits, zip expansion with streaming bounds, workbook container checks.

Every check raises `UploadRejected(code, message)` with a Japanese message; callers turn it
into a per-file error, so one bad file never stops a batch. Declared sizes in a zip can lie,
so decompressed bytes are counted while streaming. XML parts are parsed with defusedxml
(DTDs and entities refused). Worksheets are pre-scanned so that a sheet whose cells span an
absurd range (calamine allocates the whole rectangle) is refused before calamine sees it, and
so is a workbook of too many sheets or too many cells across its sheets (a small file of many
sheets each just under the per-sheet bound kept calamine busy for 17 s). `.xls` cannot be
pre-scanned cheaply: `extract` applies the same two caps while reading, and the isolated reader's
time and memory limits bound the rest.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple, TypeVar
from xml.parsers import expat

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from . import messages as _msg

MB = 1024 * 1024
T = TypeVar("T")
WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods")
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds for uploads; defaults fit the answer sheet with a wide margin."""

    max_upload_bytes: int = 100 * MB      # one uploaded file (a zip of sheets, or one sheet)
    max_workbook_bytes: int = 10 * MB     # one workbook
    max_zip_entries: int = 5000
    max_zip_entry_bytes: int = 10 * MB    # decompressed, per entry of an upload zip
    max_zip_total_bytes: int = 300 * MB   # decompressed, all entries of an upload zip
    max_parts: int = 500                  # parts inside one workbook container
    max_part_bytes: int = 20 * MB         # decompressed, per workbook part
    max_parts_total_bytes: int = 60 * MB  # decompressed, whole workbook
    max_cells_area: int = 1_000_000       # rows x columns spanned by a worksheet's cells
    max_sheets: int = 30                  # sheets (worksheets, ODS tables) in one workbook
    max_total_cells: int = 2_000_000      # rows x columns spanned, summed over every sheet
    max_central_directory: int = 4 * MB


DEFAULT_LIMITS = Limits()


class UploadRejected(Exception):
    """A file that cannot be read safely; `code` is stable, `message` Japanese."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class UploadFile(NamedTuple):
    """One file of an upload: `data` is None when `error` says why it was not taken."""

    name: str
    data: bytes | None
    error: UploadRejected | None = None


def _reject(code: str, message: str) -> UploadRejected:
    return UploadRejected(code, message)


TOO_LARGE = "ファイルが大きすぎます（{size}、上限{limit}）。"
NOT_WORKBOOK = "Excel（.xlsx・.xlsm・.xls）またはODS（.ods）のファイルではありません。"
CORRUPT = "ファイルが壊れているため読み取れません（{detail}）。"
NESTED_ZIP = "ZIPファイルの中のZIPファイルは受け付けません。展開してからアップロードしてください。"
TOO_MANY = "ZIPファイルの中のファイルが多すぎます（上限{limit}件）。"
BOMB = "展開後のサイズが上限（{limit}）を超えるため読み取りを中止しました。"
XML_FORBIDDEN = "ファイル内のXMLに許可されていない定義（DTD・エンティティ）が含まれているため読み取りません。"
SHEET_TOO_WIDE = (
    "シート「{sheet}」の使用範囲が大きすぎます（{cell}まで値または書式があります）。"
    "不要なセルを削除してから保存し直してください。"
)
TOO_MANY_SHEETS = "シートが多すぎます（{count}枚、上限{limit}枚）。回答シート以外の不要なシートを削除してから保存し直してください。"
TOO_MANY_CELLS = (
    "ブック全体のセルの範囲が大きすぎます（全シートで{cells:,}セル以上、上限{limit:,}セル）。"
    "不要なシートやセルを削除してから保存し直してください。"
)
ENCRYPTED = _msg.ENCRYPTED


def too_many_sheets(count: int, limits: Limits) -> UploadRejected:
    return _reject("too_many_sheets", TOO_MANY_SHEETS.format(count=count, limit=limits.max_sheets))


def too_many_cells(cells: int, limits: Limits) -> UploadRejected:
    return _reject("too_many_cells", TOO_MANY_CELLS.format(cells=cells, limit=limits.max_total_cells))


def _size(n: int) -> str:
    return f"{n / MB:.1f}MB" if n >= MB else f"{n / 1024:.0f}KB"


# -- zip structure ------------------------------------------------------------------------


def _central_directory(fh: BinaryIO) -> tuple[int, int]:
    """(entry count, central directory size) from the end record, before zipfile parses it."""
    fh.seek(0, io.SEEK_END)
    size = fh.tell()
    fh.seek(max(0, size - (65535 + 22)))
    tail = fh.read()
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        raise _reject("corrupt", CORRUPT.format(detail="ZIPの終端がありません"))
    _, _, _, _, count, cd_size, _, _ = struct.unpack("<IHHHHIIH", tail[pos:pos + 22])
    if count == 0xFFFF or cd_size == 0xFFFFFFFF:  # zip64: read the zip64 end record if present
        loc = tail.rfind(b"PK\x06\x07", 0, pos)
        if loc < 0:
            raise _reject("corrupt", CORRUPT.format(detail="ZIP64の終端がありません"))
        offset = struct.unpack("<Q", tail[loc + 8:loc + 16])[0]
        fh.seek(offset)
        rec = fh.read(56)
        if len(rec) < 56 or rec[:4] != b"PK\x06\x06":
            raise _reject("corrupt", CORRUPT.format(detail="ZIP64の終端が不正です"))
        count, cd_size = struct.unpack("<QQ", rec[32:48])
    return count, cd_size


def zip_directory(fh: BinaryIO) -> tuple[int, int]:
    """(entry count, central directory bytes) of a zip, read from its end record alone: what
    zipfile would parse, known before it parses it. UploadRejected for a file without one."""
    return _central_directory(fh)


def _open_zip(fh: BinaryIO, max_entries: int, limits: Limits) -> zipfile.ZipFile:
    """A zip read from `fh` (a file or BytesIO), its directory bounded before zipfile parses it."""
    count, size = _central_directory(fh)
    if count > max_entries or size > limits.max_central_directory:
        raise _reject("too_many_entries", TOO_MANY.format(limit=max_entries))
    try:
        fh.seek(0)
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise _reject("corrupt", CORRUPT.format(detail=type(exc).__name__)) from None
    if len(zf.infolist()) > max_entries:
        raise _reject("too_many_entries", TOO_MANY.format(limit=max_entries))
    return zf


def _stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, total_left: int, total_limit: int,
            codes: tuple[str, str] = ("decompressed_too_large", "decompressed_too_large")):
    """Yield the decompressed chunks of an entry, counting bytes as they come.

    `codes`: the rejection codes for the entry's own limit and for the running total.
    """
    seen = 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(CHUNK):
                seen += len(chunk)
                if seen > limit:
                    raise _reject(codes[0], BOMB.format(limit=_size(limit)))
                if seen > total_left:
                    raise _reject(codes[1], BOMB.format(limit=_size(total_limit)))
                yield chunk
    except UploadRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError,
            RuntimeError) as exc:
        detail = "暗号化されたZIP" if "encrypted" in str(exc) else type(exc).__name__
        raise _reject("corrupt", CORRUPT.format(detail=detail)) from None


# -- the upload zip ---------------------------------------------------------------------------


def _entry_name(info: zipfile.ZipInfo) -> str:
    """A safe, readable entry name: Windows (cp932) names repaired, no '..', no control chars."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("cp932")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    name = name.replace("\\", "/")
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    parts = [p for p in posixpath.normpath("/" + name).split("/") if p not in ("", ".", "..")]
    return "/".join(parts)[-200:] or "(名前なし)"


def _ignored(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return name.startswith("__MACOSX/") or base.startswith(".") or base in ("Thumbs.db", "desktop.ini")


def is_zip_upload(filename: str, data: bytes) -> bool:
    """A bulk upload: a .zip (by name); a workbook is a zip too, but is named as one."""
    return filename.lower().endswith(".zip")


def too_large(size: int, limit: int) -> UploadRejected:
    return _reject("too_large", TOO_LARGE.format(size=_size(size), limit=_size(limit)))


def open_upload(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> list[UploadFile]:
    """The files of an upload held in memory: a workbook alone, or every entry of a .zip (bounded).

    Raises UploadRejected for the upload as a whole (too large, corrupt zip, too many entries,
    total decompressed size over the limit); an entry that is not a workbook, a nested zip or
    an entry over the per-entry limit comes back with its `error` and no data. For uploads on
    disk use `expand_zip`, which never holds an entry in memory.
    """
    if len(data) > limits.max_upload_bytes:
        raise too_large(len(data), limits.max_upload_bytes)
    if not is_zip_upload(filename, data):
        return [UploadFile(filename, data, None)]
    entries = expand_zip(io.BytesIO(data), lambda _name, chunks: b"".join(chunks), limits)
    return [UploadFile(name, None, got) if isinstance(got, UploadRejected) else UploadFile(name, got, None)
            for name, got in entries]


def expand_zip(fh: BinaryIO, write: Callable[[str, Iterator[bytes]], T],
               limits: Limits = DEFAULT_LIMITS, *, already: int = 0) -> list[tuple[str, T | UploadRejected]]:
    """Every entry of the zip in `fh`, one at a time: `write(name, chunks)` consumes an entry's
    decompressed chunks (e.g. into a file) and returns what stands for it.

    Bounds are checked as the chunks come: an entry past the per-entry bound, or corrupt, is
    that entry's UploadRejected (`write` must leave nothing behind when its chunks raise); past
    the total bound (counting `already`: bytes other zips of the same batch expanded) the whole
    upload is refused (raised). Entries that are not workbooks and nested zips are refused by
    name, without being decompressed.
    """
    zf = _open_zip(fh, limits.max_zip_entries, limits)
    entries: list[tuple[str, T | UploadRejected]] = []
    total = already
    for info in zf.infolist():
        name = _entry_name(info)
        if info.is_dir() or _ignored(name):
            continue
        refusal = _entry_refusal(name)
        if refusal is not None:
            entries.append((name, refusal))
            continue
        seen = [0]
        chunks = _counted(_stream(zf, info, limits.max_zip_entry_bytes, limits.max_zip_total_bytes - total,
                                  limits.max_zip_total_bytes, ("entry_too_large", "decompressed_too_large")), seen)
        try:
            entries.append((name, write(name, _workbook_head(chunks))))
        except UploadRejected as exc:
            if exc.code not in ("entry_too_large", "corrupt", "not_a_workbook_content"):
                raise  # the whole upload is over its bounds
            entries.append((name, exc))
            continue
        total += seen[0]
    return entries


_WORKBOOK_MAGIC = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"PK\x03\x04")  # .xls; .xlsx/.xlsm/.ods


def _workbook_head(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks, once the first bytes show a workbook container; an entry that is not one is
    refused there, before the rest of it is decompressed or written anywhere. Its code is not
    "not_a_workbook" (an entry skipped by its name, e.g. a cover letter): a file named as a
    workbook that is not one is an error of that file."""
    head = b""
    for chunk in chunks:
        if head is not None:
            head += chunk
            if len(head) < 8:
                continue
            if not head.startswith(_WORKBOOK_MAGIC):
                raise _reject("not_a_workbook_content", NOT_WORKBOOK)
            chunk, head = head, None
        yield chunk
    if head is not None:  # shorter than any workbook
        raise _reject("not_a_workbook_content", NOT_WORKBOOK)


def _counted(chunks: Iterator[bytes], seen: list[int]) -> Iterator[bytes]:
    for chunk in chunks:
        seen[0] += len(chunk)
        yield chunk


def _entry_refusal(name: str) -> UploadRejected | None:
    lower = name.lower()
    if lower.endswith(".zip"):
        return _reject("nested_zip", NESTED_ZIP)
    if not lower.endswith(WORKBOOK_EXTENSIONS):
        return _reject("not_a_workbook", NOT_WORKBOOK)
    return None


# -- one workbook -----------------------------------------------------------------------------


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


def _forbid_dtd(name, sysid, pubid, has_internal_subset):
    raise DTDForbidden(name, sysid, pubid)


def _forbid_entity(name, *args):
    raise EntitiesForbidden(name, None, None, None, None, None)


def _forbid_external(context, base, sysid, pubid):
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def defused_expat(start, end=None) -> expat.XMLParserType:
    """An expat parser that refuses DTDs, entity declarations and external references, as
    defusedxml's parsers do, calling `start(name, attrs)` straight from C (names as
    "namespace}local")."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbid_dtd
    parser.EntityDeclHandler = _forbid_entity
    parser.UnparsedEntityDeclHandler = _forbid_entity
    parser.ExternalEntityRefHandler = _forbid_external
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    return parser


def _scan_part(chunks, scanner) -> int:
    """Consume the part's chunks (counting them); feed XML parts to their scanner."""
    size = 0
    parser = defused_expat(scanner.start, getattr(scanner, "end", None)) if scanner is not None else None
    stopped = parser is None
    for chunk in chunks:
        size += len(chunk)
        if stopped:
            continue
        try:
            parser.Parse(chunk, False)
        except _Stop:
            stopped = True
        except DefusedXmlException:
            raise _reject("xml_forbidden", XML_FORBIDDEN) from None
        except (expat.ExpatError, ValueError):
            raise _reject("corrupt", CORRUPT.format(detail="XMLの形式が正しくありません")) from None
    if not stopped:
        try:
            parser.Parse(b"", True)
        except _Stop:
            pass
        except (expat.ExpatError, ValueError):
            raise _reject("corrupt", CORRUPT.format(detail="XMLの形式が正しくありません")) from None
    return size


class _Stop(Exception):
    """Raised by a scanner that has seen enough."""


class _Prolog:
    """Stops at the root element: a DTD (the only place entities are declared) comes first."""

    def start(self, tag, attrib):
        raise _Stop

    def area(self) -> int:
        return 0

    def cells(self) -> int:
        return 0

    def sheets(self) -> int:
        return 0

    def close(self):
        return None


class _SheetList(_Prolog):
    """The sheets xl/workbook.xml names: what calamine will try to open, parts or not."""

    def __init__(self):
        self.count = 0

    def start(self, tag, attrib):
        if tag.endswith("}sheet") or tag == "sheet":
            self.count += 1

    def sheets(self) -> int:
        return self.count


_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")


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
        from .model import cell_name

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
