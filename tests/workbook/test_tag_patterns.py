"""The tag scans' patterns (the pre-scan's cell tags, the protection hints' styled cells) match
their prefix possessively; they find exactly what the backtracking patterns they replaced found,
on any text built from the characters that matter in a tag."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from survey.workbook.safety.cells import _CELL_TAG
from survey.workbook.sheetmeta import _STYLED_CELL

BACKTRACKING_CELL_TAG = re.compile(
    rb"<(?:[^\s<>/:!?]+:)?c(?:\s[^>]*?(?<=\s)r=\"([A-Z]{1,3})([0-9]{1,7})\"|(?=[\s/>]))")
BACKTRACKING_STYLED_CELL = re.compile(rb"<(?:\w+:)?c\s+r=\"([A-Z]{1,3}[0-9]{1,7})\"[^>]*?\ss=\"([0-9]{1,6})\"")

# Pieces of tags, so that generated texts are dense with near misses: prefixes, colons, spaces,
# quotes, references, styles, other tags.
PIECES = [b"<", b">", b"/", b":", b"c", b"x", b"r", b"s", b"=", b'"', b" ", b"\t", b"\n", b"!", b"?", b"A", b"XFD",
          b"1", b"048576", b"0", b"_", b"\xe3\x81\x82", b"<c ", b'r="', b's="', b"<x:c", b"</c>", b"<row", b"<v>1</v>"]
texts = st.lists(st.sampled_from(PIECES), max_size=60).map(b"".join)


@settings(max_examples=600)
@given(texts)
def test_the_cell_tag_scan_finds_what_the_backtracking_pattern_found(text):
    assert _CELL_TAG.findall(text) == BACKTRACKING_CELL_TAG.findall(text)


@settings(max_examples=600)
@given(texts)
def test_the_styled_cell_scan_finds_what_the_backtracking_pattern_found(text):
    assert _STYLED_CELL.findall(text) == BACKTRACKING_STYLED_CELL.findall(text)


def test_a_prefixed_and_a_plain_cell_tag_are_both_found():
    xml = b'<row r="2"><x:c r="B2" s="3"><x:v>1</x:v></x:c><c r="C2" s="4"/><cx r="D2"/><c/></row>'
    assert _CELL_TAG.findall(xml) == [(b"B", b"2"), (b"C", b"2"), (b"", b"")]
    assert _STYLED_CELL.findall(xml) == [(b"B2", b"3"), (b"C2", b"4")]
