"""Every figure of the selectors against counts made here, in plain Python, from KNOWN.

The expected values never come from the code under test: they are counted over the answer
dicts that the fixture passed to response_save (see conftest.KNOWN).
"""
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from aggregation import selectors
from survey import access
from survey import selectors as survey_selectors
from survey.models import AnswerFact, Response, RoundTarget
from tests.aggregation.conftest import EXPECTED_RISK, KNOWN, build_round, org_info

pytestmark = pytest.mark.django_db

RULES = {
    "141003": {"no_record_no_second_check"},
    "141500": {"query_without_address", "unreported_error_improved"},
    "142051": {"links_unidentified_person"},
    "130001": {"unreported_error_not_improved", "multiple_match_left_to_officer", "third_party_number_unchecked",
               "query_items_undecided", "partial_match_linked_with_record", "no_manual"},
    "140007": set(),
    "132012": set(),
}


# --- the independent counts ------------------------------------------------------------------


def codes_where(*, state=None, prefecture="", kind=""):
    return [
        code for code, (st, _, _) in KNOWN.items()
        if (state is None or st == state)
        and (not prefecture or org_info(code)[0] == prefecture)
        and (not kind or org_info(code)[4] == kind)
    ]


def applicable(code):
    _, answers, unanswered = KNOWN[code]
    return {k for k in answers if ":" not in k} | set(unanswered)


def expected_item(item_id, codes):
    """(base, not_applicable, unanswered, {option: count}) over the submitted `codes`."""
    base = [c for c in codes if item_id in applicable(c)]
    counts = Counter()
    for code in base:
        _, answers, unanswered = KNOWN[code]
        if item_id in unanswered:
            continue
        value = answers[item_id]
        counts.update(value if isinstance(value, list) else [value])
    unanswered = sum(item_id in KNOWN[c][2] for c in base)
    return len(base), len(codes) - len(base), unanswered, dict(counts)


def live(rnd, scope=None):
    scope = scope or access.Scope()
    return (scope.facts(AnswerFact.objects.filter(round=rnd)), scope.responses(Response.objects.filter(round=rnd)),
            scope.targets(RoundTarget.objects.filter(round=rnd)))


# --- status ----------------------------------------------------------------------------------


@pytest.mark.parametrize("by,field", [("prefecture", 0), ("kind", 4)])
def test_status_by_group_matches_known_states(agg_round, by, field):
    _, responses, targets = live(agg_round)
    rows = {r.key: r for r in selectors.status_by(targets=targets, responses=responses, by=by)}
    groups = {org_info(c)[field] for c in KNOWN}
    assert set(rows) == groups
    for group in groups:
        in_group = [c for c in KNOWN if org_info(c)[field] == group]
        states = Counter(KNOWN[c][0] for c in in_group)
        row = rows[group]
        assert (row.targets, row.submitted, row.draft, row.not_started) == (
            len(in_group), states["submitted"], states["draft"], states["none"])


def test_status_total_and_rate(agg_round):
    _, responses, targets = live(agg_round)
    total = selectors.status_total(selectors.status_by(targets=targets, responses=responses, by="prefecture"))
    states = Counter(state for state, _, _ in KNOWN.values())
    assert (total.targets, total.submitted, total.draft, total.not_started) == (
        len(KNOWN), states["submitted"], states["draft"], states["none"])
    assert total.rate == pytest.approx(states["submitted"] / len(KNOWN))


def test_prefecture_scope_counts_only_that_prefecture(agg_round):
    _, responses, targets = live(agg_round, access.Scope(prefecture="14", locked=True))
    rows = selectors.status_by(targets=targets, responses=responses, by="prefecture")
    assert [r.key for r in rows] == ["14"]
    assert rows[0].targets == len(codes_where(prefecture="14"))
    assert rows[0].submitted == len(codes_where(state="submitted", prefecture="14"))


def test_non_submitters_are_drafts_and_not_started_with_their_officers(agg_round, kamakura, chiyoda):
    _, responses, targets = live(agg_round)
    rows = list(survey_selectors.non_submitters(targets=targets, responses=responses))
    expected = sorted(codes_where(state="draft") + codes_where(state="none"))
    assert [t.organization.code for t in rows] == expected
    by_code = {t.organization.code: t for t in rows}
    assert by_code["142042"].resp_status == "draft" and by_code["131016"].resp_status is None
    assert [u.email for u in by_code["142042"].organization.contacts] == [kamakura.email]
    assert [u.email for u in by_code["131016"].organization.contacts] == [chiyoda.email]
    assert by_code["270008"].organization.contacts == []


