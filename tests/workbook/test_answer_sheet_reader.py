"""Reading returned sheets: every tolerance and every error of answer-sheet.md, by cell."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from survey.workbook import write_answer_sheet
from survey.workbook.model import SHEET_NAME
from tests.workbook.answer_sheet_helpers import DEFN, KANAGAWA, SAGAMIHARA, Sheet, filled_sheet, read, sample

# A complete municipality answer set touching a follow-up (2 = ③) and marks (6, 7-4).
ANSWERS = {"1-1": "2", "2": "3", "2:予定年月": "2024-03", "3": "2", "6": ["1", "2"], "7-1": "1", "7-2": "1",
           "7-3": "1", "7-4": ["1", "3", "5"], "8-1": "1", "8-1:概要": "複数職員で4情報により特定している。",
           "8-2": "1", "9": "1", "10": "2", "10:概要": "住所の表記ゆれで誤りがあり、照合手順を改めた。"}
_, RESPONDENT = sample(SAGAMIHARA, seed=2)


def _sheet(answers=None, respondent=None) -> Sheet:
    return Sheet(filled_sheet(ANSWERS if answers is None else answers, RESPONDENT if respondent is None else respondent))


def _codes(result) -> set[str]:
    return {e.code for e in result.errors}


def _ok(result, answers=None):
    assert result.ok, [e.as_dict() for e in result.errors]
    assert result.answers == (ANSWERS if answers is None else answers)


def test_the_reference_answers_are_valid():
    _ok(read(_sheet().save()))


# -- tolerances --------------------------------------------------------------------------------

def test_rows_inserted_above_and_inside_the_table():
    sheet = _sheet()
    sheet.ws.insert_rows(1, 3)
    sheet.ws.insert_rows(sheet.item_row("5"), 2)
    sheet.ws.insert_rows(sheet.item_row("9"), 1)
    _ok(read(sheet.save()))


def test_columns_inserted_before_and_between():
    sheet = _sheet()
    sheet.ws.insert_cols(1, 2)
    sheet.ws.insert_cols(sheet.header()[2], 1)  # between 質問 and 回答
    _ok(read(sheet.save()))


def test_sheet_renamed_and_extra_sheets():
    sheet = _sheet()
    sheet.ws.title = "Sheet1"
    memo = sheet.book.create_sheet("メモ", 0)
    memo["A1"] = "提出前の確認メモ"
    memo["B5"] = "回答"
    _ok(read(sheet.save()))


def test_a_kept_copy_of_the_sheet_beside_it():
    sheet = _sheet()
    copy = sheet.book.copy_worksheet(sheet.ws)
    copy.title = "控え"
    sheet.book.move_sheet(copy, -1)
    copy.cell(sheet.answer_cell("9").row, sheet.answer_cell("9").column).value = "④"
    result = read(sheet.save())
    _ok(result)
    assert result.sheet == SHEET_NAME and "several_answer_tables" in {w.code for w in result.warnings}


def test_merged_and_unmerged_cells():
    sheet = _sheet()
    ws = sheet.ws
    for rng in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(rng))
    row = sheet.item_row("2")
    ws.merge_cells(start_row=row, start_column=1, end_row=row + 1, end_column=1)  # 項番 over its follow-up
    cell = sheet.answer_cell("9")
    ws.merge_cells(start_row=cell.row, start_column=cell.column, end_row=cell.row, end_column=cell.column + 1)
    _ok(read(sheet.save()))


def test_merged_heading_cells_of_the_written_sheet_read():
    _ok(read(_sheet().save()))
    assert openpyxl.load_workbook(io.BytesIO(_sheet().save()))[SHEET_NAME].merged_cells.ranges


@pytest.mark.parametrize("written", ["７－４", "7ｰ4", "7－4", "Q7-4", "Ｑ７－４", "7ー4", dt.datetime(2023, 7, 4)])
def test_item_numbers_in_other_forms(written):
    sheet = _sheet()
    sheet.answer_cell("7-4").offset(0, -2).value = written
    _ok(read(sheet.save()))


def test_item_numbers_typed_as_numbers():
    sheet = _sheet()
    sheet.answer_cell("2").offset(0, -2).value = 2
    sheet.answer_cell("10").offset(0, -2).value = 10.0
    sheet.answer_cell("3").offset(0, -2).value = "３"
    _ok(read(sheet.save()))


@pytest.mark.parametrize("typed", ["②求めていない。（Q6へ）", "②", "2", "２", 2, "② とくに求めない",
                                   "求めていない。（Q6へ）", "求めていない。(Q6へ)"])
def test_one_choice_in_every_accepted_form(typed):
    sheet = _sheet()
    sheet.answer_cell("3").value = typed
    _ok(read(sheet.save()))


@pytest.mark.parametrize("mark", ["○", "〇", "◯", "●", "◎", "O", "o", "1", 1, "✓", "✔", "レ", " ○ "])
def test_every_accepted_mark(mark):
    sheet = _sheet()
    sheet.answer_cell("6", 1).value = mark
    _ok(read(sheet.save()))


def test_follow_up_row_missing_for_an_outline_is_a_warning():
    sheet = _sheet()
    sheet.ws.delete_rows(sheet.item_row("10") + 1)
    result = read(sheet.save())
    expected = {k: v for k, v in ANSWERS.items() if k != "10:概要"}
    _ok(result, expected)
    assert "followup_row_missing" in {w.code for w in result.warnings}
    assert result.followup_rows_missing == ["10:概要"]


def test_follow_up_row_missing_for_a_month_is_an_error():
    sheet = _sheet()
    sheet.ws.delete_rows(sheet.item_row("2") + 1)
    result = read(sheet.save())
    assert "followup_required" in _codes(result)


def test_follow_up_found_by_position_when_its_prompt_was_deleted():
    sheet = _sheet()
    sheet.answer_cell("8-1", 1).offset(0, -1).value = None
    _ok(read(sheet.save()))


def test_sheet_copied_without_its_identity_is_matched_by_name():
    sheet = _sheet()
    for row in sheet.ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("SURVEY-SHEET"):
                c.value = None
    result = read(sheet.save())
    _ok(result)
    assert result.org_code == "141500" and result.round_id is None
    assert "identity_missing" in {w.code for w in result.warnings}


def test_normalised_values_are_warnings_with_their_cell():
    sheet = _sheet()
    sheet.answer_cell("3").value = "２"
    sheet.field_cell("電話番号").value = "０４２－７５４－１１１１"
    result = read(sheet.save())
    _ok(result)
    warning = next(w for w in result.warnings if w.item == "3")
    assert warning.code == "normalised" and warning.cell == sheet.answer_cell("3").coordinate
    assert warning.value == "２" and warning.sheet == SHEET_NAME
    assert result.respondent["電話番号"] == "042-754-1111"


def test_phone_typed_as_a_number_gets_its_zero_back():
    sheet = _sheet()
    sheet.field_cell("電話番号").value = 427541111
    result = read(sheet.save())
    assert result.ok and result.respondent["電話番号"].startswith("0")


def test_prefecture_sheet():
    answers = {**ANSWERS}
    answers["1-2"] = answers.pop("1-1")
    answers = {k: answers[k] for k in ["1-2"] + [k for k in answers if k != "1-2"]}
    _, respondent = sample(KANAGAWA, seed=3)
    result = read(filled_sheet(answers, respondent, KANAGAWA))
    _ok(result, answers)
    assert result.org_code == "140007" and result.org_kind == "prefecture"


# -- errors ------------------------------------------------------------------------------------

def _error(result, code):
    return next(e for e in result.errors if e.code == code)


def test_unknown_option_names_cell_item_value_and_options():
    sheet = _sheet()
    sheet.answer_cell("9").value = "⑤その他"
    result = read(sheet.save())
    error = _error(result, "invalid_option")
    assert (error.cell, error.item, error.value, error.sheet) == (sheet.answer_cell("9").coordinate, "9", "⑤その他",
                                                                  SHEET_NAME)
    assert "①〜④" in error.message
    assert not result.ok


def test_unreadable_mark():
    sheet = _sheet()
    sheet.answer_cell("7-4", 2).value = "×"
    error = _error(read(sheet.save()), "invalid_mark")
    assert error.cell == sheet.answer_cell("7-4", 2).coordinate and error.item == "7-4" and error.value == "×"


def test_answer_to_a_skipped_item_is_an_error():
    sheet = _sheet()
    sheet.answer_cell("4").value = "①"  # 3 = ② goes to 6
    error = _error(read(sheet.save()), "not_applicable_answered")
    assert error.item == "4" and error.cell == sheet.answer_cell("4").coordinate
    assert "Q3" in error.message


def test_marks_on_a_skipped_marks_item_is_an_error():
    answers = {k: v for k, v in ANSWERS.items() if k not in ("7-4",)}
    answers["7-3"] = "2"
    sheet = _sheet(answers)
    sheet.answer_cell("7-4", 1).value = "○"
    error = _error(read(sheet.save()), "not_applicable_answered")
    assert error.item == "7-4" and error.cell == sheet.answer_cell("7-4", 1).coordinate


def test_item_of_the_other_org_kind_is_an_error():
    sheet = _sheet()
    sheet.answer_cell("1-2").value = "①"
    error = _error(read(sheet.save()), "not_applicable_answered")
    assert error.item == "1-2"


def test_unanswered_applicable_item_is_required():
    sheet = _sheet()
    sheet.answer_cell("9").value = None
    error = _error(read(sheet.save()), "required")
    assert error.item == "9" and error.cell == sheet.answer_cell("9").coordinate


def test_no_marks_on_a_marks_item():
    sheet = _sheet()
    for n in range(1, 3):
        sheet.answer_cell("6", n).value = None
    error = _error(read(sheet.save()), "marks_required")
    assert error.item == "6" and error.cell == sheet.answer_cell("6", 1).coordinate


def test_missing_respondent_field_and_bad_email():
    sheet = _sheet()
    sheet.field_cell("担当部署名").value = None
    sheet.field_cell("メールアドレス").value = "taro@"
    result = read(sheet.save())
    assert _error(result, "respondent_required").field == "担当部署名"
    error = _error(result, "invalid_email")
    assert error.cell == sheet.field_cell("メールアドレス").coordinate and error.value == "taro@"


def test_name_disagreeing_with_the_hidden_identity():
    sheet = _sheet()
    sheet.field_cell("組織名").value = "14神奈川県横浜市"
    result = read(sheet.save())
    error = _error(result, "org_mismatch")
    assert error.field == "組織名" and error.cell == sheet.field_cell("組織名").coordinate
    assert not result.ok


def test_bad_identity_cell():
    sheet = _sheet()
    for row in sheet.ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("SURVEY-SHEET"):
                c.value = "SURVEY-SHEET|round=x"
    assert "bad_identity" in _codes(read(sheet.save()))


@pytest.mark.parametrize(("name", "code"), [("14神奈川県どこか市", "org_unknown"), ("14神奈川県府中市", "org_ambiguous")])
def test_without_identity_unknown_or_ambiguous_name(name, code):
    sheet = _sheet()
    for row in sheet.ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("SURVEY-SHEET"):
                c.value = None
    sheet.field_cell("組織名").value = name
    result = read(sheet.save())
    assert code in _codes(result) and result.org_code is None


def test_org_kind_contradicting_the_master():
    sheet = _sheet()
    sheet.field_cell("組織区分").value = "都道府県"
    assert "org_kind_mismatch" in _codes(read(sheet.save()))


def test_duplicate_item_rows():
    sheet = _sheet()
    row = sheet.item_row("9")
    sheet.ws.insert_rows(row + 1)
    sheet.ws.cell(row + 1, 1).value = "9"
    sheet.ws.cell(row + 1, 3).value = "②"
    assert "duplicate_item_row" in _codes(read(sheet.save()))


def test_unrelated_workbook_is_a_clean_error():
    book = openpyxl.Workbook()
    book.active["A1"] = "売上"
    book.active["B2"] = 100
    buf = io.BytesIO()
    book.save(buf)
    result = read(buf.getvalue(), "売上.xlsx")
    assert not result.ok and _codes(result) == {"no_answer_table"}
    assert "項番" in result.errors[0].message


def test_not_a_workbook():
    for data, name in ((b"%PDF-1.4\n%...", "回答.pdf"), (b"just text", "回答.xlsx"), (b"PK\x03\x04broken", "回答.xlsx")):
        result = read(data, name)
        assert not result.ok and len(result.errors) == 1
        assert result.errors[0].code in {"not_a_workbook", "corrupt"}
        assert result.sha256


def test_result_is_json_able():
    import json

    sheet = _sheet()
    sheet.answer_cell("9").value = dt.datetime(2024, 1, 1)
    result = read(sheet.save())
    json.dumps(result.as_dict(), ensure_ascii=False)


def test_blank_downloaded_sheet_lists_what_is_missing():
    result = read(write_answer_sheet(DEFN, context=SAGAMIHARA))
    assert not result.ok
    assert {"required", "respondent_required"} <= _codes(result)
    assert result.org_code == "141500"
