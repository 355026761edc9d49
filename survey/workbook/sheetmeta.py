"""What python-calamine does not tell about a sheet: unlocked cells (.xlsx) and merged ranges (.ods).

A protected sheet (`<sheetProtection>`) whose cell styles say `<protection locked="0"/>`
tells the reader where the respondent types, whatever the layout. The parts were already
checked by `safety.check_workbook` (sizes, no DTD), which hands over the ones it kept
decompressed; they are parsed again here with the same defused expat parser. .xls and .ods carry no usable protection info here: None.
calamine gives merged ranges for .xlsx and .xls; for .ods they are read from content.xml.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from functools import lru_cache

from .safety import defused_expat

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships}"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_MAX_ROW, _MAX_COL = 400, 40  # the reader's area (extract.MAX_ROWS x MAX_COLS)


class _Parts:
    """The workbook's parts by name: those the safety check kept (`CheckedWorkbook.parts`),
    else read from the zip (opened once, when first needed)."""

    def __init__(self, data: bytes, kept: dict[str, bytes] | None):
        self.data, self.kept, self.zf = data, kept or {}, None

    def read(self, name: str) -> bytes:
        if name in self.kept:
            return self.kept[name]
        if self.zf is None:
            self.zf = zipfile.ZipFile(io.BytesIO(self.data))
        return self.zf.read(name)

    def has(self, name: str) -> bool:
        if name in self.kept:
            return True
        if self.zf is None:
            self.zf = zipfile.ZipFile(io.BytesIO(self.data))
        return name in self.zf.namelist()


def unlocked_cells(data: bytes, sheet_name: str, parts: dict[str, bytes] | None = None,
                   ) -> frozenset[tuple[int, int]] | None:
    """0-based (row, col) of the unlocked cells of `sheet_name`, or None when the file is not
    an .xlsx or the sheet is not protected (then every cell may hold input). `parts`: the
    decompressed parts the safety check kept (`CheckedWorkbook.parts`), not read again."""
    try:
        zf = _Parts(data, parts)
        part = _kept(_sheet_part, zf.read("xl/workbook.xml"), zf.read("xl/_rels/workbook.xml.rels"), sheet_name)
        if part is None:
            return None
        styles = _kept(_unlocked_styles, zf.read("xl/styles.xml"))
        return _scan_sheet(zf.read(part), styles)
    except Exception:  # noqa: BLE001 - protection info is a hint: a part it cannot parse gives none
        return None


def _parse(data: bytes, start, end=None) -> None:
    parser = defused_expat(start, end)
    parser.Parse(data, True)


# Every sheet a worker reads from the portal's writer has the same workbook, relationships and
# styles parts: what they say is kept by their bytes (small parts only, so a worker under its
# memory limit never keeps much). A pure function of the bytes, so a kept answer is the answer.
_KEEP_META_BYTES = 64 * 1024


def _kept(derive, *parts_and_args):
    """`derive(*parts_and_args)`, remembered when its byte arguments are small."""
    if sum(len(a) for a in parts_and_args if isinstance(a, bytes)) <= _KEEP_META_BYTES:
        return _remembered(derive, *parts_and_args)
    return derive(*parts_and_args)


@lru_cache(maxsize=32)
def _remembered(derive, *args):
    return derive(*args)


def _sheet_part(workbook_xml: bytes, rels_xml: bytes, sheet_name: str) -> str | None:
    """The part name of `sheet_name`, from xl/workbook.xml and its relationships."""
    ids: dict[str, str] = {}
    targets: dict[str, str] = {}

    def on_sheet(tag, attrs):
        if tag == f"{_MAIN}sheet" and attrs.get("name") == sheet_name:
            ids[attrs.get(f"{_REL}id", "")] = sheet_name

    def on_rel(tag, attrs):
        if tag == f"{_PKG_REL}Relationship":
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    _parse(workbook_xml, on_sheet)
    _parse(rels_xml, on_rel)
    rid = next(iter(ids), None)
    target = targets.get(rid or "")
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


_CELL_XFS = re.compile(rb"<(?:\w+:)?cellXfs\b.*?</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b(?:[^>]*/>|.*?</(?:\w+:)?xf>)", re.S)
_UNLOCKED = re.compile(rb"<(?:\w+:)?protection\b[^>]*\slocked=\"(?:0|false)\"")


def _unlocked_styles(styles_xml: bytes) -> frozenset[int]:
    """Indexes of the cellXfs formats that unlock their cells (a scan of the part's tags)."""
    block = _CELL_XFS.search(styles_xml)
    if block is None:
        return frozenset()
    return frozenset(n for n, xf in enumerate(_XF.finditer(block.group())) if _UNLOCKED.search(xf.group()))


_PROTECTION = re.compile(rb"<(?:\w+:)?sheetProtection\b[^>]*?\ssheet=\"(?:1|true)\"")
# Cell tags with their reference before their style, as Excel, LibreOffice, openpyxl and
# xlsxwriter write them; a tag written otherwise only loses its hint. (The prefix possessive, as
# in safety.cells._CELL_TAG: \w holds no ":".)
_STYLED_CELL = re.compile(rb"<(?:\w++:)?c\s+r=\"([A-Z]{1,3}[0-9]{1,7})\"[^>]*?\ss=\"([0-9]{1,6})\"")


def _scan_sheet(xml: bytes, styles: frozenset[int]) -> frozenset[tuple[int, int]] | None:
    """Unlocked cells of a protected sheet part, by a scan of its cell tags (the part was parsed
    and bounded by safety.check_workbook_bytes already; a per-element parser costs ten times more)."""
    first = xml.find(b"sheetProtection")  # the regex from there: the tag comes after the cells
    if first < 0 or not _PROTECTION.search(xml, max(0, xml.rfind(b"<", 0, first))):
        return None
    if not styles:
        return frozenset()
    unlocks: dict[bytes, bool] = {}  # by the style's digits, looked up once per sheet
    cells = []
    for ref, style in _STYLED_CELL.findall(xml):
        hit = unlocks.get(style)
        if hit is None:
            hit = unlocks[style] = _style(style) in styles
        if hit:
            cells.append(_address(ref))
    return frozenset(cells)


@lru_cache(maxsize=256)
def _style(digits: bytes) -> int:
    return int(digits)


@lru_cache(maxsize=4096)  # the same input cells on every sheet a worker reads
def _address(ref: bytes | str) -> tuple[int, int]:
    ref = ref.decode() if isinstance(ref, bytes) else ref
    letters = "".join(c for c in ref if c.isalpha())
    digits = ref[len(letters):]
    col = 0
    for c in letters.upper():
        col = col * 26 + ord(c) - 64
    return int(digits) - 1, col - 1


def ods_merges(data: bytes, sheet_name: str, parts: dict[str, bytes] | None = None,
               ) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Merged ranges ((row, col), (last row, last col)), 0-based, of `sheet_name` in an .ods
    (`table:number-columns-spanned` / `-rows-spanned`), within the reader's area. `parts` as
    in `unlocked_cells`."""
    try:
        zf = _Parts(data, parts)
        if not zf.has("content.xml"):
            return []
        walker = _OdsWalker(sheet_name)
        _parse(zf.read("content.xml"), walker.start, walker.end)
        return walker.merges
    except Exception:  # noqa: BLE001 - merge info is a hint: a part it cannot parse gives none
        return []


class _OdsWalker:
    def __init__(self, sheet_name: str):
        self.sheet_name = sheet_name
        self.inside = False
        self.row = -1
        self.col = 0
        self.row_repeat = 1
        self.merges: list = []

    def start(self, tag, attrs):
        if tag == f"{_TABLE}table":
            self.inside = attrs.get(f"{_TABLE}name") == self.sheet_name
            self.row = -1
        elif not self.inside or self.row >= _MAX_ROW:
            return
        elif tag == f"{_TABLE}table-row":
            self.row += 1
            self.col = 0
            self.row_repeat = int(attrs.get(f"{_TABLE}number-rows-repeated", "1") or 1)
        elif tag in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
            cols = int(attrs.get(f"{_TABLE}number-columns-spanned", "1") or 1)
            rows = int(attrs.get(f"{_TABLE}number-rows-spanned", "1") or 1)
            if (cols > 1 or rows > 1) and self.col < _MAX_COL:
                self.merges.append(((self.row, self.col), (self.row + rows - 1, self.col + cols - 1)))
            self.col += int(attrs.get(f"{_TABLE}number-columns-repeated", "1") or 1)

    def end(self, tag):
        if tag == f"{_TABLE}table":
            self.inside = False
        elif self.inside and tag == f"{_TABLE}table-row":
            self.row += min(self.row_repeat, 1 << 20) - 1