def test_latest_submission_is_the_newest_submitted_at(agg_round):
    _, responses, _ = live(agg_round)
    newest = max(Response.objects.filter(round=agg_round, status="submitted").values_list("submitted_at", flat=True))
    assert selectors.latest_submission(responses) == newest


# --- results ---------------------------------------------------------------------------------


@pytest.mark.parametrize("prefecture,kind", [("", ""), ("14", ""), ("13", ""), ("", "city"),
                                             ("14", "designated_city"), ("27", "")])
def test_every_item_matches_the_known_answers(agg_round, prefecture, kind):
    scope = access.Scope(prefecture=prefecture, kind=kind)
    facts, responses, _ = live(agg_round, scope)
    submitted = codes_where(state="submitted", prefecture=prefecture, kind=kind)
    assert selectors.submitted_count(responses) == len(submitted)
    summaries = selectors.item_summaries(agg_round.survey.engine, facts, submitted=len(submitted))
    assert [s.item.id for s in summaries] == [i.id for i in agg_round.survey.engine.items]
    for s in summaries:
        base, not_applicable, unanswered, counts = expected_item(s.item.id, submitted)
        assert (s.base, s.not_applicable, s.unanswered) == (base, not_applicable, unanswered), s.item.id
        assert {o.code: o.count for o in s.options if o.count} == counts, s.item.id
        for o in s.options:
            assert o.share == pytest.approx(counts.get(o.code, 0) / base if base else 0.0)


def test_not_applicable_and_unanswered_are_counted(agg_round):
    facts, responses, _ = live(agg_round)
    summaries = {s.item.id: s for s in selectors.item_summaries(
        agg_round.survey.engine, facts, submitted=selectors.submitted_count(responses))}
    # 1-2 applies only to the two submitted prefectures; Q4 was left empty by 八王子市.
    assert (summaries["1-2"].base, summaries["1-2"].not_applicable) == (2, 4)
    assert summaries["4"].unanswered == 1


def test_marks_item_counts_each_mark_and_shares_can_exceed_one(agg_round):
    facts, responses, _ = live(agg_round)
    q6 = next(s for s in selectors.item_summaries(agg_round.survey.engine, facts,
                                                   submitted=selectors.submitted_count(responses))
              if s.item.id == "6")
    marked = [KNOWN[c][1]["6"] for c in codes_where(state="submitted") if "6" in KNOWN[c][1]]
    assert q6.base == len(marked)
    assert {o.code: o.count for o in q6.options} == {"1": sum("1" in m for m in marked), "2": sum("2" in m for m in marked)}
    assert sum(o.share for o in q6.options) > 1


def test_later_draft_does_not_change_the_figures(agg_round):
    facts, _, _ = live(agg_round)
    q10 = dict(facts.filter(item="10").values_list("response__organization__code", "option"))
    assert q10["141500"] == KNOWN["141500"][1]["10"]


@pytest.mark.parametrize("a,b", [("3", "6"), ("6", "9"), ("7-4", "6"), ("2", "10"), ("1-1", "4")])
def test_crosstab_matches_pairs_counted_by_hand(agg_round, a, b):
    facts, _, _ = live(agg_round)
    table = selectors.crosstab(agg_round.survey.engine, facts, a=a, b=b)
    expected, totals, not_applicable = Counter(), Counter(), Counter()
    for code in codes_where(state="submitted"):
        _, answers, unanswered = KNOWN[code]
        if a not in applicable(code):
            continue
        a_values = [""] if a in unanswered else _as_list(answers[a])
        b_values = None if b not in applicable(code) else [""] if b in unanswered else _as_list(answers[b])
        for av in a_values:
            totals[av] += 1
            if b_values is None:
                not_applicable[av] += 1
            for bv in b_values or []:
                expected[av, bv] += 1
    got = {(r, c): n for r, cols in table.cells.items() for c, n in cols.items() if n}
    assert got == dict(expected)
    assert {k: v for k, v in table.row_totals.items() if v} == dict(totals)
    assert {k: v for k, v in table.b_not_applicable.items() if v} == dict(not_applicable)


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_followup_texts_one_row_per_organisation_with_texts(agg_round):
    defn = agg_round.survey.engine
    facts, responses, _ = live(agg_round)
    rows = list(selectors.followup_texts(defn, responses, facts=facts))
    keys = list(defn.followups)
    expected = {
        code: {k: KNOWN[code][1][k] for k in keys if k in KNOWN[code][1]}
        for code in codes_where(state="submitted")
    }
    expected = {c: t for c, t in expected.items() if t}
    got = {r["organization__code"]: {k: r[f"t{i}"] for i, k in enumerate(keys) if r[f"t{i}"]} for r in rows}
    assert got == expected
    only = list(selectors.followup_texts(defn, responses, facts=facts, key="8-1:概要"))
    assert sorted(r["organization__code"] for r in only) == sorted(c for c, t in expected.items() if "8-1:概要" in t)


