"""Hostile and broken uploads: zip bombs, far-away cells, XML entity bombs, foreign files.

Timing and memory bounds here are generous correctness checks (a bomb must be refused quickly
and without inflating), not benchmarks.
"""
from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
import xlsxwriter

from survey.workbook import (
    SheetReaderPool,
    UploadRejected,
    check_workbook_bytes,
    open_upload,
    read_answer_sheet_isolated,
    write_answer_sheet,
)
from survey.workbook.safety import Limits
from tests.workbook.answer_sheet_helpers import (
    DEFN,
    SAGAMIHARA,
    filled_sheet,
    org_kind_of,
    read,
    resolve_org,
    sample,
)
from tests.workbook.hostile_workbooks import deflate, raw_zip, zeros_deflated

MB = 1 << 20


# -- building hostile zips by hand: tests/workbook/hostile_workbooks.py ---------------------------
_deflate, _zeros_deflated, _zip = deflate, zeros_deflated, raw_zip
ZIP_HEAD = b"PK\x03\x04"  # entries open like a workbook container, so only the size bounds stop them


def _entries_of(xlsx: bytes, replace: dict[str, tuple[bytes, int, int]] | None = None):
    replace = replace or {}
    archive = zipfile.ZipFile(io.BytesIO(xlsx))
    entries = []
    for name in archive.namelist():
        if name in replace:
            entries.append((name, *replace[name]))
        else:
            data = archive.read(name)
            entries.append((name, _deflate(data), zlib.crc32(data), len(data)))
    return entries


def _measure(fn):
    """(result or exception, CPU seconds, peak traced bytes).

    CPU time, not wall time: the bound says how much work a refusal costs (a bomb expanded would take
    seconds of CPU), which a machine busy with other processes does not change."""
    tracemalloc.start()
    started = time.process_time()
    try:
        outcome = fn()
    except UploadRejected as exc:
        outcome = exc
    elapsed = time.process_time() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return outcome, elapsed, peak


SHEET = filled_sheet(*sample(SAGAMIHARA, seed=4))  # saved by openpyxl
WRITTEN = write_answer_sheet(DEFN, context=SAGAMIHARA)  # saved by xlsxwriter: shared strings, XML declarations
FAR_XLS = Path(__file__).parent / "data" / "far-cells.xls"  # 5.6 KB; A1 and IV65536 (LibreOffice-written)


# -- zip bombs ---------------------------------------------------------------------------------

def test_zip_bomb_in_an_upload_zip_is_refused_fast_and_small():
    bomb, crc = _zeros_deflated(2048, prefix=ZIP_HEAD)  # 2 GB decompressed from about 2 MB, opening like a workbook
    upload = _zip([("相模原市.xlsx", _deflate(SHEET), zlib.crc32(SHEET), len(SHEET)),
                   ("bomb.xlsx", bomb, crc, 2048 * MB + len(ZIP_HEAD))])
    files, elapsed, peak = _measure(lambda: open_upload(upload, "回答.zip"))
    assert elapsed < 1.0 and peak < 100 * MB
    assert [f.name for f in files] == ["相模原市.xlsx", "bomb.xlsx"]
    assert files[0].data == SHEET and files[0].error is None
    assert files[1].data is None and files[1].error.code == "entry_too_large"


def test_zip_bomb_with_a_lying_declared_size_is_refused():
    bomb, crc = _zeros_deflated(512)
    upload = _zip([("bomb.xlsx", bomb, crc, 1000)])  # claims 1000 bytes
    files, elapsed, peak = _measure(lambda: open_upload(upload, "回答.zip"))
    assert elapsed < 1.0 and peak < 100 * MB
    assert files[0].data is None and files[0].error.code in {"corrupt", "entry_too_large"}


