"""Normalisation of answers as people type them in the web form and in returned workbooks."""

from __future__ import annotations

import datetime as dt

import pytest

from survey.engine import normalise_answers, parse_month


def codes(issues):
    return [(i.code, i.severity) for i in issues]


@pytest.mark.parametrize(
    "raw",
    ["2", "②", "②定めていない。", "② 定めていない。", "定めていない。", 2, 2.0, "  2  "],
)
def test_one_choice_exact_forms_need_no_warning(defn, raw):
    assert normalise_answers(defn, {"2": raw}) == ({"2": "2"}, [])


@pytest.mark.parametrize(
    "raw",
    [
        "２",  # full-width digit
        "②ていない",  # circled digit followed by any text
        "②（定めていない）",
        "定めていない",  # option text without its circled digit, without the closing 。
        "定め ていない。",  # whitespace inside
        "②　定めていない。",  # ideographic space
    ],
)
def test_one_choice_tolerated_forms_are_read_with_a_warning(defn, raw):
    answers, issues = normalise_answers(defn, {"2": raw})
    assert answers == {"2": "2"}
    assert codes(issues) == [("normalised", "warning")]
    assert issues[0].item == "2" and issues[0].value == raw
    assert "「②定めていない。」として読み取りました" in issues[0].message


def test_text_with_half_width_brackets_matches_the_option(defn):
    answers, issues = normalise_answers(defn, {"3": "求めていない。(Q6へ)"})
    assert answers == {"3": "2"} and codes(issues) == [("normalised", "warning")]


def test_sheet_text_of_an_option_is_an_exact_form(defn):
    assert normalise_answers(defn, {"6": ["①住基ネットの利用(J-LIS照会)により確認している。"]}) == (
        {"6": ["1"]},
        [],
    )


@pytest.mark.parametrize("raw", ["⑤", "5", "５", 5, 2.5, "はい", True, "①②"])
def test_one_choice_outside_the_options_is_an_error_naming_the_allowed_options(defn, raw):
    answers, issues = normalise_answers(defn, {"4": raw})
    assert answers == {}
    assert codes(issues) == [("invalid_option", "error")]
    assert issues[0].message.startswith("Q4：「")
    assert issues[0].message.endswith("」は選択肢にありません。①〜③から選んでください。")


def test_invalid_option_message_is_exact(defn):
    _, issues = normalise_answers(defn, {"4": "⑤"})
    assert issues[0].message == "Q4：「⑤」は選択肢にありません。①〜③から選んでください。"


def test_circled_digit_prefix_wins_even_with_other_text(defn):
    # The spec accepts "the circled digit followed by any text": the digit decides.
    assert normalise_answers(defn, {"4": "③事業主からの届出は無い"})[0] == {"4": "3"}


@pytest.mark.parametrize(
    "raw,expected",
    [
        (["1", "2"], ["1", "2"]),
        (["②", "①"], ["1", "2"]),
        ("①,②", ["1", "2"]),
        ("1、2", ["1", "2"]),
        ([2, 1.0], ["1", "2"]),
        (["住基ネットの利用（J-LIS 照会）により確認している。"], ["1"]),
        ({"①": "○", "②": ""}, ["1"]),
        ({"1": "〇", "2": "◯"}, ["1", "2"]),
        ({"1": "●", "2": "◎"}, ["1", "2"]),
        ({"1": "O", "2": "o"}, ["1", "2"]),
        ({"1": "1", "2": 1}, ["1", "2"]),
        ({"1": 1.0, "2": None}, ["1"]),
        ({"1": "✓", "2": "✔"}, ["1", "2"]),
        ({"1": "レ", "2": True}, ["1", "2"]),
        ({"1": " ○ ", "2": False}, ["1"]),
    ],
)
def test_marks_accept_code_lists_and_mark_cells(defn, raw, expected):
    answers, issues = normalise_answers(defn, {"6": raw})
    assert answers == {"6": expected}
    assert [i for i in issues if i.is_error] == []


def test_no_marks_means_unanswered(defn):
    assert normalise_answers(defn, {"6": {"1": "", "2": None}, "7-4": []}) == ({}, [])


def test_full_width_mark_is_read_with_a_warning(defn):
    answers, issues = normalise_answers(defn, {"7-4": {"5": "Ｏ"}})
    assert answers == {"7-4": ["5"]} and codes(issues) == [("normalised", "warning")]


@pytest.mark.parametrize("mark", ["x", "×", "済", "2", 0, "はい"])
def test_other_marks_are_errors_naming_the_option(defn, mark):
    answers, issues = normalise_answers(defn, {"7-4": {"1": "○", "3": mark}})
    assert answers == {"7-4": ["1"]}
    assert codes(issues) == [("invalid_mark", "error")]
    assert issues[0].message.startswith(f"Q7-4 ③：「{mark}」は印として読み取れません。")


def test_marks_for_an_unknown_option_is_an_error(defn):
    answers, issues = normalise_answers(defn, {"6": ["1", "③"]})
    assert answers == {"6": ["1"]}
    assert issues[0].code == "invalid_option"
    assert issues[0].message == "Q6：「③」は選択肢にありません。①〜②から選んでください。"


