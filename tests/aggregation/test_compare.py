"""Comparing two rounds (the next-round story of issue 9 included).

Every expected figure is counted here with plain Python from the answers the test gave
(`expected`), never with the selectors. The previous round is on 2023.1, the next on the demo
revision (Q2 reworded, Q4 ③ removed, Q11 added).
"""
import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from survey.engine import DEFINITIONS_DIR
from survey.models import Organization, Round, RoundStatus
from survey.services.next_round import round_start_next
from survey.services.responses import response_save
from survey.services.rounds import round_create, round_set_status, survey_version_load
from tests.aggregation.conftest import SAGAMIHARA, login, respondent

pytestmark = pytest.mark.django_db

# code -> (state, answers); state: submitted / draft. Missing codes have not started.
BEFORE = {
    "140007": ("submitted", {"1-2": "1", "2": "1", "3": "1", "4": "3", "5": "1", "10": "1"}),
    "141003": ("submitted", {"1-1": "1", "2": "2", "3": "2", "6": ["1"], "7-1": "1", "7-2": "2", "9": "4",
                             "10": "1"}),
    "141500": ("submitted", SAGAMIHARA),
    "142042": ("draft", {"1-1": "2"}),
    "130001": ("submitted", {"1-2": "2", "2": "2", "3": "1", "4": "2", "5": "2", "6": ["2"], "7-1": "2",
                             "7-2": "1", "7-3": "2", "8-1": "2", "9": "3", "10": "3", "10:概要": "事例の概要"}),
}
AFTER = {
    "140007": ("submitted", {"1-2": "1", "2": "1", "3": "1", "4": "1", "5": "1", "10": "1", "11": "1"}),
    "141003": ("submitted", {"1-1": "1", "2": "1", "3": "2", "6": ["1", "2"], "7-1": "1", "7-2": "2", "9": "2",
                             "10": "1", "11": "3"}),
    "141500": ("submitted", {**SAGAMIHARA, "2": "4", "11": "2"}),
    "142042": ("submitted", {"1-1": "2", "2": "2", "3": "1", "4": "2", "5": "1", "10": "1", "11": "3"}),
    "130001": ("draft", {"1-2": "2"}),
    "131016": ("submitted", {"1-1": "2", "2": "1", "3": "1", "4": "1", "5": "1", "10": "1", "11": "1"}),
}
PREFECTURE_OF = {"140007": "14", "141003": "14", "141500": "14", "142042": "14", "130001": "13", "131016": "13"}


def expected(known: dict, item: str, codes=None) -> tuple[int, dict[str, int]]:
    """(base, {option: count}) of `item` over the submitted answers of `codes` (all by default)."""
    rows = [answers[item] for code, (state, answers) in known.items()
            if state == "submitted" and item in answers and (codes is None or code in codes)]
    counts: dict[str, int] = {}
    for value in rows:
        for option in (value if isinstance(value, list) else [value]):
            counts[option] = counts.get(option, 0) + 1
    return len(rows), counts


def share(count, base):
    return count / base if base else 0.0


def answer(rnd, known):
    targets = {t.organization.code: t for t in rnd.targets.select_related("round__survey", "organization")}
    for code, (state, answers) in known.items():
        response_save(target=targets[code], answers=answers, respondent=respondent(targets[code].organization),
                      acting_user=None, submit=state == "submitted")


@pytest.fixture
def revised(db):
    return survey_version_load(DEFINITIONS_DIR / "demo" / "linkage-2024.1-demo.toml")[0]


@pytest.fixture
def rounds(orgs, survey_version, revised, ministry):
    """(previous, next): the cast's organisations answering BEFORE, then AFTER on the revision."""
    previous = round_create(survey=survey_version, title="令和5年度", scheme="職業転換給付金制度（訓練手当）関係事務",
                            deadline=timezone.now() + dt.timedelta(days=3), organizations=list(orgs.values()))
    answer(previous, BEFORE)
    nxt = round_start_next(previous=previous, survey=revised, title="令和6年度", scheme=previous.scheme,
                           deadline=timezone.now() + dt.timedelta(days=30), acting_user=ministry)
    round_set_status(round=nxt, status=RoundStatus.OPEN, acting_user=ministry)
    answer(nxt, AFTER)
    return previous, nxt


