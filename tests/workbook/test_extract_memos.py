"""What the sheet reader keeps per definition gives what computing it each time gives."""
from __future__ import annotations

import unicodedata

from survey.engine.text import compact
from survey.workbook import extract
from tests.workbook.answer_sheet_helpers import DEFN


def _option_of_row_each_time(item, question: str):
    """`extract._option_of_row` as it was, every key computed for every row."""
    text = question.strip()
    if not text:
        return None
    by_mark = {o.mark: o for o in item.options}
    if text[:1] in by_mark:
        return by_mark[text[:1]]
    key = compact(text)
    return next((o for o in item.options
                 if key in {compact(o.text), compact(o.sheet_text or o.text), compact(o.display)}), None)


def _texts(item):
    for o in item.options:
        for text in (o.text, o.sheet_text or "", o.display, o.mark):
            yield text
            yield f" {text} "
            yield unicodedata.normalize("NFKC", text) + "。"
            yield text.replace(" ", "　")
            yield text[1:]
            yield text[:-1]
    yield from ("", " ", "その他", "①", "○", "1", "１", "①事例はない", "該当なし")


def test_option_of_row_is_what_it_was_for_every_item_and_option_text():
    checked = 0
    for item in DEFN.items:
        if not item.options:
            continue
        for question in _texts(item):
            assert extract._option_of_row(item, question) is _option_of_row_each_time(item, question), \
                (item.id, question)
            checked += 1
    assert checked > 100


def test_the_respondent_labels_are_the_definitions():
    labels, initials = extract._respondent_labels(DEFN)
    assert labels == {extract.text_key(f.label): f.label for f in DEFN.respondent_fields}
    assert initials == {k[:1] for k in labels}
    assert extract._respondent_labels(DEFN) is extract._respondent_labels(DEFN)
