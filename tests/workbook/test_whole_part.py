"""A workbook part decompressed at once (`zips._whole_part`) is zipfile's bytes or nothing: when
anything about the entry is odd (sizes, CRC, header, method, a stream longer or shorter than
declared, a bomb) it gives None and the check streams the entry through zipfile, which refuses
or fails as before."""
from __future__ import annotations

import io
import zipfile
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from survey.workbook import write_answer_sheet
from survey.workbook.safety import UploadRejected, containers
from survey.workbook.safety.zips import _whole_part
from tests.workbook.answer_sheet_helpers import DEFN, SAGAMIHARA, sample
from tests.workbook.hostile_workbooks import deflate, raw_zip, zeros_deflated

MB = 1 << 20


def _sheet() -> bytes:
    answers, respondent = sample()
    return write_answer_sheet(DEFN, context=SAGAMIHARA, answers=answers, respondent=respondent)


SHEET = _sheet()


def _zipfile_read(data: bytes, info: zipfile.ZipInfo):
    """What zipfile gives for the entry (its bytes), or the exception it raises."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)).open(info) as fh:
            return fh.read()
    except Exception as exc:  # noqa: BLE001 - any failure is a failure here
        return exc


def _entries(data: bytes):
    try:
        return zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception:  # noqa: BLE001 - a directory zipfile cannot read: nothing to compare
        return []


def _agrees(data: bytes, limit: int = 20 * MB) -> int:
    """Every entry: `_whole_part` gives None or exactly zipfile's bytes, and None when zipfile fails.
    Returns how many entries it took whole."""
    taken = 0
    for info in _entries(data):
        whole = _whole_part(data, info, limit)
        if whole is None:
            continue
        taken += 1
        assert whole == _zipfile_read(data, info), info.filename
    return taken


def test_a_writers_parts_are_taken_whole_as_zipfile_reads_them():
    assert _agrees(SHEET) == len(_entries(SHEET))


def test_stored_parts_are_taken_whole_too():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
        for info in _entries(SHEET):
            out.writestr(info.filename, zipfile.ZipFile(io.BytesIO(SHEET)).read(info))
    assert _agrees(buf.getvalue()) == len(_entries(SHEET))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(SHEET) - 1), st.integers(0, 7)), min_size=1, max_size=4))
def test_a_damaged_zip_gives_zipfiles_bytes_or_none(flips):
    data = bytearray(SHEET)
    for at, bit in flips:
        data[at] ^= 1 << bit
    _agrees(bytes(data))


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=0, max_size=3000), st.integers(-3, 3), st.integers(-2, 2), st.booleans())
def test_declared_sizes_that_lie_give_none(body, size_delta, trailing, bad_crc):
    """Bytes after the deflate stream's end (inside the declared compressed size) are ignored, as
    zipfile ignores them; a size or CRC that does not match the stream gives None."""
    raw = deflate(body)
    size = max(0, len(body) + size_delta)
    crc = zlib.crc32(body) ^ (1 if bad_crc else 0)
    data = raw_zip([("xl/styles.xml", raw + b"\0" * max(0, trailing), crc, size)])
    info = _entries(data)[0]
    whole = _whole_part(data, info, 20 * MB)
    if size != len(body) or bad_crc:
        assert whole is None
    else:
        assert whole == body == _zipfile_read(data, info)


def test_a_bomb_is_never_decompressed_past_the_limit():
    """An entry declaring 10 bytes that holds 200 MB of zeros: None after at most 11 bytes produced
    (zipfile then reads its 10 bytes and finds the CRC wrong); one declaring its true size over
    the limit: None without decompressing."""
    raw, crc = zeros_deflated(200)
    lying = raw_zip([("xl/worksheets/sheet1.xml", raw, crc, 10)])
    assert _whole_part(lying, _entries(lying)[0], 20 * MB) is None
    assert isinstance(_zipfile_read(lying, _entries(lying)[0]), zipfile.BadZipFile)
    honest = raw_zip([("xl/worksheets/sheet1.xml", raw, crc, 200 * MB)])
    assert _whole_part(honest, _entries(honest)[0], 20 * MB) is None


def test_a_zip_with_bytes_before_it_is_read_where_zipfile_reads():
    data = b"MZ" + b"\0" * 100 + SHEET
    assert _agrees(data) == len(_entries(SHEET))


def test_the_check_decompresses_each_part_once_through_zipfile_only_when_odd(monkeypatch):
    """A writer's workbook: no part streamed through zipfile; one part with a wrong CRC: streamed,
    and refused as corrupt as before."""
    streamed = []
    real = containers._part_stream
    monkeypatch.setattr(containers, "_part_stream", lambda zf, info, *a: streamed.append(info.filename)
                        or real(zf, info, *a))
    containers._SEEN.clear()
    containers.check_workbook(SHEET, "回答.xlsx")
    assert streamed == []
    entries = [(i.filename, zipfile.ZipFile(io.BytesIO(SHEET)).read(i)) for i in _entries(SHEET)]
    bad = raw_zip([(n, deflate(b), zlib.crc32(b) ^ (n == "xl/sharedStrings.xml"), len(b)) for n, b in entries])
    try:
        containers.check_workbook(bad, "回答.xlsx")
        raise AssertionError("a wrong CRC passed")
    except UploadRejected as exc:
        assert exc.code == "corrupt"
    assert "xl/sharedStrings.xml" in streamed