@pytest.mark.parametrize(
    "raw",
    [
        "2024年3月",
        "2024年03月",
        "２０２４年３月",
        "2024/3",
        "2024-03",
        "2024.3",
        "2024.03",
        "202403",
        "2024/3/1",
        "2024-03-01",
        "2024年3月1日",
        "2024-03-01 00:00:00",
        "令和6年3月",
        "令和６年３月",
        "R6.3",
        "r6/3",
        "R6-3",
        "Ｒ６．３",
        "R 6 . 3",
        "令和6/3",
        dt.date(2024, 3, 1),
        dt.datetime(2024, 3, 15, 10, 30),
        45352,
        45352.0,
        "45352",
    ],
)
def test_month_forms_all_read_as_march_2024(raw):
    assert parse_month(raw if raw != "45352" else 45352) == "2024-03"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("令和元年5月", "2019-05"),
        ("令和1年5月", "2019-05"),
        ("H31.4", "2019-04"),
        ("平成31年4月", "2019-04"),
        ("h30/12", "2018-12"),
        ("S64.1", "1989-01"),
        ("2023年12月", "2023-12"),
        (2024.3, "2024-03"),
        (2024.12, "2024-12"),
        ("㋿6年3月", "2024-03"),
    ],
)
def test_month_eras_and_edges(raw, expected):
    assert parse_month(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "2024年13月",
        "2024/0",
        "R6.13",
        "令和0年3月",
        "3月",
        "2024",
        2024,
        "来年度",
        "2024年",
        "24/3",
        True,
        "R6",
        12,
        1000.5,
        "2024-3-",
        "3/2024",
    ],
)
def test_unreadable_months_are_refused(raw):
    assert parse_month(raw) is None


def test_month_followup_is_normalised_and_errors_are_reported(defn):
    assert normalise_answers(defn, {"2": "③", "2:予定年月": "令和6年3月"}) == (
        {"2": "3", "2:予定年月": "2024-03"},
        [],
    )
    answers, issues = normalise_answers(defn, {"2": "3", "2:予定年月": "2024年13月"})
    assert answers == {"2": "3"}
    assert codes(issues) == [("invalid_month", "error")]
    assert issues[0].item == "2:予定年月"
    assert issues[0].message.startswith("Q2 予定年月：「2024年13月」は年月として読み取れません。")


def test_month_from_an_excel_number_is_read_with_a_warning(defn):
    answers, issues = normalise_answers(defn, {"2:予定年月": 45352})
    assert answers == {"2:予定年月": "2024-03"} and codes(issues) == [("normalised", "warning")]


def test_free_text_followups_get_safe_nfkc_and_trim(defn):
    raw = "  マニュアル第３条に基づき、ＡＢＣ（住所）で確認。①担当者 ㈱ ｶﾞｲﾄﾞ  "
    answers, issues = normalise_answers(defn, {"8-1:概要": raw})
    assert answers == {"8-1:概要": "マニュアル第3条に基づき、ABC（住所）で確認。①担当者 ㈱ ガイド"}
    assert issues == []


@pytest.mark.parametrize(
    "key,expected",
    [
        ("７－４", "7-4"),
        ("7ｰ4", "7-4"),
        ("Q7-4", "7-4"),
        ("7ー4", "7-4"),
        (" 7−4 ", "7-4"),
        ("２：予定年月", "2:予定年月"),
        ("１０", "10"),
    ],
)
def test_item_keys_are_normalised(defn, key, expected):
    value = "2024/3" if ":" in expected else ["1"] if expected == "7-4" else "1"
    answers, _ = normalise_answers(defn, {key: value})
    assert list(answers) == [expected]


def test_unknown_items_are_errors(defn):
    answers, issues = normalise_answers(defn, {"11": "1", "2:備考": "x"})
    assert answers == {}
    assert [i.code for i in issues] == ["unknown_item", "unknown_item"]
    assert issues[0].message == "「11」という調査項目はありません。"


def test_empty_values_are_dropped_silently(defn):
    assert normalise_answers(defn, {"2": "", "3": "  ", "6": [], "7-4": {}, "10": None, "99": ""}) == ({}, [])


def test_two_different_answers_for_one_item_are_an_error(defn):
    answers, issues = normalise_answers(defn, {"7-4": ["1"], "７－４": ["2"]})
    assert [i.code for i in issues] == ["duplicate_item"]


def test_output_follows_survey_order(defn):
    answers, _ = normalise_answers(defn, {"10": "1", "2:予定年月": "2024/3", "3": "1", "2": "3"})
    assert list(answers) == ["2", "3", "10", "2:予定年月"]


# --- months shown to people -----------------------------------------------------------------------


@pytest.mark.parametrize("stored,western,wareki", [
    ("2025-03", "2025年3月", "令和7年3月"),
    ("2019-05", "2019年5月", "令和元年5月"),
    ("2019-04", "2019年4月", "平成31年4月"),
    ("1989-01", "1989年1月", "平成元年1月"),
    ("1988-12", "1988年12月", "昭和63年12月"),
])
def test_months_are_shown_as_people_write_them(stored, western, wareki):
    from survey.engine import format_month, format_month_wareki, month_display, parse_month

    assert format_month(stored) == western
    assert format_month_wareki(stored) == wareki
    assert month_display(stored) == f"{western}（{wareki}）"
    assert parse_month(western) == stored and parse_month(wareki) == stored  # shown text reads back


def test_a_value_that_is_not_a_stored_month_is_shown_unchanged():
    from survey.engine import format_month, month_display

    assert format_month("来年度") == "来年度" and month_display(None) == ""
