"""Risk classification (the spec's table) and the two sheet indicators."""

from __future__ import annotations

import pytest

from survey.engine import classify_risk, indicators

# A response through every item (3 ② path) that fires no rule: 10 ①, 9 ①, 7-4 with ⑤ ...
SAFE = {"3": "1", "5": "2", "7-2": "1", "7-3": "1", "8-1": "1"}


@pytest.fixture
def safe(complete):
    answers = complete("municipality", SAFE)
    answers["7-4"] = ["1", "3", "5"]
    return answers


def test_a_careful_organisation_is_low(defn, safe):
    risk = classify_risk(defn, safe, "municipality")
    assert (risk.level, risk.level_label, risk.fired) == ("low", "低", [])


@pytest.mark.parametrize(
    "change,rule,level,label",
    [
        ({"10": "3", "10:概要": "x"}, "unreported_error_not_improved", "critical", "要緊急点検"),
        ({"10": "4", "10:概要": "x"}, "unreported_error_not_improved", "critical", "要緊急点検"),
        ({"8-2": "2"}, "links_unidentified_person", "critical", "要緊急点検"),
        ({"8-1": "2"}, "multiple_match_left_to_officer", "high", "要点検"),
        ({"9": "4"}, "no_record_no_second_check", "high", "要点検"),
        ({"7-4": ["2", "3"]}, "query_without_address", "high", "要点検"),
        ({"4": "2"}, "third_party_number_unchecked", "high", "要点検"),
        ({"7-3": "2"}, "query_items_undecided", "medium", "注意"),
        ({"9": "3"}, "partial_match_linked_with_record", "medium", "注意"),
        ({"2": "2"}, "no_manual", "medium", "注意"),
        ({"10": "2", "10:概要": "x"}, "unreported_error_improved", "medium", "注意"),
    ],
)
def test_each_rule_raises_its_level(defn, safe, change, rule, level, label):
    risk = classify_risk(defn, {**safe, **change}, "municipality")
    assert [f.id for f in risk.fired] == [rule]
    assert (risk.level, risk.level_label) == (level, label)
    assert risk.fired[0].level == level and risk.fired[0].label


@pytest.mark.parametrize("marks", [["1", "2", "3", "4", "5"], ["5"], ["2", "3", "5"]])
def test_querying_with_the_address_is_not_flagged(defn, safe, marks):
    assert classify_risk(defn, {**safe, "7-4": marks}, "municipality").fired == []


def test_highest_level_wins_and_every_fired_rule_is_listed_highest_first(defn, safe):
    answers = {**safe, "2": "2", "9": "4", "7-4": ["2", "3"], "8-2": "2"}
    risk = classify_risk(defn, answers, "municipality")
    assert risk.level == "critical"
    assert [(f.id, f.level) for f in risk.fired] == [
        ("links_unidentified_person", "critical"),
        ("no_record_no_second_check", "high"),
        ("query_without_address", "high"),
        ("no_manual", "medium"),
    ]


def test_rules_ignore_answers_to_items_that_do_not_apply(defn, safe):
    # 7-3 ② skips 7-4 (answer left over); 8-1 ③ skips 8-2; Q3 ② skips 4
    answers = {**safe, "3": "2", "4": "2", "7-3": "1", "8-1": "3", "8-2": "2"}
    risk = classify_risk(defn, answers, "municipality")
    assert [f.id for f in risk.fired] == []
    pending = {"4": "2", "9": "4"}  # Q3 unanswered: 4 and 9 may not apply
    assert classify_risk(defn, pending, "municipality").fired == []


def test_indicators_of_an_empty_response(defn):
    assert indicators(defn, "municipality", {}, {}) == {"info_missing": True, "unanswered": True}


def test_indicators_of_a_complete_response(defn, complete, respondent):
    answers = complete("prefecture", {"3": "2", "7-2": "2"})
    assert indicators(defn, "prefecture", answers, respondent) == {"info_missing": False, "unanswered": False}


def test_ministry_fields_do_not_count_as_missing(defn, respondent):
    del respondent["制度等"]
    assert indicators(defn, "municipality", {}, respondent)["info_missing"] is False
    del respondent["メールアドレス"]
    assert indicators(defn, "municipality", {}, respondent)["info_missing"] is True


def test_unanswered_follows_the_branching(defn, complete, respondent):
    answers = complete("municipality", {"3": "1", "5": "1"})
    assert indicators(defn, "municipality", answers, respondent)["unanswered"] is False
    answers["5"] = "2"  # now 6, 7-1, 7-2, 9 apply and are empty
    assert indicators(defn, "municipality", answers, respondent)["unanswered"] is True


def test_unanswered_counts_a_missing_required_followup(defn, complete, respondent):
    answers = complete("municipality", {"3": "1", "5": "1"})
    answers["10"] = "3"
    assert indicators(defn, "municipality", answers, respondent)["unanswered"] is True
    assert indicators(defn, "municipality", answers, respondent, attached={"10:概要"})["unanswered"] is False
