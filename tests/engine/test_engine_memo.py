"""The per-definition memo (survey/engine/memo.py) changes no answer of the engine: a function
asked again gives what a definition that never saw the question gives, and a caller that
changes what it got back changes nothing for the next one."""

from __future__ import annotations

import copy
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from survey.engine import (
    DEFINITIONS_DIR,
    classify_risk,
    clear_inapplicable,
    item_status,
    load_definition,
    normalise_answers,
    skip_reasons,
    validate,
)

from .test_engine_properties import ORG_KINDS, canonical_answers, typed_answers

DEFN = load_definition(DEFINITIONS_DIR / "linkage-2023.1.toml")


def _fresh():
    return load_definition(DEFINITIONS_DIR / "linkage-2023.1.toml")


@settings(max_examples=200, deadline=None)
@given(org_kind=ORG_KINDS, answers=canonical_answers())
def test_branching_answers_match_a_definition_without_memo(org_kind, answers):
    item_status(DEFN, org_kind, answers)  # asked once: now kept
    fresh = _fresh()
    assert item_status(DEFN, org_kind, answers) == item_status(fresh, org_kind, answers)
    assert skip_reasons(DEFN, org_kind, answers) == skip_reasons(fresh, org_kind, answers)
    assert clear_inapplicable(DEFN, org_kind, answers) == clear_inapplicable(fresh, org_kind, answers)
    assert classify_risk(DEFN, answers, org_kind) == classify_risk(fresh, answers, org_kind)
    assert validate(DEFN, org_kind, answers, {}, complete=True) == validate(fresh, org_kind, answers, {}, complete=True)


@settings(max_examples=300, deadline=None)
@given(raw=typed_answers())
def test_normalised_answers_match_a_definition_without_memo(raw):
    for key, value in raw.items():  # one cell at a time, as the reader asks
        one = {key: copy.deepcopy(value)}
        first = normalise_answers(DEFN, one)
        assert normalise_answers(DEFN, one) == first == normalise_answers(_fresh(), one)
    assert normalise_answers(DEFN, raw) == normalise_answers(_fresh(), raw)


def test_a_caller_changing_its_result_changes_nothing_kept():
    marks = next(i for i in DEFN.items if i.kind == "marks")
    answers, _ = normalise_answers(DEFN, {marks.id: "①、②"})
    answers[marks.id].append("9")
    status = item_status(DEFN, "municipality", {})
    status[DEFN.items[0].id] = "changed"
    assert normalise_answers(DEFN, {marks.id: "①、②"})[0] == {marks.id: ["1", "2"]}
    assert item_status(DEFN, "municipality", {}) == item_status(_fresh(), "municipality", {})


def test_true_one_and_one_point_zero_are_kept_apart():
    one = next(i for i in DEFN.items if i.kind == "one")
    assert normalise_answers(DEFN, {one.id: 1}) == normalise_answers(_fresh(), {one.id: 1})
    assert normalise_answers(DEFN, {one.id: True}) == normalise_answers(_fresh(), {one.id: True})
    assert normalise_answers(DEFN, {one.id: 1.0}) == normalise_answers(_fresh(), {one.id: 1.0})


def test_a_pickled_definition_travels_without_its_memo():
    item_status(DEFN, "prefecture", {})
    assert DEFN.memo
    assert not pickle.loads(pickle.dumps(DEFN)).memo


def test_safe_nfkc_turns_exactly_the_space_separators_into_spaces():
    """`safe_nfkc` looks only at whitespace (`\\s`) for space separators (Zs): the same result as
    asking every character, for every code point."""
    import sys
    import unicodedata

    from survey.engine.text import _WIDE, safe_nfkc

    def by_every_character(text: str) -> str:
        text = _WIDE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
        return "".join(" " if unicodedata.category(c) == "Zs" else c for c in text)

    everything = "".join(chr(i) for i in range(sys.maxunicode + 1))
    assert safe_nfkc(everything) == by_every_character(everything)


