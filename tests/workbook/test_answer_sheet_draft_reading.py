"""Reading a sheet as a draft (`complete=False`, an officer's upload): a partly filled sheet is
taken, what is still missing is listed by cell, and every other error stays an error."""
from __future__ import annotations

from survey.workbook import SheetReaderPool, read_answer_sheet_isolated
from tests.workbook.answer_sheet_helpers import (
    DEFN,
    SAGAMIHARA,
    Sheet,
    filled_sheet,
    org_kind_of,
    read,
    resolve_org,
)
from tests.workbook.test_answer_sheet_reader import ANSWERS, RESPONDENT

# Only the first items answered; 9, 10, the marks of 6 and two respondent fields left empty.
PARTIAL = {k: v for k, v in ANSWERS.items() if k in ("1-1", "2", "2:予定年月", "3")}
PARTIAL_RESPONDENT = {k: v for k, v in RESPONDENT.items() if k not in ("電話番号", "担当部署名")}


def _partial() -> Sheet:
    return Sheet(filled_sheet(PARTIAL, PARTIAL_RESPONDENT))


def _keys(issues) -> set:
    return {(i.code, i.item or i.field) for i in issues}


def test_a_partly_filled_sheet_is_an_error_when_read_completely():
    result = read(_partial().save())
    assert not result.ok
    assert {("required", "9"), ("respondent_required", "電話番号")} <= _keys(result.errors)
    assert result.missing == []


def test_a_partly_filled_sheet_read_as_a_draft_is_ok_and_lists_what_is_missing():
    sheet = _partial()
    result = read(sheet.save(), complete=False)
    assert result.ok, [e.as_dict() for e in result.errors]
    assert result.answers == PARTIAL
    missing = {(m.code, m.item or m.field): m for m in result.missing}
    assert {("required", "9"), ("marks_required", "6"), ("respondent_required", "電話番号"),
            ("respondent_required", "担当部署名")} <= set(missing)
    assert missing[("required", "9")].cell == sheet.answer_cell("9").coordinate
    assert missing[("respondent_required", "電話番号")].cell == sheet.field_cell("電話番号").coordinate
    assert all(m.message for m in result.missing)
    assert result.as_dict()["missing"]  # JSON-able, like the errors


def test_the_draft_missing_list_is_what_the_complete_reading_calls_errors():
    data = _partial().save()
    complete, draft = read(data), read(data, complete=False)
    assert _keys(draft.missing) == _keys(complete.errors)


def test_a_complete_sheet_read_as_a_draft_misses_nothing():
    result = read(Sheet(filled_sheet(ANSWERS, RESPONDENT)).save(), complete=False)
    assert result.ok and result.missing == [] and result.answers == ANSWERS


def test_answer_to_a_skipped_item_stays_an_error_in_a_draft():
    sheet = _partial()
    sheet.answer_cell("4").value = "①"  # 3 = ② goes to 6
    result = read(sheet.save(), complete=False)
    assert not result.ok
    assert ("not_applicable_answered", "4") in _keys(result.errors)


def test_a_malformed_value_stays_an_error_in_a_draft():
    sheet = _partial()
    sheet.answer_cell("9").value = "たぶん"
    sheet.field_cell("メールアドレス").value = "taro@"
    result = read(sheet.save(), complete=False)
    assert {"invalid_option", "invalid_email"} <= {e.code for e in result.errors}


def test_identity_errors_stay_errors_in_a_draft():
    sheet = _partial()
    sheet.field_cell("組織名").value = "14神奈川県横浜市"
    result = read(sheet.save(), complete=False)
    assert not result.ok and "org_mismatch" in {e.code for e in result.errors}


def test_the_isolated_reader_and_the_pool_read_drafts_too():
    data = _partial().save()
    expected = read(data, "a.xlsx", complete=False)
    isolated = read_answer_sheet_isolated(data, "a.xlsx", DEFN, resolve_org=resolve_org, org_kind_of=org_kind_of,
                                          complete=False)
    assert isolated == expected and isolated.ok
    with SheetReaderPool(1) as pool:
        (_, pooled), = pool.read_many([("a.xlsx", data)], DEFN, resolve_org=resolve_org, org_kind_of=org_kind_of,
                                      complete=False)
        assert pooled == expected
        assert not pool.read(data, "a.xlsx", DEFN, resolve_org=resolve_org, org_kind_of=org_kind_of).ok
    assert SAGAMIHARA.org_code == expected.org_code