def test_many_entries_adding_up_are_refused_as_a_whole():
    bomb, crc = _zeros_deflated(9, prefix=ZIP_HEAD)
    upload = _zip([(f"f{n}.xlsx", bomb, crc, 9 * MB + len(ZIP_HEAD)) for n in range(40)])
    outcome, elapsed, peak = _measure(lambda: open_upload(upload, "回答.zip", Limits(max_zip_total_bytes=50 * MB)))
    assert isinstance(outcome, UploadRejected) and outcome.code == "decompressed_too_large"
    assert elapsed < 1.0 and peak < 100 * MB


def test_sheet_part_bomb_inside_an_xlsx_is_refused_fast_and_small():
    prefix = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b"<sheetData>")
    bomb, crc = _zeros_deflated(3000, b" ", prefix)  # well-formed XML of about 3 GB (all blanks)
    xlsx = _zip(_entries_of(SHEET, {"xl/worksheets/sheet1.xml": (bomb, crc, 3000 * MB + len(prefix))}))
    result, elapsed, peak = _measure(lambda: read(xlsx))
    assert elapsed < 1.0 and peak < 100 * MB
    assert not result.ok and result.errors[0].code == "decompressed_too_large"
    assert "展開後のサイズ" in result.errors[0].message


def test_too_many_entries():
    upload = _zip([(f"f{n}.txt", _deflate(b"x"), zlib.crc32(b"x"), 1) for n in range(30)])
    with pytest.raises(UploadRejected) as exc:
        open_upload(upload, "回答.zip", Limits(max_zip_entries=20))
    assert exc.value.code == "too_many_entries"


def test_upload_too_large():
    with pytest.raises(UploadRejected) as exc:
        open_upload(b"x" * 2000, "回答.zip", Limits(max_upload_bytes=1000))
    assert exc.value.code == "too_large" and "上限" in exc.value.message


# -- the upload zip's entries ----------------------------------------------------------------------

def _plain_zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buf.getvalue()


def test_zip_entries_nested_zip_and_non_workbooks_are_reported():
    upload = _plain_zip({"a/相模原市.xlsx": SHEET, "inner.zip": _plain_zip({"x.xlsx": SHEET}), "メモ.txt": b"memo",
                         "__MACOSX/._a.xlsx": b"junk", "b/": b""})
    files = {f.name: f for f in open_upload(upload, "all.zip")}
    assert set(files) == {"a/相模原市.xlsx", "inner.zip", "メモ.txt"}
    assert files["a/相模原市.xlsx"].data == SHEET
    assert files["inner.zip"].error.code == "nested_zip"
    assert files["メモ.txt"].error.code == "not_a_workbook"


def test_zip_entry_names_are_sanitised():
    upload = _zip([("../../etc/passwd.xlsx", _deflate(SHEET), zlib.crc32(SHEET), len(SHEET)),
                   ("/abs/\x07bell.xlsx", _deflate(SHEET), zlib.crc32(SHEET), len(SHEET))])
    names = [f.name for f in open_upload(upload, "x.zip")]
    assert names == ["etc/passwd.xlsx", "abs/bell.xlsx"]


def test_windows_zip_names_in_cp932_are_repaired():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        info = zipfile.ZipInfo("placeholder.xlsx")
        archive.writestr(info, SHEET)
    raw = buf.getvalue().replace(b"placeholder.xlsx", "相模原市.xlsx".encode("cp932").ljust(16, b"_"))
    assert open_upload(raw, "x.zip")[0].name.startswith("相模原市")