def test_long_texts_people_write_are_not_kept():
    """The memo holds option texts, not what people write: a long follow-up text (or many) never
    grows it, whatever a form or a sheet sends."""
    defn = _fresh()
    followup = next(k for k, f in defn.followups.items() if f.kind == "text")
    for n in range(50):
        normalise_answers(defn, {followup: f"{n}" + "詳細" * 200})
    assert not defn.memo.get("normalise_answers")
    normalise_answers(defn, {followup: "短い説明"})
    assert len(defn.memo["normalise_answers"]) == 1


@settings(max_examples=200, deadline=None)
@given(org_kind=ORG_KINDS, answers=canonical_answers(),
       respondent=st.dictionaries(st.sampled_from([f.label for f in DEFN.respondent_fields]),
                                  st.text(max_size=30) | st.integers() | st.none(), max_size=6),
       complete=st.booleans(),
       attached=st.frozensets(st.sampled_from(sorted(DEFN.followups)), max_size=2))
def test_a_validation_asked_again_gives_what_a_fresh_definition_gives(org_kind, answers, respondent, complete,
                                                                      attached):
    """A bulk import validates each sheet twice (reading it, then submitting it): the second
    answer comes from the memo and must be the first one's, for any values."""
    first = validate(DEFN, org_kind, answers, respondent, complete=complete, attached=attached)
    first.append("changed by the caller")
    again = validate(DEFN, org_kind, copy.deepcopy(answers), dict(respondent), complete=complete,
                     attached=set(attached))
    assert again == validate(_fresh(), org_kind, answers, respondent, complete=complete, attached=attached)
    assert validate(DEFN, org_kind, answers, respondent, complete=not complete, attached=attached) == \
        validate(_fresh(), org_kind, answers, respondent, complete=not complete, attached=attached)


def test_the_validation_memo_stays_small():
    from survey.engine.validate import VALIDATE_MEMO_ENTRIES

    defn = _fresh()
    item = next(i for i in defn.items if i.kind == "one")
    for n in range(VALIDATE_MEMO_ENTRIES * 3):
        validate(defn, "municipality", {item.id: "1"}, {"担当者名": f"担当 {n}"}, complete=True)
    assert 0 < len(defn.memo["validate"]) <= VALIDATE_MEMO_ENTRIES


def test_zero_and_minus_zero_are_kept_apart():
    """0.0 == -0.0 (and hash alike), but a message shows the value as typed: a memo keyed on
    the value gave -0.0's message for 0.0 (found by the hypothesis test above)."""
    one = next(i for i in DEFN.items if i.kind == "one")
    assert normalise_answers(DEFN, {one.id: -0.0}) == normalise_answers(_fresh(), {one.id: -0.0})
    assert normalise_answers(DEFN, {one.id: 0.0}) == normalise_answers(_fresh(), {one.id: 0.0})
    assert validate(DEFN, "municipality", {}, {"担当者名": -0.0}, complete=False) == \
        validate(_fresh(), "municipality", {}, {"担当者名": -0.0}, complete=False)
    assert validate(DEFN, "municipality", {}, {"担当者名": 0.0}, complete=False) == \
        validate(_fresh(), "municipality", {}, {"担当者名": 0.0}, complete=False)


@settings(max_examples=100, deadline=None)
@given(written=st.dictionaries(st.sampled_from(["制度等", "属性"]),
                               st.sampled_from(["", "職業転換給付金制度（訓練手当）関係事務", "職業転換給付金制度",
                                                "別の制度", "全国", "１", 1, None]) | st.text(max_size=20),
                               max_size=2),
       expected=st.dictionaries(st.sampled_from(["制度等", "属性"]), st.sampled_from(["", "全国", "職業転換給付金制度"]),
                                max_size=2))
def test_the_ministry_fields_asked_again_give_what_a_fresh_definition_gives(written, expected):
    from survey.engine import ministry_values

    first = ministry_values(DEFN, written, expected)
    first[0]["制度等"], first[1][:] = "changed by the caller", []
    assert ministry_values(DEFN, dict(written), dict(expected)) == ministry_values(_fresh(), written, expected)
