"""Applicability: every path through the survey, written out by hand from the spec's table."""

from __future__ import annotations

import pytest

from survey.engine import (
    PENDING,
    SKIPPED,
    applicable_items,
    clear_inapplicable,
    item_paths,
    item_status,
)

# The tail after 6 / 7-1 / 7-2 (spec: 7-3 and 8-1 when 7-2 = ①, 7-4 when 7-3 = ①,
# 8-2 when 8-1 = ①, 7-2 ② and 8-1 ②③ go to 9).
TAILS = {
    "7-2②": ["9", "10"],
    "7-2① 7-3① 8-1①": ["7-3", "7-4", "8-1", "8-2", "9", "10"],
    "7-2① 7-3① 8-1②③": ["7-3", "7-4", "8-1", "9", "10"],
    "7-2① 7-3② 8-1①": ["7-3", "8-1", "8-2", "9", "10"],
    "7-2① 7-3② 8-1②③": ["7-3", "8-1", "9", "10"],
}
TAIL_CHOICES = {
    "7-2②": [{"7-2": "2"}],
    "7-2① 7-3① 8-1①": [{"7-2": "1", "7-3": "1", "8-1": "1"}],
    "7-2① 7-3① 8-1②③": [{"7-2": "1", "7-3": "1", "8-1": "2"}, {"7-2": "1", "7-3": "1", "8-1": "3"}],
    "7-2① 7-3② 8-1①": [{"7-2": "1", "7-3": "2", "8-1": "1"}],
    "7-2① 7-3② 8-1②③": [{"7-2": "1", "7-3": "2", "8-1": "2"}, {"7-2": "1", "7-3": "2", "8-1": "3"}],
}
FIRST = {"municipality": "1-1", "prefecture": "1-2"}


def expected_paths(org_kind: str) -> list[tuple[dict, list[str]]]:
    """(branching choices, applicable items) for every path, by hand from the spec."""
    head = [FIRST[org_kind], "2", "3"]
    paths = [({"3": "1", "5": "1"}, head + ["4", "5", "10"])]  # 5 ① -> 10
    for name, tail in TAILS.items():
        for tail_choice in TAIL_CHOICES[name]:
            paths.append(({"3": "2", **tail_choice}, head + ["6", "7-1", "7-2"] + tail))  # 3 ② -> 6
            paths.append(({"3": "1", "5": "2", **tail_choice}, head + ["4", "5", "6", "7-1", "7-2"] + tail))
    return paths


ALL_PATHS = [(ok, c, items) for ok in FIRST for c, items in expected_paths(ok)]


@pytest.mark.parametrize("org_kind,choices,expected", ALL_PATHS)
def test_branching_choices_give_exactly_the_spec_items(defn, org_kind, choices, expected):
    assert applicable_items(defn, org_kind, choices) == expected


@pytest.mark.parametrize("org_kind,choices,expected", ALL_PATHS)
def test_answering_every_applicable_item_does_not_change_the_path(
    defn, complete, org_kind, choices, expected
):
    for filler in ("1", "2"):
        answers = complete(org_kind, choices, filler)
        assert applicable_items(defn, org_kind, answers) == expected
        assert set(answers) - set(defn.followups) == set(expected)


@pytest.mark.parametrize("org_kind", FIRST)
def test_item_paths_enumerates_every_distinct_path(defn, org_kind):
    found = {p.items for p in item_paths(defn, org_kind)}
    assert found == {tuple(items) for _, items in expected_paths(org_kind)}
    assert len(found) == 11


@pytest.mark.parametrize("org_kind", FIRST)
def test_item_paths_choices_take_their_path(defn, org_kind):
    for path in item_paths(defn, org_kind):
        assert tuple(applicable_items(defn, org_kind, path.choice_dict)) == path.items


