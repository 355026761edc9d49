"""The figures pages read from a snapshot (?snapshot=<id>): frozen figures, scoping, 404s, bounded queries.

Expected figures come from KNOWN (tests/aggregation/conftest.py), counted here in plain Python
(`expected`), never by the selectors under test; the snapshot's workbook is read back as a second
witness that the page and the workbook quote the same figures.
"""
import csv
import io
from collections import Counter

import openpyxl
import pytest

from aggregation.aggregate_workbook import build_workbook
from aggregation.services import snapshot_create
from aggregation.source import FigureSource
from survey.templatetags.portal import jdatetime
from tests.aggregation.conftest import EXPECTED_RISK, KNOWN, build_round, login, org_info
from tests.aggregation.test_dashboards import _add_submitted_orgs, _queries, _testid, body, codes_in, url
from tests.aggregation.test_snapshot import submit_later
from tests.aggregation.test_workbook import expected, in_scope, read_overall

pytestmark = pytest.mark.django_db

FIGURE_PAGES = ["results", "crosstab", "texts", "risk", "risk_csv"]
LATER_142042 = {"1-1": "2", "2": "1", "3": "1", "4": "1", "5": "1", "10": "1"}
LATER_141003 = {**KNOWN["141003"][1], "10": "4", "10:概要": "後から判明した誤り"}
Q10_OPTION_4 = "④事例はある。原因が特定されず、改善されていない（概要を添付してください。）。"


@pytest.fixture
def snapshot(agg_round, ministry):
    return snapshot_create(round=agg_round, acting_user=ministry, label="締切時点")


def later_submissions(rnd):
    """鎌倉市 submits its draft and 横浜市 resubmits with a case of ④ — after the snapshot."""
    submit_later(rnd, "142042", LATER_142042)
    submit_later(rnd, "141003", LATER_141003)


def page_figures(response) -> dict:
    """The results page's figures, in the shape of `expected(...)["items"]`."""
    return {
        s.item.label: {"options": {o.label: o.count for o in s.options}, "unanswered": s.unanswered,
                       "base": s.base, "na": s.not_applicable}
        for s in response.context["summaries"]
    }


def workbook_figures(tmp_path, source) -> dict:
    path = tmp_path / "book.xlsx"
    build_workbook(source, path)
    found = read_overall(openpyxl.load_workbook(path)["集計（全体）"])
    return {label: {"options": {k: v[0] for k, v in f["options"].items()}, "unanswered": f["unanswered"],
                    "base": f["base"], "na": f["na"]} for label, f in found.items()}


# --- figures ---------------------------------------------------------------------------------


def test_results_from_a_snapshot_stay_put_after_a_later_submission_while_live_moves(
        client, tmp_path, agg_round, snapshot, ministry):
    defn = agg_round.survey.engine
    want = expected(defn, in_scope())
    later_submissions(agg_round)
    login(client, ministry)

    frozen = client.get(url("results", agg_round, snapshot=snapshot.pk))
    assert page_figures(frozen) == want["items"]
    assert _testid(body(frozen), "submitted") == str(want["responses"])
    assert page_figures(frozen) == workbook_figures(tmp_path, FigureSource(agg_round, snapshot))

    live = client.get(url("results", agg_round))
    live_figures = page_figures(live)
    assert _testid(body(live), "submitted") == str(want["responses"] + 1)
    assert live_figures["Q10"]["options"][Q10_OPTION_4] == 1
    assert want["items"]["Q10"]["options"][Q10_OPTION_4] == 0
    assert live_figures["Q3"]["base"] == want["items"]["Q3"]["base"] + 1


def test_the_page_says_which_snapshot_it_shows_instead_of_as_of_now(client, agg_round, snapshot, ministry):
    text = body(login(client, ministry).get(url("results", agg_round, snapshot=snapshot.pk)))
    basis = f"確定済みの集計（{jdatetime(snapshot.created_at)} 確定、内容ハッシュ "
    assert basis in text and snapshot.content_sha256 in text
    assert "表示時点" not in text and "締切時点" in text
    live = body(client.get(url("results", agg_round)))
    assert "確定済みの集計（" not in live and "表示時点" in live


def test_picker_offers_live_and_each_snapshot_and_status_stays_live(client, agg_round, snapshot, ministry):
    login(client, ministry)
    for name in ("results", "crosstab", "texts", "risk"):
        text = body(client.get(url(name, agg_round, snapshot=snapshot.pk)))
        assert 'for="f-snapshot">集計の基準</label>' in text, name
        assert '<option value="">最新（確定前）</option>' in text, name
        assert (f'<option value="{snapshot.pk}" selected>締切時点（{jdatetime(snapshot.created_at)} 確定）</option>'
                in text), name
    status = body(client.get(url("status", agg_round, snapshot=snapshot.pk)))
    assert "確定済みの集計（" not in status and 'id="f-snapshot"' not in status