def test_corrupt_zip_is_a_clean_error():
    with pytest.raises(UploadRejected) as exc:
        open_upload(b"PK\x03\x04" + b"\0" * 100, "x.zip")
    assert exc.value.code == "corrupt"
    result = read(SHEET[: len(SHEET) // 2])
    assert not result.ok and result.errors[0].code == "corrupt"


def test_a_single_workbook_upload_is_one_file():
    assert open_upload(SHEET, "相模原市.xlsx") == [(("相模原市.xlsx"), SHEET, None)]


# -- far-away cells ------------------------------------------------------------------------------------

def _far(cells) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf)
    ws = book.add_worksheet()
    for row, col in cells:
        ws.write_string(row, col, "x")
    book.close()
    return buf.getvalue()


def test_far_away_cell_is_refused_without_reading_the_sheet():
    data = _far([(0, 0), (1048575, 16383)])
    assert len(data) < 6000
    result, elapsed, peak = _measure(lambda: read(data, "far.xlsx"))
    assert elapsed < 1.0 and peak < 50 * MB
    assert result.errors[0].code == "sheet_too_large" and "XFD1048576" in result.errors[0].message


def test_single_far_cell_reads_as_an_unrelated_workbook():
    result = read(_far([(1048575, 16383)]), "far.xlsx")
    assert result.errors[0].code == "no_answer_table"


def test_far_cells_without_addresses_are_counted_by_position():
    xml = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<sheetData><row><c t="inlineStr"><is><t>a</t></is></c></row>'
           '<row r="1048576">' + '<c t="inlineStr"><is><t>b</t></is></c>' * 3 + '</row></sheetData></worksheet>')
    sheet = xml.encode()
    xlsx = _zip(_entries_of(_far([(0, 0)]), {"xl/worksheets/sheet1.xml": (_deflate(sheet), zlib.crc32(sheet),
                                                                          len(sheet))}))
    with pytest.raises(UploadRejected) as exc:
        check_workbook_bytes(xlsx, "x.xlsx", Limits(max_cells_area=1_000_000))
    assert exc.value.code == "sheet_too_large"


@pytest.mark.parametrize("cell", [
    '<table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/>',
    '<table:table-cell table:number-columns-repeated="16384"><text:p>x</text:p></table:table-cell>',
])
def test_ods_repeated_cells_are_counted(cell):
    content = ('<?xml version="1.0"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body><office:spreadsheet>'
               '<table:table table:name="S"><table:table-row table:number-rows-repeated="1048576">'
               + cell + '</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>').encode()
    mimetype = b"application/vnd.oasis.opendocument.spreadsheet"
    ods = _zip([("mimetype", _deflate(mimetype), zlib.crc32(mimetype), len(mimetype)),
                ("content.xml", _deflate(content), zlib.crc32(content), len(content))])
    result = read(ods, "x.ods")
    assert result.errors[0].code == "sheet_too_large"


# -- XML entity bombs ------------------------------------------------------------------------------------

LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10))
          + ']>')


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "[Content_Types].xml"])
def test_xml_entity_bomb_is_refused(part):
    original = zipfile.ZipFile(io.BytesIO(WRITTEN)).read(part).decode()
    body = original.split("?>", 1)[1]
    root = body.lstrip().split()[0][1:]
    bomb = (LAUGHS.replace("lolz", root) + body.replace("</t>", "&lol9;</t>", 1)).encode()
    xlsx = _zip(_entries_of(WRITTEN, {part: (_deflate(bomb), zlib.crc32(bomb), len(bomb))}))
    result, elapsed, peak = _measure(lambda: read(xlsx))
    assert elapsed < 1.0 and peak < 50 * MB
    assert not result.ok and result.errors[0].code == "xml_forbidden"


def test_external_entity_is_refused():
    part = "xl/sharedStrings.xml"
    original = zipfile.ZipFile(io.BytesIO(WRITTEN)).read(part).decode().split("?>", 1)[1]
    evil = ('<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + original.replace("</t>", "&x;</t>", 1)).encode()
    result = read(_zip(_entries_of(WRITTEN, {part: (_deflate(evil), zlib.crc32(evil), len(evil))})))
    assert result.errors[0].code == "xml_forbidden"


# -- foreign files --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "name"), [
    (b"%PDF-1.7\n1 0 obj<<>>endobj\n", "回答.pdf"),
    (b"%PDF-1.7\n1 0 obj<<>>endobj\n", "回答.xlsx"),
    ("項番,回答\n1-1,①\n".encode("cp932"), "回答.xlsx"),
    (b"", "回答.xlsx"),
])
def test_non_workbooks_are_clean_per_file_errors(data, name):
    result = read(data, name)
    assert not result.ok and result.errors[0].code == "not_a_workbook"
    assert "Excel" in result.errors[0].message


