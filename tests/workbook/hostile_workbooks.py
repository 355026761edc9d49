"""Hostile workbooks built by hand (not by the portal's writer): many sheets, wide used ranges.

Shared by the reader-bounds tests, the upload-hazard tests over HTTP and bench/upload_hazards.py.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

MB = 1 << 20


# -- zips built by hand (zipfile cannot store pre-compressed or lying entries) ---------------------

def deflate(data: bytes) -> bytes:
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    return co.compress(data) + co.flush()


def zeros_deflated(megabytes: int, fill: bytes = b"\0", prefix: bytes = b"") -> tuple[bytes, int]:
    """A raw deflate stream of `prefix` + `megabytes` MB of `fill` (about 1 KB per MB), and its CRC."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = fill * MB
    head = co.compress(prefix) + co.flush(zlib.Z_FULL_FLUSH)
    first = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)
    steady = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(prefix)
    for _ in range(megabytes):
        crc = zlib.crc32(block, crc)
    return head + first + steady * (megabytes - 1) + co.flush(), crc


def raw_zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of (name, raw deflate data, crc, declared size) entries."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, raw, crc, size in entries:
        encoded = name.encode()
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 8, 0, 0x21, crc, len(raw), size, len(encoded), 0))
        out.write(encoded + raw)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 8, 0, 0x21, crc, len(raw), size,
                                  len(encoded), 0, 0, 0, 0, 0, offset))
        central.write(encoded)
    cd_offset, cd = out.tell(), central.getvalue()
    out.write(cd)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd), cd_offset, 0))
    return out.getvalue()


def bomb_zip(name: str = "bomb.xlsx", megabytes: int = 2048) -> bytes:
    """A zip of one entry that expands to `megabytes` MB (about 2 MB for 2 GB): a zip signature,
    so that it opens like a workbook, then zeros."""
    head = b"PK\x03\x04"
    raw, crc = zeros_deflated(megabytes, prefix=head)
    return raw_zip([(name, raw, crc, megabytes * MB + len(head))])


def sheet_part_bomb_xlsx(megabytes: int = 3000) -> bytes:
    """An .xlsx whose worksheet part is well-formed XML of `megabytes` MB (all blanks)."""
    prefix = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b"<sheetData>")
    raw, crc = zeros_deflated(megabytes, b" ", prefix)
    small = zipfile.ZipFile(io.BytesIO(many_sheets_xlsx(1, far="A1")))
    entries = []
    for name in small.namelist():
        if name == "xl/worksheets/sheet1.xml":
            entries.append((name, raw, crc, megabytes * MB + len(prefix)))
        else:
            data = small.read(name)
            entries.append((name, deflate(data), zlib.crc32(data), len(data)))
    return raw_zip(entries)


def docx_bomb(megabytes: int = 2048) -> bytes:
    """A .docx (by its parts) whose document part expands to `megabytes` MB."""
    raw, crc = zeros_deflated(megabytes)
    types = b'<?xml version="1.0"?><Types/>'
    return raw_zip([("[Content_Types].xml", deflate(types), zlib.crc32(types), len(types)),
                    ("word/document.xml", raw, crc, megabytes * MB)])


def large_entries_zip(path, entries: int = 30, size: int = int(9.9 * MB), head: bytes = b"PK\x03\x04"):
    """The finding's zip (about 306 KB): `entries` entries named like sheets, each `size` bytes
    under every per-entry and total bound; written to `path` a block at a time. Each entry opens
    with `head` (a zip's signature, so it looks like a workbook and is expanded to disk), then
    zeros; head=b"" gives plain zeros, refused by its first bytes."""
    block = b"\0" * MB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(entries):
            with archive.open(f"返送/{n:02d}.xlsx", "w") as entry:
                entry.write(head)
                left = size - len(head)
                while left:
                    entry.write(block[:min(left, MB)])
                    left -= min(left, MB)
    return path

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _sheet_xml(far: str, far_row: int) -> str:
    """One worksheet with a value in A1 and one in `far` (row `far_row`): calamine allocates the rectangle."""
    return (f'<?xml version="1.0"?><worksheet xmlns="{_MAIN}"><sheetData>'
            f'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
            f'<row r="{far_row}"><c r="{far}" t="inlineStr"><is><t>y</t></is></c></row>'
            f'</sheetData></worksheet>')


def many_sheets_xlsx(sheets: int, far: str = "ALL1000") -> bytes:
    """An .xlsx of `sheets` worksheets, each spanning A1:`far` (default 1000 x 1000 cells, just
    under the per-sheet bound); about 0.3 KB per sheet once compressed."""
    far_row = int("".join(c for c in far if c.isdigit()))
    buffer = io.BytesIO()
    numbers = range(1, sheets + 1)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SHEET_CT}"/>'
                            for i in numbers)
        z.writestr("[Content_Types].xml", (
            f'<?xml version="1.0"?><Types xmlns="{_CT}">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f'{overrides}</Types>'))
        z.writestr("_rels/.rels", (
            f'<?xml version="1.0"?><Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        z.writestr("xl/workbook.xml", (
            f'<?xml version="1.0"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            + "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>' for i in numbers)
            + "</sheets></workbook>"))
        z.writestr("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0"?><Relationships xmlns="{_PKG}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in numbers)
            + "</Relationships>"))
        for i in numbers:
            z.writestr(f"xl/worksheets/sheet{i}.xml", _sheet_xml(far, far_row))
    return buffer.getvalue()


_ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def many_tables_ods(tables: int, rows: int = 1000, cols: int = 1000) -> bytes:
    """An .ods of `tables` tables, each with a value in its first and its (rows, cols) cell."""
    gap_cols = f'<table:table-cell table:number-columns-repeated="{cols - 2}"/>' if cols > 2 else ""
    gap_rows = f'<table:table-row table:number-rows-repeated="{rows - 2}"><table:table-cell/></table:table-row>'
    table = ('<table:table table:name="T{n}"><table:table-row><table:table-cell office:value-type="string">'
             '<text:p>x</text:p></table:table-cell></table:table-row>' + gap_rows +
             f'<table:table-row>{gap_cols}<table:table-cell/><table:table-cell office:value-type="string">'
             '<text:p>y</text:p></table:table-cell></table:table-row></table:table>')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS}><office:body>'
               '<office:spreadsheet>' + "".join(table.format(n=n) for n in range(tables)) +
               '</office:spreadsheet></office:body></office:document-content>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>'))
        z.writestr("content.xml", content)
    return buffer.getvalue()


def stored_zip(entries: dict[str, bytes]) -> bytes:
    """A zip of the given entries, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buffer.getvalue()
