"""The aggregate workbook, read back with openpyxl, against counts made here from KNOWN.

The expected figures are counted in plain Python over the answer dicts the fixture submitted
(tests/aggregation/conftest.KNOWN); nothing comes from aggregation.selectors or the writer.
"""
import re
from collections import Counter

import openpyxl
import pytest

from aggregation.aggregate_workbook import build_workbook
from aggregation.source import FigureSource
from survey.access import Scope
from survey.models import OrgKind
from tests.aggregation.conftest import EXPECTED_RISK, KNOWN, org_info
from tests.cast import orgs, survey_version  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

KIND_LABELS = dict(OrgKind.choices)


# --- independent counts ------------------------------------------------------------------------


def in_scope(prefecture="", kind=""):
    return [c for c in KNOWN if (not prefecture or org_info(c)[0] == prefecture)
            and (not kind or org_info(c)[4] == kind)]


def expected(defn, codes):
    """{item: {"options": {display: n}, "unanswered": n, "base": n, "na": n}} plus targets/responses."""
    submitted = [c for c in codes if KNOWN[c][0] == "submitted"]
    figures = {"targets": len(codes), "responses": len(submitted), "items": {}}
    for item in defn.items:
        counts, base, unanswered = Counter(), 0, 0
        for code in submitted:
            _, answers, blank = KNOWN[code]
            if item.id in blank:
                base, unanswered = base + 1, unanswered + 1
            elif item.id in answers:
                base += 1
                value = answers[item.id]
                for option in value if isinstance(value, list) else [value]:
                    counts[item.option(option).display] += 1
        figures["items"][item.label] = {
            "options": {o.display: counts[o.display] for o in item.options},
            "unanswered": unanswered, "base": base, "na": len(submitted) - base,
        }
    return figures


# --- reading the workbook back -----------------------------------------------------------------


@pytest.fixture
def defn(agg_round):
    return agg_round.survey.engine


def build(tmp_path, source, name="book.xlsx"):
    path = tmp_path / name
    result = build_workbook(source, path)
    return openpyxl.load_workbook(path), result


def read_overall(ws):
    """{item label: {"options": {display: (count, share)}, "unanswered", "base", "na"}}."""
    found, current = {}, None
    for row in ws.iter_rows(min_row=5, values_only=True):
        label, _, option, count, share = row[:5]
        if label:
            current = found.setdefault(label, {"options": {}})
        if option is None:
            continue
        if option == "（未回答）":
            current["unanswered"] = count
        elif option.startswith("該当団体数"):
            current["base"] = count
        elif option.startswith("対象外"):
            current["na"] = count
        else:
            current["options"][option] = (count, share)
    return found


def read_groups(ws, *, lead):
    """{group name: {"targets", "responses", item label: {sub header: value}}} of a grouped sheet."""
    items, current = [], None
    for c in range(lead + 1, ws.max_column + 1):
        current = ws.cell(1, c).value or current
        items.append((current, ws.cell(2, c).value))
    groups = {}
    for row in ws.iter_rows(min_row=3, values_only=True):
        name = row[lead - 4]
        group = groups[name] = {"targets": row[lead - 3], "responses": row[lead - 2]}
        for (item, sub), value in zip(items, row[lead:], strict=False):
            group.setdefault(item, {})[sub] = value
    return groups


def assert_item_figures(item_figures, want, defn):
    for label, w in want["items"].items():
        got = item_figures[label]
        item = next(i for i in defn.items if i.label == label)
        for o in item.options:
            count = w["options"][o.display]
            assert got[f"{o.display[:1]} 件数"] == count, (label, o.display)
            share = got[f"{o.display[:1]} 割合"]
            assert share == (pytest.approx(count / w["base"]) if w["base"] else None), (label, o.display)
        assert (got["未回答"], got["対象外"], got["該当数"]) == (w["unanswered"], w["na"], w["base"]), label


# --- tests ---------------------------------------------------------------------------------------


def test_overall_sheet_matches_independent_counts(tmp_path, agg_round, defn):
    book, result = build(tmp_path, FigureSource(agg_round))
    want = expected(defn, in_scope())
    got = read_overall(book["集計（全体）"])
    assert [c.value for c in book["集計（全体）"][2][:4]] == ["対象団体数", want["targets"], "提出数", want["responses"]]
    for label, w in want["items"].items():
        assert {k: v[0] for k, v in got[label]["options"].items()} == w["options"], label
        for count, share in got[label]["options"].values():
            assert share == (pytest.approx(count / w["base"]) if w["base"] else None)
        assert (got[label]["unanswered"], got[label]["base"], got[label]["na"]) == (
            w["unanswered"], w["base"], w["na"]), label
    assert (result.targets, result.responses) == (want["targets"], want["responses"])


def test_unanswered_and_not_applicable_are_counted_apart(tmp_path, agg_round, defn):
    got = read_overall(build(tmp_path, FigureSource(agg_round))[0]["集計（全体）"])
    # 八王子市 left Q4 unanswered; Q1-2 applies only to the prefectures that submitted.
    assert got["Q4"]["unanswered"] == 1
    assert got["Q1-2"]["base"] == 2 and got["Q1-2"]["na"] == 4  # 6 submitted, 2 of them prefectures


