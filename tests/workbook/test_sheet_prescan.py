"""The worksheet pre-scan reads cell references from the tags at once (`_XlsxCells.scan_tags`)
when every cell has a plain `r="A1"`; anything written otherwise goes through the per-element
scan. Either way the same cells are found: a far cell is refused however it is written."""
from __future__ import annotations

import io
import zipfile
import zlib
from xml.parsers import expat

import openpyxl
import pytest

from survey.workbook import UploadRejected, check_workbook_bytes, write_answer_sheet
from survey.workbook.safety import Limits, check_workbook
from survey.workbook.safety.cells import _XlsxCells
from tests.workbook.answer_sheet_helpers import DEFN, SAGAMIHARA, sample
from tests.workbook.hostile_workbooks import deflate, raw_zip

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LIMITS = Limits(max_cells_area=1_000_000)


def _book_with_sheet(sheet_xml: str) -> bytes:
    """An .xlsx (openpyxl's) whose first worksheet part is `sheet_xml`."""
    buf = io.BytesIO()
    book = openpyxl.Workbook()
    book.active["A1"] = "x"
    book.save(buf)
    archive = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    entries = []
    for name in archive.namelist():
        data = sheet_xml.encode() if name == "xl/worksheets/sheet1.xml" else archive.read(name)
        entries.append((name, deflate(data), zlib.crc32(data), len(data)))
    return raw_zip(entries)


def _sheet(cells: str, extra_ns: str = "") -> str:
    return (f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"{extra_ns}><sheetData>'
            f'<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>{cells}</sheetData></worksheet>')


def _per_element_bounds(xml: bytes) -> tuple:
    scanner = _XlsxCells()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = scanner.start
    parser.Parse(xml, True)
    return scanner.area(), scanner.far_cell()


@pytest.mark.parametrize("far", [
    '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',                      # plain: read from the tags
    "<row r='1048576'><c r='XFD1048576'><v>1</v></c></row>",                      # single quotes
    '<row r="1048576"><c r="&#88;FD1048576"><v>1</v></c></row>',                  # a character reference
    '<row r="1048576"><c s="0" r = "XFD1048576"><v>1</v></c></row>',              # spaces around =
    '<row r="1048576"><c a=">" r="XFD1048576"><v>1</v></c></row>',                # ">" in an attribute
    '<row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></row>',              # a namespace prefix
    '<row r="1048576">' + '<c><v>1</v></c>' * 3 + '</row>',                      # no references at all
    '<row r="1048576"><c r="A1048576"/><c><v>1</v></c></row>',                    # one without, after one with
])
def test_a_far_cell_is_refused_however_it_is_written(far):
    xlsx = _book_with_sheet(_sheet(far, f' xmlns:x="{MAIN}"'))
    with pytest.raises(UploadRejected) as exc:
        check_workbook_bytes(xlsx, "x.xlsx", LIMITS)
    assert exc.value.code == "sheet_too_large"


def test_a_cell_with_two_references_is_corrupt_not_read_by_the_first():
    xlsx = _book_with_sheet(_sheet('<row r="2"><c r="B2" r="XFD1048576"><v>1</v></c></row>'))
    with pytest.raises(UploadRejected) as exc:
        check_workbook_bytes(xlsx, "x.xlsx", LIMITS)
    assert exc.value.code == "corrupt"


def _written_sheets() -> list[bytes]:
    """Worksheet parts as the portal's writer and openpyxl write them."""
    answers, respondent = sample()
    ours = write_answer_sheet(DEFN, context=SAGAMIHARA, answers=answers, respondent=respondent)
    buf = io.BytesIO()
    book = openpyxl.Workbook()
    for r in range(1, 60):
        for c in range(1, 9):
            book.active.cell(r + 3, c + 2, f"{r}-{c}")
    book.save(buf)
    parts = []
    for data in (ours, buf.getvalue()):
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts += [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    return parts


def test_tags_give_the_bounds_a_call_per_element_gives():
    for xml in _written_sheets():
        by_tags = _XlsxCells()
        assert by_tags.scan_tags(xml)
        assert (by_tags.area(), by_tags.far_cell()) == _per_element_bounds(xml)


def test_a_cell_without_a_plain_reference_leaves_the_tag_scan_to_the_per_element_one():
    xml = _sheet('<row r="3"><c><v>1</v></c></row>').encode()
    scanner = _XlsxCells()
    assert not scanner.scan_tags(xml)
    assert scanner.area() == 0  # nothing taken from a scan that could not read every cell


def test_the_checked_parts_are_handed_to_the_reader():
    answers, respondent = sample()
    data = write_answer_sheet(DEFN, context=SAGAMIHARA, answers=answers, respondent=respondent)
    checked = check_workbook(data, "回答.xlsx")
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert checked.kind == "xlsx"
    for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml"):
        assert checked.parts[name] == archive.read(name)


def test_a_far_reference_in_a_comment_only_widens_the_bounds():
    """Tag text in a comment counts for the tag scan (it can only widen the bounds), even when
    two cell tags stand in one comment with no ">" between them."""
    xml = _sheet('<!-- <c x <c r="XFD1048576"> --><row r="2"><c r="B2"><v>1</v></c></row>').encode()
    scanner = _XlsxCells()
    assert scanner.scan_tags(xml)
    assert scanner.far_cell() == "XFD1048576"


def test_unlocked_cells_are_read_from_the_tags_however_the_protection_is_prefixed():
    from survey.workbook.sheetmeta import _scan_sheet

    cells = '<row r="2"><c r="B2" s="3"><v>1</v></c><c r="C2" s="03"/><c r="D2" s="1"/></row>'
    plain = _sheet(cells).replace("</sheetData>", '</sheetData><sheetProtection sheet="1"/>').encode()
    prefixed = _sheet(cells, f' xmlns:x="{MAIN}"').replace(
        "</sheetData>", '</sheetData><x:sheetProtection password="A" sheet="true"/>').encode()
    assert _scan_sheet(plain, frozenset({3})) == _scan_sheet(prefixed, frozenset({3})) == {(1, 1), (1, 2)}
    off = _sheet(cells).replace("</sheetData>", '</sheetData><sheetProtection sheet="0"/>').encode()
    assert _scan_sheet(off, frozenset({3})) is None
    assert _scan_sheet(_sheet(cells).encode(), frozenset({3})) is None