def test_followup_texts_ignore_drafts(agg_round):
    facts, responses, _ = live(agg_round)
    rows = {r["organization__code"]: r for r in selectors.followup_texts(agg_round.survey.engine, responses,
                                                                         facts=facts)}
    assert "下書きの変更" not in str(rows["141500"])


# --- risk ------------------------------------------------------------------------------------


def test_risk_counts_per_level(agg_round):
    _, responses, _ = live(agg_round)
    counts = {c.level: c.count for c in selectors.risk_counts(agg_round.survey.engine, responses)}
    expected = Counter(EXPECTED_RISK.values())
    assert counts == {lv: expected.get(lv, 0) for lv in ("critical", "high", "medium", "low")}


def test_risk_rows_name_the_rules_that_fired_highest_first(agg_round):
    _, responses, _ = live(agg_round)
    rows = list(selectors.risk_rows(agg_round.survey.engine, responses))
    assert {r["organization__code"]: r["risk_level"] for r in rows} == EXPECTED_RISK
    rules = selectors.risk_rules_of(r["id"] for r in rows)
    assert {r["organization__code"]: {x["id"] for x in rules[r["id"]]} for r in rows} == RULES
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    assert [order[r["risk_level"]] for r in rows] == sorted(order[r["risk_level"]] for r in rows)


def test_risk_rows_filtered_by_level_and_prefecture(agg_round):
    _, responses, _ = live(agg_round, access.Scope(prefecture="14"))
    rows = list(selectors.risk_rows(agg_round.survey.engine, responses, level="critical"))
    assert [r["organization__code"] for r in rows] == [
        c for c in sorted(EXPECTED_RISK) if EXPECTED_RISK[c] == "critical" and org_info(c)[0] == "14"]


# --- scope -----------------------------------------------------------------------------------


def test_scope_for_each_member_of_the_cast(cast):
    assert access.dashboard_scope(cast["ministry"]) == access.Scope()
    assert access.dashboard_scope(cast["admin"], prefecture="13").prefecture == "13"
    assert access.dashboard_scope(cast["kanagawa"]) == access.Scope(prefecture="14", locked=True)
    assert access.dashboard_scope(cast["kanagawa"], prefecture="14", kind="city").kind == "city"
    with pytest.raises(Http404):
        access.dashboard_scope(cast["kanagawa"], prefecture="13")
    with pytest.raises(Http404):
        access.dashboard_scope(cast["ministry"], prefecture="99")
    for name in ("sagamihara", "yokohama", "chiyoda"):
        with pytest.raises(PermissionDenied):
            access.dashboard_scope(cast[name])
    assert access.dashboard_scope(cast["ministry"], kind="bogus").kind == ""


def test_selectors_count_one_round_only(agg_round, survey_version):
    other = build_round(survey_version, title="別の回",
                        known={"140007": ("submitted", {"1-2": "2", "2": "2", "3": "2", "6": ["1"], "7-1": "1",
                                                        "7-2": "2", "9": "1", "10": "1"}, [])}, later={})
    facts, responses, _ = live(agg_round)
    summaries = {s.item.id: s for s in selectors.item_summaries(
        agg_round.survey.engine, facts, submitted=selectors.submitted_count(responses))}
    assert summaries["1-2"].base == 2
    facts, responses, _ = live(other)
    assert selectors.submitted_count(responses) == 1