def test_by_prefecture_sheet_matches_independent_counts(tmp_path, agg_round, defn):
    book, _ = build(tmp_path, FigureSource(agg_round))
    groups = read_groups(book["集計（都道府県別）"], lead=5)
    for pref, name in (("13", "東京都"), ("14", "神奈川県"), ("27", "大阪府")):
        want = expected(defn, in_scope(prefecture=pref))
        assert (groups[name]["targets"], groups[name]["responses"]) == (want["targets"], want["responses"])
        assert_item_figures(groups[name], want, defn)
    total = expected(defn, in_scope())
    assert groups["全国"]["targets"] == total["targets"]
    assert_item_figures(groups["全国"], total, defn)


def test_by_kind_sheet_matches_independent_counts(tmp_path, agg_round, defn):
    book, _ = build(tmp_path, FigureSource(agg_round))
    groups = read_groups(book["集計（団体区分別）"], lead=4)
    kinds = {org_info(c)[4] for c in KNOWN}
    assert set(groups) == {KIND_LABELS[k] for k in kinds} | {"全国"}
    for kind in kinds:
        want = expected(defn, in_scope(kind=kind))
        got = groups[KIND_LABELS[kind]]
        assert (got["targets"], got["responses"]) == (want["targets"], want["responses"])
        assert_item_figures(got, want, defn)


def test_one_row_per_target_with_answers_marks_and_followups(tmp_path, agg_round, defn):
    ws = build(tmp_path, FigureSource(agg_round))[0]["回答一覧"]
    header = [c.value for c in ws[1]]
    rows = {r[0]: dict(zip(header, r, strict=False)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert sorted(rows) == sorted(KNOWN)
    states = {"submitted": "提出済", "draft": "下書き", "none": "未着手"}
    for code, (state, answers, _) in KNOWN.items():
        row = rows[code]
        assert row["状態"] == states[state]
        assert row["都道府県"] == org_info(code)[1] and row["団体名"] == org_info(code)[2]
        assert row["団体区分"] == KIND_LABELS[org_info(code)[4]]
        if state != "submitted":
            assert row["提出日時"] is None and row["Q2"] is None
            continue
        assert row["提出日時"] is not None and row["担当部署名"] == "福祉課"
        for item in defn.items:
            value = answers.get(item.id)
            if item.kind == "marks":
                for o in item.options:
                    assert row[f"{item.label} {o.display}"] == ("○" if value and o.code in value else None)
            else:
                assert row[item.label] == (item.option(value).display if value else None), (code, item.id)
            for f in item.followups:
                want = answers.get(f.key)
                if want and f.kind == "month":  # 2024-03 is shown as 2024年3月
                    want = f"{int(want[:4])}年{int(want[5:])}月"
                assert row[f"{item.label} {f.label}"] == want
        level = next(lv.label for lv in defn.risk_levels if lv.id == EXPECTED_RISK[code])
        assert row["リスク区分"] == level


def test_non_responders_and_risk_list(tmp_path, agg_round, defn):
    book, result = build(tmp_path, FigureSource(agg_round))
    non = [r[0] for r in book["未提出団体"].iter_rows(min_row=2, values_only=True)]
    assert non == sorted(c for c, (state, _, _) in KNOWN.items() if state != "submitted")
    assert result.non_responders == len(non)
    risk = [(r[0], r[4]) for r in book["リスク一覧"].iter_rows(min_row=2, values_only=True)]
    rank = {lv.id: lv.rank for lv in defn.risk_levels}
    labels = {lv.id: lv.label for lv in defn.risk_levels}
    want = sorted(EXPECTED_RISK, key=lambda c: (-rank[EXPECTED_RISK[c]], c))  # 低 included, as on the page
    assert "low" in EXPECTED_RISK.values()
    assert risk == [(c, labels[EXPECTED_RISK[c]]) for c in want]


def test_a_native_bar_chart_per_item(tmp_path, agg_round, defn):
    import zipfile

    path = tmp_path / "book.xlsx"
    build_workbook(FigureSource(agg_round), path)
    with zipfile.ZipFile(path) as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == len(defn.items)
        assert all(b"<c:barChart>" in zf.read(n) for n in charts)


def test_prefecture_scope_holds_only_that_prefecture(tmp_path, agg_round, defn):
    book, result = build(tmp_path, FigureSource(agg_round, scope=Scope(prefecture="14")))
    codes = [r[0] for r in book["回答一覧"].iter_rows(min_row=2, values_only=True)]
    assert codes == sorted(in_scope(prefecture="14"))
    want = expected(defn, in_scope(prefecture="14"))
    assert (result.targets, result.responses) == (want["targets"], want["responses"])
    groups = read_groups(book["集計（都道府県別）"], lead=5)
    assert list(groups) == ["神奈川県"]
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            text = " ".join(str(v) for v in row if v is not None)
            assert "東京都" not in text and "大阪府" not in text and "HYPERLINK" not in text


def test_risk_sheet_and_risk_page_list_the_same_organisations(tmp_path, agg_round, defn, client, ministry):
    from tests.cast import signed_in

    book, _ = build(tmp_path, FigureSource(agg_round))
    sheet = [(r[0], r[4]) for r in book["リスク一覧"].iter_rows(min_row=2, values_only=True)]
    page = signed_in(client, ministry).get(f"/aggregation/rounds/{agg_round.pk}/risk/").content.decode()
    labels = {lv.id: lv.label for lv in defn.risk_levels}
    shown = [(code, labels[level]) for code, level in re.findall(r'<tr data-org="(\d+)" data-level="(\w+)">', page)]
    assert sheet == shown
    assert "区分「低」の団体も含みます" in page
    assert any(label == labels["low"] for _, label in sheet)
