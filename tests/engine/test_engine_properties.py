"""Properties that must hold for any answers, checked with hypothesis."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from survey.engine import (
    APPLICABLE,
    DEFINITIONS_DIR,
    PENDING,
    SKIPPED,
    applicable_items,
    classify_risk,
    clear_inapplicable,
    item_paths,
    item_status,
    load_definition,
    normalise_answers,
    parse_month,
    validate,
)
from survey.engine.text import clean_text

DEFN = load_definition(DEFINITIONS_DIR / "linkage-2023.1.toml")
ORG_KINDS = st.sampled_from(["prefecture", "municipality"])


def _item_value(item):
    if item.kind == "marks":
        return st.lists(st.sampled_from(item.codes), min_size=1, unique=True).map(
            lambda v: sorted(v, key=int)
        )
    return st.sampled_from(item.codes)


def _followup_value(f):
    if f.kind == "month":
        return st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(2000, 2040), st.integers(1, 12))
    return st.text(min_size=1, max_size=20).map(clean_text).filter(bool)


@st.composite
def canonical_answers(draw):
    """Any canonical answers: every item and follow-up independently present or absent."""
    answers = {}
    for item in DEFN.items:
        if draw(st.booleans()):
            answers[item.id] = draw(_item_value(item))
    for key, f in DEFN.followups.items():
        if draw(st.booleans()):
            answers[key] = draw(_followup_value(f))
    return answers


TYPED_ONE = st.one_of(
    st.sampled_from(["1", "２", "③", "④ なし", "⑤", "定めていない", "x", "", " ", "1.0"]),
    st.integers(-1, 6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)


@st.composite
def typed_answers(draw):
    """Raw answers as people might type them, valid or not."""
    raw = {}
    for item in DEFN.items:
        if draw(st.booleans()):
            if item.kind == "marks":
                raw[item.id] = draw(
                    st.one_of(
                        st.lists(TYPED_ONE, max_size=3),
                        st.dictionaries(
                            st.sampled_from(["1", "②", "3"]), st.sampled_from(["○", "", "x", 1, None])
                        ),
                    )
                )
            else:
                raw[item.id] = draw(TYPED_ONE)
    if draw(st.booleans()):
        raw["2:予定年月"] = draw(
            st.one_of(st.text(max_size=10), st.sampled_from(["R6.3", "2024/3", "令和元年5月"]))
        )
    return raw


@settings(max_examples=300, deadline=None)
@given(org_kind=ORG_KINDS, answers=canonical_answers())
def test_clear_inapplicable_is_idempotent_and_leaves_no_contradiction(org_kind, answers):
    cleared, dropped = clear_inapplicable(DEFN, org_kind, answers)
    assert clear_inapplicable(DEFN, org_kind, cleared) == (cleared, [])
    assert set(answers) == set(cleared) | set(dropped)
    codes = {i.code for i in validate(DEFN, org_kind, cleared, {}, complete=False)}
    assert "not_applicable_answered" not in codes
    assert applicable_items(DEFN, org_kind, cleared) == applicable_items(DEFN, org_kind, answers)


@settings(max_examples=300, deadline=None)
@given(org_kind=ORG_KINDS, answers=canonical_answers())
def test_canonical_answers_are_a_fixed_point_of_normalise(org_kind, answers):
    assert normalise_answers(DEFN, answers) == (answers, [])


@settings(max_examples=300, deadline=None)
@given(raw=typed_answers())
def test_normalise_is_idempotent_on_whatever_it_returns(raw):
    once, _ = normalise_answers(DEFN, raw)
    assert normalise_answers(DEFN, once) == (once, [])
    format_codes = {"invalid_option", "invalid_value", "invalid_month", "unknown_item"}
    assert not {i.code for i in validate(DEFN, "municipality", once, {}, complete=False)} & format_codes


@settings(max_examples=300, deadline=None)
@given(org_kind=ORG_KINDS, answers=canonical_answers())
def test_status_is_consistent_with_the_paths(org_kind, answers):
    status = item_status(DEFN, org_kind, answers)
    paths = [set(p.items) for p in item_paths(DEFN, org_kind)]
    applicable = {i for i, s in status.items() if s == APPLICABLE}
    # applicable items lie on some path; items on no path at all are always skipped
    assert any(applicable <= p for p in paths)
    for item_id, state in status.items():
        if not any(item_id in p for p in paths):
            assert state == SKIPPED
    # answering a pending item's question can only settle it, never un-apply what applies
    if PENDING in status.values():
        first_open = next(i for i in applicable_items(DEFN, org_kind, answers) if i not in answers)
        item = DEFN.item(first_open)
        more = {**answers, first_open: [item.codes[0]] if item.kind == "marks" else item.codes[0]}
        assert applicable <= set(applicable_items(DEFN, org_kind, more))


@settings(max_examples=300, deadline=None)
@given(org_kind=ORG_KINDS, answers=canonical_answers())
def test_risk_looks_only_at_applicable_answers(org_kind, answers):
    applicable = set(applicable_items(DEFN, org_kind, answers))
    risk = classify_risk(DEFN, answers, org_kind)
    assert {
        DEFN.risk_rules[[r.id for r in DEFN.risk_rules].index(f.id)].condition.item for f in risk.fired
    } <= applicable
    assert risk == classify_risk(DEFN, clear_inapplicable(DEFN, org_kind, answers)[0], org_kind)
    ranks = {lv.id: lv.rank for lv in DEFN.risk_levels}
    assert all(ranks[f.level] <= ranks[risk.level] for f in risk.fired)
    assert (risk.level == "low") == (risk.fired == [])


@given(year=st.integers(1990, 2099), month=st.integers(1, 12))
def test_month_forms_agree(year, month):
    expected = f"{year:04d}-{month:02d}"
    forms = [
        expected,
        f"{year}年{month}月",
        f"{year}/{month}",
        f"{year}.{month:02d}",
        f"{year}{month:02d}",
        expected.translate(str.maketrans("0123456789-", "０１２３４５６７８９－")),
    ]
    if year >= 2019:
        forms += [f"R{year - 2018}.{month}", f"令和{year - 2018}年{month}月"]
    if year <= 2019:
        forms += [f"H{year - 1988}/{month}", f"平成{year - 1988}年{month}月"]
    assert {parse_month(f) for f in forms} == {expected}
    assert parse_month(parse_month(forms[1])) == expected
