"""validate(): drafts report format errors and contradictions; complete adds required checks."""

from __future__ import annotations

import pytest

from survey.engine import validate

PATH_3_2 = {"3": "2", "7-2": "2"}  # the short way through 6


def codes(issues):
    return [(i.code, i.item or i.field) for i in issues]


def test_a_complete_response_has_no_issue(defn, complete, respondent):
    answers = complete("municipality", PATH_3_2)
    assert validate(defn, "municipality", answers, respondent, complete=True) == []


def test_an_empty_draft_has_no_issue(defn):
    assert validate(defn, "municipality", {}, {}, complete=False) == []


def test_complete_requires_every_applicable_item(defn, respondent):
    respondent["組織区分"] = "都道府県"
    issues = validate(defn, "prefecture", {"3": "2"}, respondent, complete=True)
    assert codes(issues) == [
        ("required", "1-2"),
        ("required", "2"),
        ("marks_required", "6"),
        ("required", "7-1"),
        ("required", "7-2"),
        ("required", "9"),
        ("required", "10"),
    ]
    assert issues[0].message == "Q1-2：未回答です。①〜②から選んでください。"
    assert issues[2].message == "Q6：該当するものに「○」を付けてください（1つ以上）。"


def test_items_behind_a_missing_branching_answer_are_not_required_yet(defn, respondent):
    issues = validate(defn, "municipality", {"1-1": "2", "2": "1", "10": "1"}, respondent, complete=True)
    assert codes(issues) == [("required", "3")]


def test_pending_answers_are_not_errors(defn):
    # Q3 unanswered: 4 and 6 may both still apply
    assert validate(defn, "municipality", {"4": "1", "6": ["1"]}, {}, complete=False) == []


@pytest.mark.parametrize(
    "org_kind,answers,item,message",
    [
        (
            "municipality",
            {"3": "2", "4": "1"},
            "4",
            "Q4：Q3で「②」を選んだ場合は回答しません。回答を消すか、Q3を見直してください。",
        ),
        (
            "municipality",
            {"3": "1", "5": "1", "9": "1"},
            "9",
            "Q9：Q5で「①」を選んだ場合は回答しません。回答を消すか、Q5を見直してください。",
        ),
        ("prefecture", {"1-1": "1"}, "1-1", "Q1-1：市区町村のみ回答する項目です。回答を消してください。"),
        ("municipality", {"1-2": "2"}, "1-2", "Q1-2：都道府県のみ回答する項目です。回答を消してください。"),
        (
            "municipality",
            {"3": "2", "7-2": "1", "7-3": "2", "7-4": ["1"]},
            "7-4",
            "Q7-4：Q7-3で「①」を選んだ場合のみ回答します。回答を消すか、Q7-3を見直してください。",
        ),
        (
            "municipality",
            {"3": "2", "7-2": "1", "8-1": "3", "8-2": "1"},
            "8-2",
            "Q8-2：Q8-1で「③」を選んだ場合は回答しません。回答を消すか、Q8-1を見直してください。",
        ),
    ],
)
def test_answers_to_skipped_items_are_errors_even_in_drafts(defn, org_kind, answers, item, message):
    issues = validate(defn, org_kind, answers, {}, complete=False)
    assert codes(issues) == [("not_applicable_answered", item)]
    assert issues[0].message == message
    assert issues[0].value == answers[item]


def test_only_if_message_when_the_condition_item_was_not_asked(defn):
    # Q7-3 is reached only through 7-2; an org that skipped 7-2 (5 = ①) has no 7-3/7-4
    issues = validate(defn, "municipality", {"3": "1", "5": "1", "7-3": "1"}, {}, complete=False)
    assert codes(issues) == [("not_applicable_answered", "7-3")]
    assert issues[0].message.startswith("Q7-3：Q5で「①」を選んだ場合は回答しません。")


def test_followup_required_when_its_option_is_chosen(defn, complete, respondent):
    answers = complete("municipality", PATH_3_2)
    answers.update({"2": "3", "10": "4"})
    issues = validate(defn, "municipality", answers, respondent, complete=True)
    assert codes(issues) == [("followup_required", "2:予定年月"), ("followup_required", "10:概要")]
    assert issues[0].message == "Q2：「③」を選んだ場合は予定年月を記入してください。"
    assert issues[1].message == "Q10：「②〜④」を選んだ場合は概要を記入してください。"


def test_followup_is_not_required_in_a_draft(defn):
    assert validate(defn, "municipality", {"2": "3"}, {}, complete=False) == []


def test_attached_file_stands_in_for_an_outline_but_not_for_a_month(defn, complete, respondent):
    answers = complete("municipality", PATH_3_2)
    answers.update({"2": "3", "10": "2"})
    issues = validate(
        defn, "municipality", answers, respondent, complete=True, attached={"10:概要", "2:予定年月"}
    )
    assert codes(issues) == [("followup_required", "2:予定年月")]


def test_followup_given_without_its_option_is_an_error(defn):
    issues = validate(defn, "municipality", {"2": "1", "2:予定年月": "2024-03"}, {}, complete=False)
    assert codes(issues) == [("not_applicable_answered", "2:予定年月")]
    assert (
        issues[0].message
        == "Q2 予定年月：Q2で「③」を選んだ場合のみ記入します。記入を消すか、Q2を見直してください。"
    )


def test_followup_of_a_skipped_item_is_an_error(defn):
    answers = {"3": "2", "7-2": "2", "8-1:概要": "別途の方法"}
    issues = validate(defn, "municipality", answers, {}, complete=False)
    assert codes(issues) == [("not_applicable_answered", "8-1:概要")]
    assert issues[0].message == "Q8-1 概要：Q8-1に回答しない場合は記入しません。記入を消してください。"


def test_followup_before_its_item_is_answered_is_pending(defn):
    assert validate(defn, "municipality", {"2:予定年月": "2024-03"}, {}, complete=False) == []


@pytest.mark.parametrize(
    "answers,expected",
    [
        ({"4": "5"}, [("invalid_option", "4")]),
        ({"4": 2}, [("invalid_option", "4")]),
        ({"6": "1"}, [("invalid_value", "6")]),
        ({"6": ["1", "3"]}, [("invalid_option", "6")]),
        ({"6": ["1", "1"]}, [("invalid_value", "6")]),
        ({"2": "3", "2:予定年月": "2024/3"}, [("invalid_month", "2:予定年月")]),
        ({"2": "3", "2:予定年月": "2024-13"}, [("invalid_month", "2:予定年月")]),
        ({"10": "2", "10:概要": "あ" * 4001}, [("too_long", "10:概要")]),
        ({"10": "2", "10:概要": 5}, [("invalid_value", "10:概要")]),
        ({"11": "1"}, [("unknown_item", "11")]),
    ],
)
def test_format_errors_in_canonical_answers(defn, answers, expected):
    assert codes(validate(defn, "municipality", answers, {}, complete=False)) == expected


def test_invalid_option_message(defn):
    issues = validate(defn, "municipality", {"10": "7"}, {}, complete=False)
    assert issues[0].message == "Q10：「7」は選択肢にありません。①〜④から選んでください。"


def test_respondent_issues_come_first_and_ministry_fields_are_not_required(defn, respondent):
    del respondent["制度等"]
    respondent.pop("電話番号")
    issues = validate(defn, "municipality", {"3": "1", "4": "9"}, respondent, complete=True)
    assert codes(issues)[:2] == [("respondent_required", "電話番号"), ("required", "1-1")]
    assert ("respondent_required", "制度等") not in codes(issues)