def test_crosstab_from_a_snapshot_ignores_a_later_submission(client, agg_round, snapshot, ministry):
    later_submissions(agg_round)
    login(client, ministry)
    submitted = [c for c, (s, _, _) in KNOWN.items() if s == "submitted"]
    frozen = client.get(url("crosstab", agg_round, snapshot=snapshot.pk, a="3", b="10")).context["table"]
    q10_by_q3 = Counter((KNOWN[c][1]["3"], KNOWN[c][1]["10"]) for c in submitted)
    assert {(a, b): n for a, row in frozen.cells.items() for b, n in row.items() if n} == dict(q10_by_q3)
    live = client.get(url("crosstab", agg_round, a="3", b="10")).context["table"]
    assert live.cells["1"]["4"] == 0 and live.cells["2"]["4"] == 1  # 横浜市 Q3 ②, now Q10 ④


def test_texts_and_risk_from_a_snapshot_read_the_kept_versions(client, agg_round, snapshot, ministry):
    later_submissions(agg_round)
    login(client, ministry)
    frozen_texts = body(client.get(url("texts", agg_round, snapshot=snapshot.pk)))
    assert "照会文書を住所地に送付して確認" in frozen_texts and "後から判明した誤り" not in frozen_texts
    assert "後から判明した誤り" in body(client.get(url("texts", agg_round)))

    risk = client.get(url("risk", agg_round, snapshot=snapshot.pk))
    assert {c.level: c.count for c in risk.context["counts"] if c.count} == Counter(EXPECTED_RISK.values())
    rows = risk.context["page"].object_list
    assert {r["organization__code"]: r["risk_level"] for r in rows} == EXPECTED_RISK
    assert all(r["rules"] for r in rows if r["risk_level"] != "low")
    rows = list(csv.reader(io.StringIO(body(client.get(url("risk_csv", agg_round, snapshot=snapshot.pk))))))
    assert sorted(r[0] for r in rows[1:]) == sorted(EXPECTED_RISK)


# --- scope and 404s --------------------------------------------------------------------------


def test_prefecture_officer_sees_only_their_prefecture_of_the_snapshot(client, agg_round, snapshot, kanagawa):
    defn = agg_round.survey.engine
    want = expected(defn, in_scope("14"))
    later_submissions(agg_round)
    login(client, kanagawa)
    response = client.get(url("results", agg_round, snapshot=snapshot.pk))
    assert page_figures(response) == want["items"]
    assert _testid(body(response), "submitted") == str(want["responses"])
    others = {c for c in KNOWN if org_info(c)[0] != "14"}
    for name in FIGURE_PAGES:
        text = body(client.get(url(name, agg_round, snapshot=snapshot.pk)))
        assert codes_in(text, others) == set(), name
        assert client.get(url(name, agg_round, snapshot=snapshot.pk, prefecture="13")).status_code == 404, name


@pytest.mark.parametrize("value", ["abc", "999999", "1.0", "-1", "²", "1 ", "9" * 30])
def test_an_unknown_or_malformed_snapshot_is_404(client, agg_round, snapshot, ministry, value):
    login(client, ministry)
    for name in FIGURE_PAGES:
        assert client.get(url(name, agg_round), {"snapshot": value}).status_code == 404, name


def test_a_snapshot_of_another_round_is_404(client, agg_round, survey_version, ministry):
    other = build_round(survey_version, title="別の回", known={"140007": ("none", {}, [])}, later={})
    foreign = snapshot_create(round=other, acting_user=ministry, label="別の回の確定")
    login(client, ministry)
    for name in FIGURE_PAGES:
        assert client.get(url(name, agg_round, snapshot=foreign.pk)).status_code == 404, name
        assert client.get(url(name, other, snapshot=foreign.pk)).status_code == 200, name


def test_municipal_officer_is_refused_whatever_the_snapshot(client, agg_round, snapshot, sagamihara):
    login(client, sagamihara)
    for name in FIGURE_PAGES:
        assert client.get(url(name, agg_round, snapshot=snapshot.pk)).status_code == 403, name


# --- bounded queries -------------------------------------------------------------------------


@pytest.mark.parametrize("name,query", [("results", {}), ("crosstab", {"a": "6", "b": "7-4"}), ("texts", {}),
                                        ("risk", {}), ("risk_csv", {}), ("results", {"prefecture": "14"})])
def test_snapshot_pages_issue_a_bounded_number_of_queries(client, agg_round, ministry, name, query,
                                                          django_assert_max_num_queries):
    login(client, ministry)
    small = snapshot_create(round=agg_round, acting_user=ministry, label="小")
    few = _queries(client, url(name, agg_round, snapshot=small.pk, **query))
    _add_submitted_orgs(agg_round, 30)
    large = snapshot_create(round=agg_round, acting_user=ministry, label="大")
    assert large.response_count > small.response_count + 15
    with django_assert_max_num_queries(few):
        body(client.get(url(name, agg_round, snapshot=large.pk, **query)))
    assert few <= 15
