"""The container check remembers parts it found good (`containers._SEEN`): a part stored byte for
byte as one checked before is not decompressed and parsed again. Whatever was checked before,
every workbook gets the outcome it gets when checked first: the same kind and kept parts, the
same refusal with the same code and message."""
from __future__ import annotations

import io
import zipfile
import zlib

from survey.workbook import UploadRejected, write_answer_sheet
from survey.workbook.safety import DEFAULT_LIMITS, Limits, check_workbook, containers
from tests.workbook.answer_sheet_helpers import DEFN, SAGAMIHARA, sample
from tests.workbook.hostile_workbooks import deflate, raw_zip


def _sheet() -> bytes:
    answers, respondent = sample()
    return write_answer_sheet(DEFN, context=SAGAMIHARA, answers=answers, respondent=respondent)


def _entries(data: bytes) -> list[tuple[str, bytes]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return [(name, archive.read(name)) for name in archive.namelist()]


def _rezip(entries: list[tuple[str, bytes]]) -> bytes:
    return raw_zip([(name, deflate(body), zlib.crc32(body), len(body)) for name, body in entries])


def _outcome(data: bytes, limits: Limits = DEFAULT_LIMITS):
    try:
        checked = check_workbook(data, "回答.xlsx", limits)
    except UploadRejected as exc:
        return ("rejected", exc.code, exc.message)
    return ("ok", checked.kind, checked.parts)


def _cold(data: bytes, limits: Limits = DEFAULT_LIMITS):
    containers._SEEN.clear()
    return _outcome(data, limits)


def test_a_workbook_checked_again_gives_what_it_gave_first():
    data = _rezip(_entries(_sheet()))
    first = _cold(data)
    assert first[0] == "ok" and containers._SEEN  # its plain parts were remembered
    assert _outcome(data) == first
    assert _outcome(_sheet()) == _cold(_sheet())


def _deflated(body: bytes, level: int) -> bytes:
    co = zlib.compressobj(level, zlib.DEFLATED, -15)
    return co.compress(body) + co.flush()


def _forged_like(good: bytes) -> bytes:
    """Another body of `good`'s size whose deflate stream (at some level) is as long as `good`'s
    (`deflate`): only the stored bytes tell the two entries apart."""
    target = len(deflate(good))
    for i in range(0, len(good), 7):
        body = good[:i] + (b"Y" if good[i:i + 1] != b"Y" else b"Z") + good[i + 1:]
        for level in range(1, 10):
            if len(raw := _deflated(body, level)) == target:
                return raw
    raise AssertionError("no forgery of the same sizes")


def test_a_part_stored_otherwise_under_the_same_directory_entry_is_checked_again():
    """A styles part stored with other bytes of the same length, declared with the good one's CRC
    and sizes: zipfile finds the CRC wrong (corrupt), after the good one was seen as before."""
    entries = _entries(_sheet())
    bad = raw_zip([(n, _forged_like(b) if n == "xl/styles.xml" else deflate(b), zlib.crc32(b), len(b))
                   for n, b in entries])
    expected = _cold(bad)
    assert expected[:2] == ("rejected", "corrupt")
    _cold(_rezip(entries))  # the good styles part remembered
    assert _outcome(bad) == expected


def test_a_remembered_part_still_counts_toward_the_workbooks_total():
    """The same part stored many times (a zip may repeat a name): past the total of decompressed
    bytes the workbook is refused, with the code and message of a cold check."""
    entries = _entries(_sheet())
    theme = dict(entries)["xl/theme/theme1.xml"]
    data = _rezip(entries + [("xl/theme/theme1.xml", theme)] * 12)
    total = sum(len(b) for _, b in entries) + 6 * len(theme)
    limits = Limits(max_parts_total_bytes=total)
    expected = _cold(data, limits)
    assert expected[:2] == ("rejected", "decompressed_too_large")
    assert _outcome(data, limits) == expected
    assert _outcome(data, Limits())[0] == "ok"  # within the default total


def test_the_sheet_count_of_a_remembered_workbook_part_is_applied_again():
    """xl/workbook.xml naming more sheets than the limit (calamine would try each): refused from
    the remembered part's count as from a parse."""
    entries = _entries(_sheet())
    book = dict(entries)["xl/workbook.xml"]
    extra = b"".join(b'<sheet name="x%d" sheetId="%d" r:id="rIdX%d"/>' % (n, 10 + n, n) for n in range(3))
    many = _rezip([(n, book.replace(b"</sheets>", extra + b"</sheets>") if n == "xl/workbook.xml" else b)
                   for n, b in entries])
    limits = Limits(max_sheets=4)
    expected = _cold(many, limits)
    assert expected[:2] == ("rejected", "too_many_sheets")
    assert _outcome(many, limits) == expected
    assert _outcome(many, Limits())[0] == "ok"


def test_a_remembered_worksheet_gives_its_bounds_again():
    """A worksheet part remembered (the choice-list sheet every sheet of the writer carries) sets
    the new check's bounds as a parse would: a far cell in it is refused again, and its cells
    still count toward the workbook's total."""
    entries = _entries(_sheet())
    choices = dict(entries)["xl/worksheets/sheet2.xml"]
    far = choices.replace(b"</sheetData>", b'<row r="2000"><c r="ZZ2000" t="n"><v>1</v></c></row></sheetData>')
    assert far != choices
    wide = _rezip([(n, far if n == "xl/worksheets/sheet2.xml" else b) for n, b in entries])
    expected = _cold(wide)
    assert expected[:2] == ("rejected", "sheet_too_large")
    assert any(isinstance(found, dict) and "max_col" in found for _, _, found in containers._SEEN.values())
    assert _outcome(wide) == expected

    plain = _rezip(entries)
    cold = _cold(plain)
    assert cold[0] == "ok"
    cells = _cold(plain, Limits(max_total_cells=10**9))  # how many cells the two sheets span
    assert cells[0] == "ok"
    first = None
    for limit in range(1, 5000):  # the smallest total the workbook passes
        if _cold(plain, Limits(max_total_cells=limit))[0] == "ok":
            first = limit
            break
    assert first is not None
    below = Limits(max_total_cells=first - 1)
    expected = _cold(plain, below)
    assert expected[:2] == ("rejected", "too_many_cells")
    _outcome(plain, below)  # remembered now
    assert _outcome(plain, below) == expected
    assert _outcome(plain, Limits(max_total_cells=first)) == _cold(plain, Limits(max_total_cells=first))


def test_parts_every_sheet_shares_stay_remembered_through_a_batch_of_sheets_with_parts_of_their_own():
    """A batch: each sheet brings a worksheet and shared strings of its own (remembered, never seen
    again); the styles, theme, relationships... of the writer must not be decompressed again every
    time the memo fills up (it holds 64 parts: about 20 sheets)."""
    entries = _entries(_sheet())
    own = {"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"}

    def sheet(n: int) -> bytes:  # a comment after the root element: well-formed, another part
        return _rezip([(name, body + f"<!-- {n} -->".encode() if name in own else body) for name, body in entries])

    batch = [sheet(n) for n in range(3 * containers._SEEN_MAX)]
    _cold(batch[0])
    decompressed: list[str] = []
    real = containers._whole_part

    def counted(data, info, limit):
        decompressed.append(info.filename)
        return real(data, info, limit)

    containers._whole_part = counted
    try:
        outcomes = [_outcome(data) for data in batch[1:]]
    finally:
        containers._whole_part = real
    assert all(o[0] == "ok" for o in outcomes)
    assert set(decompressed) == own  # only each sheet's own parts, every time
    assert len(decompressed) == len(own) * (len(batch) - 1)
    assert len(containers._SEEN) <= containers._SEEN_MAX