def url(rnd, **query):
    base = reverse("aggregation:compare", args=[rnd.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def assert_item_matches(comparison, codes=None):
    """Each option's counts, shares and change equal those counted from BEFORE / AFTER."""
    item = comparison.item.id
    base_b, counts_b = expected(BEFORE, item, codes)
    base_a, counts_a = expected(AFTER, item, codes)
    for o in comparison.options:
        if o.before is not None:
            assert (o.before, o.before_share) == (counts_b.get(o.code, 0), share(counts_b.get(o.code, 0), base_b)), item
        if o.after is not None:
            assert (o.after, o.after_share) == (counts_a.get(o.code, 0), share(counts_a.get(o.code, 0), base_a)), item
        if o.before is not None and o.after is not None:
            assert o.change == pytest.approx(share(counts_a.get(o.code, 0), base_a) - share(counts_b.get(o.code, 0), base_b))


def test_per_item_figures_match_counts_computed_here(client, rounds, ministry):
    previous, nxt = rounds
    page = login(client, ministry).get(url(nxt))
    assert page.status_code == 200 and page.context["other"] == previous  # the round it started from
    items = {c.item.id: c for c in page.context["items"]}
    assert page.context["before_counted"] == 4 and page.context["after_counted"] == 5
    for item in ("1-1", "1-2", "2", "3", "4", "6", "9", "10", "11"):
        assert_item_matches(items[item])
    assert items["2"].state == "changed" and items["4"].state == "changed" and items["10"].state == "same"
    assert items["11"].state == "added" and items["11"].before is None
    removed = next(o for o in items["4"].options if o.code == "3")
    assert removed.after is None and removed.before == 1 and removed.change is None
    assert items["2"].options[0].change == pytest.approx(3 / 5 - 2 / 4)  # Q2 ①: 2 of 4, then 3 of 5


def test_per_prefecture_and_per_type_figures_match(client, rounds, ministry):
    _, nxt = rounds
    page = login(client, ministry).get(url(nxt, item="2", by="prefecture"))
    groups = {g.key: g for g in page.context["groups"]}
    assert set(groups) == {"13", "14"}
    for pref, g in groups.items():
        codes = {c for c, p in PREFECTURE_OF.items() if p == pref}
        assert g.before_base == expected(BEFORE, "2", codes)[0] and g.after_base == expected(AFTER, "2", codes)[0]
        before_counts, after_counts = expected(BEFORE, "2", codes)[1], expected(AFTER, "2", codes)[1]
        assert {o.code: (o.before, o.after) for o in g.options} == {
            c: (before_counts.get(c, 0), after_counts.get(c, 0)) for c in ("1", "2", "3", "4")}
    kinds = {g.key: g for g in login(client, ministry).get(url(nxt, item="11", by="kind")).context["groups"]}
    assert kinds["designated_city"].after_base == 2 and kinds["designated_city"].before_base == 0
    assert {o.code: o.after for o in kinds["designated_city"].options} == {"1": 0, "2": 1, "3": 1}


def test_a_prefecture_compares_its_own_prefecture_only(client, rounds, kanagawa, tokyo):
    _, nxt = rounds
    page = login(client, kanagawa).get(url(nxt))
    kanagawa_codes = {c for c, p in PREFECTURE_OF.items() if p == "14"}
    assert page.context["before_counted"] == 3 and page.context["after_counted"] == 4
    for c in page.context["items"]:
        if c.item.id in ("2", "3", "10", "11"):
            assert_item_matches(c, kanagawa_codes)
    assert [g.key for g in page.context["groups"]] == ["14"]
    assert login(client, kanagawa).get(url(nxt, prefecture="13")).status_code == 404
    assert login(client, tokyo).get(url(nxt)).context["after_counted"] == 1


def test_municipal_officers_have_no_comparison(client, rounds, sagamihara):
    assert login(client, sagamihara).get(url(rounds[1])).status_code == 403


def test_bad_choices_answer_404(client, rounds, ministry, kanagawa, survey_version, orgs):
    previous, nxt = rounds
    c = login(client, ministry)
    assert c.get(url(nxt, other="abc")).status_code == 404
    assert c.get(url(nxt, other=nxt.pk)).status_code == 404  # itself
    assert c.get(url(nxt, item="99")).status_code == 404
    assert c.get(url(nxt, by="city")).status_code == 404
    # a round of the same survey that 神奈川県 takes no part in cannot be chosen by it
    osaka_only = round_create(survey=survey_version, title="東京都のみ", scheme="s",
                              deadline=timezone.now() + dt.timedelta(days=3), organizations=[orgs["131016"]])
    assert c.get(url(nxt, other=osaka_only.pk)).status_code == 200
    assert login(client, kanagawa).get(url(nxt, other=osaka_only.pk)).status_code == 404


def test_a_round_with_nothing_to_compare_says_so(client, round_, ministry):
    page = login(client, ministry).get(url(round_))
    assert page.status_code == 200 and 'data-testid="no-other"' in page.content.decode()


def test_the_page_shows_changes_in_points(client, rounds, ministry):
    html = login(client, ministry).get(url(rounds[1], item="2")).content.decode()
    assert "+10.0ポイント" in html  # Q2 ①: 50.0% -> 60.0%
    assert "（今回なし）" in html and "（今回から）" not in html


# --- the next-round story (issue 9, "Done when") ----------------------------------------------


def test_next_round_story_pre_filled_marked_and_compared(client, orgs, survey_version, revised, ministry,
                                                         sagamihara, yokohama):
    """A revised version with one item changed and one added: the officer's form is pre-filled,
    the changed item is marked, and the comparison figures match counts computed here."""
    previous = round_create(survey=survey_version, title="令和5年度", scheme="職業転換給付金制度（訓練手当）関係事務",
                            deadline=timezone.now() + dt.timedelta(days=3), organizations=list(orgs.values()))
    answer(previous, BEFORE)
    # The ministry starts the next round from the previous one on the revision, confirming it.
    c = login(client, ministry)
    form = {"survey": revised.pk, "title": "令和6年度", "scheme": previous.scheme, "attribute": "",
            "deadline": (timezone.localtime() + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")}
    start = reverse("publish:round_next", kwargs={"round_id": previous.pk})
    assert "設問文の変更" in c.post(start, form).content.decode()
    c.post(start, {**form, "confirm": "yes"})
    nxt = Round.objects.get(previous_round=previous)
    c.post(reverse("publish:round_status", kwargs={"round_id": nxt.pk}), {"confirm": "yes"})
    # 相模原市 opens its form: pre-filled from its submission, Q2 marked 変更あり, Q11 new and empty.
    officer = login(client, sagamihara)
    edit = f"/rounds/{nxt.pk}/orgs/141500/edit/"
    html = officer.get(edit).content.decode()
    assert 'name="q_8-1" id="id_q_8-1_0" value="1" checked' in html
    q2 = html[html.index('id="item-2"'):]
    assert "変更あり" in q2[:q2.index("</legend>")]
    assert not re.search(r'name="q_11"[^>]*checked', html)
    # It answers Q11, changes Q2, and submits through the confirmation page.
    from tests.answering.conftest import questionnaire_post

    officer.post(edit, questionnaire_post(nxt, "141500", AFTER["141500"][1], respondent(orgs["141500"]), 1,
                                          action="to_confirm"))
    confirm = officer.get(f"/rounds/{nxt.pk}/orgs/141500/confirm/").content.decode()
    assert 'data-testid="own-change-2"' in confirm and 'data-testid="own-change-3"' not in confirm
    officer.post(f"/rounds/{nxt.pk}/orgs/141500/confirm/", {"base_revision": 2})
    # The others answer (through the service), then the comparison is counted here and on the page.
    answer(nxt, {code: v for code, v in AFTER.items() if code != "141500"})
    page = login(client, ministry).get(url(nxt, item="2"))
    assert page.context["after_counted"] == 5
    for comparison in page.context["items"]:
        assert_item_matches(comparison)
    groups = {g.key: g for g in page.context["groups"]}
    kanagawa = {c for c, p in PREFECTURE_OF.items() if p == "14"}
    assert {o.code: o.after for o in groups["14"].options} == {
        code: expected(AFTER, "2", kanagawa)[1].get(code, 0) for code in ("1", "2", "3", "4")}


# --- the comparison sheets of the aggregate workbook --------------------------------------------


def _sheet_rows(path, name):
    import openpyxl

    book = openpyxl.load_workbook(path)
    return [[cell.value for cell in row] for row in book[name].iter_rows()], book


def test_workbook_comparison_sheets_match_counts_computed_here(rounds, tmp_path):
    from aggregation.aggregate_workbook import build_workbook
    from aggregation.source import FigureSource

    previous, nxt = rounds
    previous.title = '=HYPERLINK("http://evil.example/","前回")'
    previous.save()
    path = tmp_path / "compare.xlsx"
    build_workbook(FigureSource(nxt), path, compare_with=FigureSource(previous))
    rows, book = _sheet_rows(path, "比較（全体）")
    assert book["比較（全体）"]["A1"].data_type == "s" and rows[0][0].startswith("比較（全体）: 前回「=HYPERLINK(")
    by_label = {}
    label = None
    for row in rows[4:]:
        label = row[0] or label
        if row[2]:
            by_label[(label, row[2])] = row
    base_b, counts_b = expected(BEFORE, "2")
    base_a, counts_a = expected(AFTER, "2")
    first = by_label[("Q2", "①定めている。")]
    assert first[1] == "変更あり"
    assert first[3:8] == [counts_b["1"], pytest.approx(counts_b["1"] / base_b), counts_a["1"],
                          pytest.approx(counts_a["1"] / base_a),
                          pytest.approx(round((counts_a["1"] / base_a - counts_b["1"] / base_b) * 100, 1))]
    removed = by_label[("Q4", "③本人以外（事業主等）からの届出は無い。")]
    assert removed[3] == expected(BEFORE, "4")[1]["3"] and removed[5] is None and removed[7] is None
    assert by_label[("Q11", "①毎年度実施している。")][1] == "新しい項目"
    assert by_label[("Q11", "①毎年度実施している。")][5] == expected(AFTER, "11")[1]["1"]
    prefs, _ = _sheet_rows(path, "比較（都道府県別）")
    tokyo_q2 = {r[3]: r for r in prefs[1:] if r[0] == "13" and r[2] == "Q2"}
    tokyo = {c for c, p in PREFECTURE_OF.items() if p == "13"}
    assert tokyo_q2["②定めていない。"][4:6] == [expected(BEFORE, "2", tokyo)[0], expected(AFTER, "2", tokyo)[0]]
    assert tokyo_q2["②定めていない。"][6] == expected(BEFORE, "2", tokyo)[1].get("2", 0)
    assert tokyo_q2["①定めている。"][8] == expected(AFTER, "2", tokyo)[1].get("1", 0)


def test_workbook_without_a_comparison_has_no_comparison_sheet(rounds, tmp_path):
    import openpyxl

    from aggregation.aggregate_workbook import build_workbook
    from aggregation.source import FigureSource

    build_workbook(FigureSource(rounds[1]), tmp_path / "plain.xlsx")
    assert "比較（全体）" not in openpyxl.load_workbook(tmp_path / "plain.xlsx").sheetnames


def test_a_prefecture_exports_the_comparison_of_its_own_prefecture(client, rounds, kanagawa, tmp_path):
    from survey.models import Job

    previous, nxt = rounds
    c = login(client, kanagawa)
    page = c.get(reverse("aggregation:exports", args=[nxt.pk])).content.decode()
    assert 'data-testid="compare-picker"' in page
    c.post(reverse("aggregation:exports", args=[nxt.pk]), {"format": "xlsx", "compare": previous.pk})
    from tests.sweep import run_job

    job = run_job(Job.objects.get(kind="aggregate_workbook"))
    assert job.params["compare_round_id"] == previous.pk and job.result["figures"]["compared_with"] == previous.pk
    from survey.storage import private_storage

    with private_storage().open(job.result_path) as fh:
        data = fh.read()
    path = tmp_path / "kanagawa.xlsx"
    path.write_bytes(data)
    prefs, _ = _sheet_rows(path, "比較（都道府県別）")
    assert {r[0] for r in prefs[1:]} == {"14"}


def test_a_comparison_with_a_round_the_user_cannot_see_is_refused(client, rounds, kanagawa, survey_version, orgs):
    _, nxt = rounds
    tokyo_only = round_create(survey=survey_version, title="東京都のみ", scheme="s",
                              deadline=timezone.now() + dt.timedelta(days=3), organizations=[orgs["131016"]])
    r = login(client, kanagawa).post(reverse("aggregation:exports", args=[nxt.pk]),
                                     {"format": "xlsx", "compare": tokyo_only.pk})
    assert r.status_code == 404


def _answer_in(rnd, organizations):
    """The same synthetic organisations as targets of `rnd`, each submitting random valid answers."""
    import random

    from survey.models import RoundTarget
    from survey.synthetic import random_answers

    rng = random.Random(3)
    for org in organizations:
        target = RoundTarget.objects.create(round=rnd, organization=org)
        target = RoundTarget.objects.select_related("round__survey", "organization").get(pk=target.pk)
        response_save(target=target, answers=random_answers(rnd.survey.engine, "municipality", rng),
                      respondent=respondent(org), acting_user=None, submit=True)


def test_query_count_does_not_grow_with_responses(client, rounds, ministry, django_assert_max_num_queries):
    from tests.aggregation.test_dashboards import _add_submitted_orgs, _queries

    previous, nxt = rounds
    login(client, ministry)
    small = _queries(client, url(nxt, item="6"))
    _add_submitted_orgs(nxt, 12)
    _answer_in(previous, Organization.objects.filter(name__startswith="合成町"))
    with django_assert_max_num_queries(small):
        assert client.get(url(nxt, item="6")).status_code == 200
    assert small <= 40