@pytest.mark.parametrize(
    "org_kind,answers,expected",
    [
        ("municipality", {}, ["1-1", "2", "3", "10"]),
        ("prefecture", {}, ["1-2", "2", "3", "10"]),
        ("municipality", {"3": "1"}, ["1-1", "2", "3", "4", "5", "10"]),
        ("municipality", {"3": "2"}, ["1-1", "2", "3", "6", "7-1", "7-2", "9", "10"]),
        ("municipality", {"3": "1", "5": "2"}, ["1-1", "2", "3", "4", "5", "6", "7-1", "7-2", "9", "10"]),
        ("prefecture", {"3": "2", "7-2": "1"}, ["1-2", "2", "3", "6", "7-1", "7-2", "7-3", "8-1", "9", "10"]),
        (
            "prefecture",
            {"3": "2", "7-2": "1", "7-3": "1"},
            ["1-2", "2", "3", "6", "7-1", "7-2", "7-3", "7-4", "8-1", "9", "10"],
        ),
        # answers to items of another branch are ignored when deciding the way on
        ("municipality", {"3": "2", "5": "1"}, ["1-1", "2", "3", "6", "7-1", "7-2", "9", "10"]),
        # an unreadable branching answer counts as no answer
        ("municipality", {"3": "9"}, ["1-1", "2", "3", "10"]),
    ],
)
def test_partial_answers_apply_only_items_on_every_remaining_path(defn, org_kind, answers, expected):
    assert applicable_items(defn, org_kind, answers) == expected


def test_items_behind_an_unanswered_branch_are_pending_not_skipped(defn):
    status = item_status(defn, "municipality", {"3": "1"})
    assert status["6"] == PENDING and status["9"] == PENDING
    assert status["1-2"] == SKIPPED
    status = item_status(defn, "municipality", {"3": "1", "5": "1"})
    assert {i for i, s in status.items() if s == SKIPPED} == {
        "1-2",
        "6",
        "7-1",
        "7-2",
        "7-3",
        "7-4",
        "8-1",
        "8-2",
        "9",
    }


def test_org_kind_items_are_skipped_for_the_other_kind(defn):
    assert item_status(defn, "prefecture", {})["1-1"] == SKIPPED
    assert item_status(defn, "municipality", {})["1-2"] == SKIPPED


def test_unknown_org_kind_is_refused(defn):
    with pytest.raises(ValueError):
        applicable_items(defn, "designated_city", {})


def test_clear_inapplicable_drops_answers_a_changed_branch_skips(defn, complete):
    answers = complete("municipality", {"3": "1", "5": "2", "7-2": "1", "7-3": "1", "8-1": "1"})
    answers["2"], answers["2:予定年月"] = "3", "2024-03"
    answers["3"] = "2"  # the respondent changes Q3: 4 and 5 no longer apply
    cleared_answers, cleared = clear_inapplicable(defn, "municipality", answers)
    assert sorted(cleared) == ["4", "5"]
    assert "6" in cleared_answers and "2:予定年月" in cleared_answers
    cleared_answers["2"] = "1"  # the month no longer applies either
    again, cleared = clear_inapplicable(defn, "municipality", cleared_answers)
    assert cleared == ["2:予定年月"] and "2:予定年月" not in again


def test_clear_inapplicable_drops_the_whole_skipped_branch(defn, complete):
    answers = complete("prefecture", {"3": "2", "7-2": "1", "7-3": "1", "8-1": "1"})
    answers["7-2"] = "2"
    answers["1-1"] = "1"
    kept, cleared = clear_inapplicable(defn, "prefecture", answers)
    assert set(cleared) == {"1-1", "7-3", "7-4", "8-1", "8-1:概要", "8-2"}
    assert applicable_items(defn, "prefecture", kept) == ["1-2", "2", "3", "6", "7-1", "7-2", "9", "10"]


def test_clear_inapplicable_keeps_pending_answers(defn):
    answers = {"4": "1", "6": ["1"]}  # Q3 not answered yet: both may still apply
    assert clear_inapplicable(defn, "municipality", answers) == (answers, [])


# --- which items one organisation can be asked together (the cross-tab's default pair) ------------


def test_items_for_different_org_kinds_never_co_occur(defn):
    from survey.engine import items_co_occur

    assert not items_co_occur(defn, "1-1", "1-2")  # municipalities only / prefectures only
    assert items_co_occur(defn, "1-1", "2") and items_co_occur(defn, "1-2", "2")
    assert items_co_occur(defn, "4", "6")  # the long path (3 ①) asks both


def test_first_co_occurring_pair_follows_the_definition(defn):
    import dataclasses

    from survey.engine import first_co_occurring_pair

    assert first_co_occurring_pair(defn) == ("1-1", "2")
    # Asked of every kind, Q1-1 and Q1-2 become the first pair.
    items = tuple(dataclasses.replace(i, org_kinds=()) if i.id in ("1-1", "1-2") else i for i in defn.items)
    assert first_co_occurring_pair(dataclasses.replace(defn, items=items)) == ("1-1", "1-2")