def test_docx_renamed_xlsx_is_not_an_answer_sheet():
    docx = _plain_zip({"[Content_Types].xml": b'<?xml version="1.0"?><Types/>', "word/document.xml": b"<w/>"})
    result = read(docx, "回答.xlsx")
    assert not result.ok and result.errors[0].code in {"unreadable", "no_answer_table"}


def test_macro_workbook_reads_values_only(tmp_path):
    answers, respondent = sample(SAGAMIHARA, seed=6)
    data = filled_sheet(answers, respondent)
    archive = zipfile.ZipFile(io.BytesIO(data))
    entries = _entries_of(data)
    vba = b"\xd0\xcf\x11\xe0 not really a vba project"
    entries.append(("xl/vbaProject.bin", _deflate(vba), zlib.crc32(vba), len(vba)))
    assert archive.namelist()
    result = read(_zip(entries), "回答.xlsm")
    assert result.ok and result.answers == answers


# -- isolation ------------------------------------------------------------------------------------------

def test_isolated_reader_gives_the_same_result():
    answers, respondent = sample(SAGAMIHARA, seed=8)
    data = write_answer_sheet(DEFN, context=SAGAMIHARA, answers=answers, respondent=respondent)
    isolated = read_answer_sheet_isolated(data, "a.xlsx", DEFN, resolve_org=resolve_org, org_kind_of=org_kind_of)
    assert isolated == read(data, "a.xlsx")
    assert isolated.answers == answers


def test_pool_survives_a_crashing_and_a_slow_file():
    """A worker killed by its memory limit, or a file over the time limit, is that file's error."""
    files = [("ok1.xlsx", SHEET), ("far.xlsx", _far([(0, 0), (1048575, 16383)])), ("ok2.xlsx", SHEET)]
    with SheetReaderPool(2, max_files_per_worker=2) as pool:
        results = dict(pool.read_many(files, DEFN, resolve_org=resolve_org, org_kind_of=org_kind_of))
    assert results["ok1.xlsx"].ok and results["ok2.xlsx"].ok
    assert results["far.xlsx"].errors[0].code == "sheet_too_large"
    # calamine would allocate about 1 GB for this .xls and abort the process: only the worker dies
    batch = [("ok1.xls", SHEET), ("far.xls", FAR_XLS.read_bytes()), ("ok2.xlsx", SHEET)]
    with SheetReaderPool(1, memory_mb=512) as pool:
        crashed = dict(pool.read_many(batch, DEFN, resolve_org=resolve_org, org_kind_of=org_kind_of))
    assert crashed["far.xls"].errors[0].code == "reader_crashed" and "異常終了" in crashed["far.xls"].errors[0].message
    assert crashed["ok2.xlsx"].ok
    with SheetReaderPool(1, timeout=0.0001) as pool:
        slow = list(pool.read_many([("a.xlsx", SHEET), ("b.xlsx", SHEET)], DEFN, resolve_org=resolve_org))
    assert [r.errors[0].code for _, r in slow] == ["timeout", "timeout"]


def test_entries_that_do_not_open_like_a_workbook_are_refused_by_their_first_bytes():
    bomb, crc = _zeros_deflated(2048)  # 2 GB of zeros named .xlsx
    upload = _zip([("zeros.xlsx", bomb, crc, 2048 * MB), ("tiny.xlsx", _deflate(b"PK"), zlib.crc32(b"PK"), 2)])
    files, elapsed, peak = _measure(lambda: open_upload(upload, "回答.zip"))
    assert elapsed < 0.5 and peak < 10 * MB
    assert [f.error.code for f in files] == ["not_a_workbook_content", "not_a_workbook_content"]
