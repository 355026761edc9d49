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


def _is_fixed_text_each_time(texts, value) -> bool:
    from survey.workbook.shape import GUIDANCE_MARKS, HINT_PREFIXES, IDENTITY_PREFIX

    if not isinstance(value, str):
        return False
    text = value.strip()
    if text.startswith(GUIDANCE_MARKS) or text.startswith(HINT_PREFIXES) or text.startswith(IDENTITY_PREFIX):
        return True
    return compact(text) in texts


def test_fixed_text_answers_are_kept_per_definition_and_are_what_they_were():
    from survey.workbook.shape import Shape, fixed_texts

    texts = fixed_texts(DEFN, extract._HEADINGS)
    values = [f.label for f in DEFN.respondent_fields] + [f.guidance or "" for f in DEFN.respondent_fields]
    values += [i.text for i in DEFN.items] + [o.text for i in DEFN.items for o in i.options]
    values += ["", " ", "◆入力", "例：東京都", "山本 翔太", "0.0", 1.0, None, True, "回答", " 項番 ", "x" * 300]
    first, second = Shape(fixed_texts=texts), Shape(fixed_texts=texts)
    assert first._fixed_of is second._fixed_of  # one memo for the definition's texts
    for shape in (first, second, Shape(fixed_texts=texts)):
        for value in values:
            assert shape.is_fixed_text(value) is _is_fixed_text_each_time(texts, value), value
    other = Shape(fixed_texts=frozenset({"山本翔太"}))
    assert other._fixed_of is not first._fixed_of
    assert other.is_fixed_text("山本 翔太") and not first.is_fixed_text("山本 翔太")


def test_the_package_imports_its_parts_when_asked():
    """`survey.workbook` names its public parts lazily (a reader worker needs only `extract`)."""
    import subprocess
    import sys

    code = ("import sys, survey.workbook.worker; "
            "print(sorted(m for m in ('survey.workbook.writer', 'survey.workbook.isolation', 'xlsxwriter') "
            "if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True
                          ).stdout.strip() == "[]"
    import survey.workbook as workbook
    from survey.workbook.isolation import SheetReaderPool
    from survey.workbook.writer import write_answer_sheet

    assert workbook.SheetReaderPool is SheetReaderPool and workbook.write_answer_sheet is write_answer_sheet
    assert set(workbook.__all__) <= set(dir(workbook))
    # Its submodules are attributes, as when the package imported them all (in a fresh process).
    code = ("from survey import workbook; print(workbook.safety.DEFAULT_LIMITS.max_sheets, "
            "workbook.reader.read_answer_sheet is workbook.read_answer_sheet, hasattr(workbook, 'nothing_here'))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True
                          ).stdout.split() == ["30", "True", "False"]
