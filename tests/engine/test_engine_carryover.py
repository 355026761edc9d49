"""Next round: the diff of two survey versions and carrying answers across them (pure)."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from survey.engine import (
    DEFINITIONS_DIR,
    ERROR,
    carry_answers,
    clear_inapplicable,
    definition_diff,
    definition_from_dict,
    definition_to_dict,
    load_definition,
    validate,
)
from tests.engine.test_engine_properties import canonical_answers

OLD = load_definition(DEFINITIONS_DIR / "linkage-2023.1.toml")
DEMO = load_definition(DEFINITIONS_DIR / "demo" / "linkage-2024.1-demo.toml")


def revised(edit) -> object:
    """A definition made from 2023.1's dict form by `edit(data)` (a revision written here,
    not by the project's demo file)."""
    data = copy.deepcopy(definition_to_dict(OLD))
    data["survey"]["version"] = "test"
    edit(data)
    return definition_from_dict(data)


def _item(data, item_id):
    return next(i for i in data["items"] if i["id"] == item_id)


def test_same_version_has_no_changes():
    diff = definition_diff(OLD, OLD)
    assert diff.is_empty and diff.changed_ids == frozenset()


def test_demo_revision_changes_q2_text_removes_q4_option_3_and_adds_q11():
    diff = definition_diff(OLD, DEMO)
    assert diff.added == ("11",) and diff.removed == ()
    assert diff.changed_ids == {"2", "4"}
    assert diff.change_of("2").text_changed and not diff.change_of("2").options_changed
    q4 = diff.change_of("4")
    assert q4.options_removed == ("3",) and not q4.text_changed
    assert diff.change_of("10") is None


def test_reworded_option_is_a_change_but_keeps_its_answer():
    new = revised(lambda d: _item(d, "9")["options"][0].update(text="複数の職員で確認している。"))
    diff = definition_diff(OLD, new)
    assert diff.change_of("9").options_reworded == ("1",)
    carried = carry_answers(OLD, new, "municipality", {"1-1": "2", "9": "1"})
    assert carried.answers["9"] == "1" and carried.notices == ()


def test_removed_item_is_dropped_with_a_notice():
    new = revised(lambda d: d.update(items=[i for i in d["items"] if i["id"] != "1-1"]))
    diff = definition_diff(OLD, new)
    assert diff.removed == ("1-1",)
    carried = carry_answers(OLD, new, "municipality", {"1-1": "2", "2": "1"})
    assert carried.answers == {"2": "1"}
    assert [(n.key, n.code) for n in carried.notices] == [("1-1", "item_removed")]
    assert "Q1-1" in carried.notices[0].message and "②" in carried.notices[0].message


def test_answer_to_a_removed_option_is_cleared_and_told():
    carried = carry_answers(OLD, DEMO, "municipality", {"1-1": "2", "2": "1", "3": "1", "4": "3", "5": "1"})
    assert "4" not in carried.answers
    assert carried.answers == {"1-1": "2", "2": "1", "3": "1", "5": "1"}
    (notice,) = carried.notices
    assert notice.key == "4" and notice.code == "option_removed"
    assert "③本人以外（事業主等）からの届出は無い。" in notice.message


def test_marks_keep_the_options_that_remain():
    def drop_q6_option_2(d):
        _item(d, "6")["options"] = _item(d, "6")["options"][:1]
    new = revised(drop_q6_option_2)
    carried = carry_answers(OLD, new, "municipality", {"3": "2", "6": ["1", "2"]})
    assert carried.answers["6"] == ["1"]
    assert [n.code for n in carried.notices] == ["option_removed"]


def test_new_items_start_empty_and_unchanged_answers_carry_with_follow_ups():
    answers = {"1-1": "1", "2": "3", "2:予定年月": "2024-03", "3": "2", "6": ["1"], "7-1": "1", "7-2": "2",
               "9": "2", "10": "2", "10:概要": "令和4年に1件"}
    carried = carry_answers(OLD, DEMO, "municipality", answers)
    assert carried.answers == answers and carried.notices == ()
    assert "11" not in carried.answers


def test_changed_kind_is_not_carried():
    new = revised(lambda d: _item(d, "9").update(kind="marks"))
    carried = carry_answers(OLD, new, "municipality", {"9": "4"})
    assert carried.answers == {} and [n.code for n in carried.notices] == ["kind_changed"]


def test_what_the_new_branching_skips_is_cleared_with_a_notice():
    # 7-3 is now asked only when 7-1 is ②: an answer with 7-1 ① no longer reaches it.
    new = revised(lambda d: _item(d, "7-3").update(only_if={"item": "7-1", "any_of": ["2"]}))
    answers = {"3": "2", "6": ["1"], "7-1": "1", "7-2": "1", "7-3": "2"}
    carried = carry_answers(OLD, new, "municipality", answers)
    assert "7-3" not in carried.answers
    assert [(n.key, n.code) for n in carried.notices] == [("7-3", "not_applicable")]


def test_the_carried_answers_are_not_mutated():
    answers = {"4": "3", "6": ["1", "2"]}
    carry_answers(OLD, DEMO, "prefecture", answers)
    assert answers == {"4": "3", "6": ["1", "2"]}


@settings(max_examples=150, deadline=None)
@given(answers=canonical_answers(), org_kind=st.sampled_from(["prefecture", "municipality"]))
def test_carried_answers_are_always_a_valid_draft_of_the_new_version(answers, org_kind):
    kept, _ = clear_inapplicable(OLD, org_kind, answers)
    carried = carry_answers(OLD, DEMO, org_kind, kept)
    errors = [i for i in validate(DEMO, org_kind, carried.answers, {}, complete=False)
              if i.severity == ERROR and i.item]
    assert errors == []
    # Every answer kept is the old one, unchanged; every answer dropped has a notice.
    for key, value in carried.answers.items():
        assert kept[key] == value or (isinstance(value, list) and set(value) < set(kept[key]))
    dropped_items = {k for k in kept if ":" not in k} - set(carried.answers)
    assert dropped_items <= {n.key for n in carried.notices}
