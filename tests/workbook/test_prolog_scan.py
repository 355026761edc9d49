"""Parts without cells are parsed only up to their root element (`xmlscan._Prolog`): a DTD can only
stand in the prolog (XML 1.0 §2.8), so stopping there refuses every DTD a whole parse refuses.
Crafted parts: a DOCTYPE after comments, processing instructions, whitespace, a BOM, in UTF-16,
a part that is all prolog, and one after the root (not a DTD to any parser)."""
from __future__ import annotations

import io
import zipfile
import zlib

import defusedxml.ElementTree as DET
import pytest
from defusedxml import DefusedXmlException
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.workbook import write_answer_sheet
from survey.workbook.safety import UploadRejected, check_workbook, containers
from tests.workbook.answer_sheet_helpers import DEFN, SAGAMIHARA, sample
from tests.workbook.hostile_workbooks import deflate, raw_zip

PLAIN_PARTS = ("xl/sharedStrings.xml", "[Content_Types].xml", "xl/styles.xml", "docProps/core.xml",
               "xl/_rels/workbook.xml.rels", "xl/workbook.xml")


def _sheet() -> bytes:
    answers, respondent = sample()
    return write_answer_sheet(DEFN, context=SAGAMIHARA, answers=answers, respondent=respondent)


_ARCHIVE = zipfile.ZipFile(io.BytesIO(_sheet()))
ENTRIES = [(i.filename, _ARCHIVE.read(i)) for i in _ARCHIVE.infolist()]


def _with(part: str, body: bytes) -> bytes:
    return raw_zip([(n, deflate(b), zlib.crc32(b), len(b)) for n, b in
                    ((n, body if n == part else b) for n, b in ENTRIES)])


def _outcome(data: bytes) -> str:
    containers._SEEN.clear()
    try:
        check_workbook(data, "回答.xlsx")
    except UploadRejected as exc:
        return exc.code
    return "ok"


def _whole_parse(body: bytes) -> str:
    """What a whole parse under defusedxml's rules says of the part."""
    try:
        DET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        return "xml_forbidden"
    except DET.ParseError:
        return "corrupt"
    return "ok"


def _root_and_rest(part: str) -> str:
    text = dict(ENTRIES)[part].decode()
    return text.split("?>", 1)[1].lstrip() if text.startswith("<?xml") else text


DOCTYPES = [
    "<!DOCTYPE r>",
    '<!DOCTYPE r SYSTEM "http://example.invalid/r.dtd">',
    '<!DOCTYPE r PUBLIC "-//X//Y" "r.dtd">',
    '<!DOCTYPE r [<!ENTITY a "aaaa">]>',
    '<!DOCTYPE r [<!ENTITY % p "x">]>',
    '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE r [<!ELEMENT r ANY>]>',
]
MISC = ["", " ", "\n", "\r\n\t ", "<!-- a comment -->", "<!-- <!DOCTYPE not one> -->", "<?pi some data?>",
        "<?pi <!DOCTYPE x>?>", "<!---->"]
ENCODINGS = ["utf-8", "utf-8 no decl", "utf-8-sig", "utf-16", "utf-16-le bom", "utf-16-be bom"]


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8 no decl":
        return text.encode("utf-8")
    label = "UTF-16" if encoding.startswith("utf-16") else "UTF-8"
    doc = f'<?xml version="1.0" encoding="{label}" standalone="yes"?>' + text
    if encoding == "utf-16-le bom":
        return b"\xff\xfe" + doc.encode("utf-16-le")
    if encoding == "utf-16-be bom":
        return b"\xfe\xff" + doc.encode("utf-16-be")
    return doc.encode(encoding)


@settings(max_examples=150, deadline=None)
@given(part=st.sampled_from(PLAIN_PARTS), encoding=st.sampled_from(ENCODINGS),
       before=st.lists(st.sampled_from(MISC), max_size=4), after=st.lists(st.sampled_from(MISC), max_size=3),
       doctype=st.sampled_from(DOCTYPES))
def test_a_doctype_anywhere_in_the_prolog_is_refused_as_a_whole_parse_refuses_it(part, encoding, before, after,
                                                                                  doctype):
    root = _root_and_rest(part)
    body = _encode("".join(before) + doctype.replace(" r", " " + root[1:].split()[0].rstrip(">"), 1)
                   + "".join(after) + root, encoding)
    assert _whole_parse(body) == "xml_forbidden"
    assert _outcome(_with(part, body)) == "xml_forbidden"


@settings(max_examples=60, deadline=None)
@given(part=st.sampled_from(PLAIN_PARTS), encoding=st.sampled_from(ENCODINGS),
       before=st.lists(st.sampled_from(MISC), max_size=4))
def test_the_same_parts_without_a_doctype_pass(part, encoding, before):
    body = _encode("".join(before) + _root_and_rest(part), encoding)
    assert _whole_parse(body) == "ok"
    assert _outcome(_with(part, body)) == "ok"


@pytest.mark.parametrize("doctype", DOCTYPES)
def test_a_part_that_is_all_prolog_has_its_doctype_refused(doctype):
    for body in (f'<?xml version="1.0"?><!-- c -->{doctype}'.encode(),
                 f'<?xml version="1.0"?>{doctype}<!-- nothing after -->'.encode(),
                 _encode(f"<?pi x?>{doctype}\n", "utf-16")):
        assert _outcome(_with("xl/sharedStrings.xml", body)) == "xml_forbidden"


def test_a_part_that_is_all_prolog_without_a_doctype_is_corrupt():
    assert _outcome(_with("xl/sharedStrings.xml", b'<?xml version="1.0"?><!-- only a comment -->')) == "corrupt"


def test_a_doctype_after_the_root_start_tag_is_no_dtd_to_a_parser():
    """In the content a `<!DOCTYPE` is a syntax error of the part, not a DTD: a whole parse calls it
    malformed (nothing declared); the worksheet, parsed whole, is refused as corrupt."""
    for part in ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"):
        text = dict(ENTRIES)[part].decode()
        root_end = text.index(">", text.index("?>") + 2) + 1
        body = (text[:root_end] + '<!DOCTYPE r [<!ENTITY a "aaaa">]>' + text[root_end:]).encode()
        assert _whole_parse(body) == "corrupt"
        if part == "xl/worksheets/sheet1.xml":
            assert _outcome(_with(part, body)) == "corrupt"
