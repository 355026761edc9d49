"""The dashboard pages: who may open them, what they show, CSV downloads, bounded queries."""
import csv
import io
import random
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from survey.models import AuditLog, Organization, User
from survey.services.responses import response_save
from survey.synthetic import random_answers
from tests.aggregation.conftest import EXPECTED_RISK, KNOWN, login, org_info, respondent

pytestmark = pytest.mark.django_db

PAGES = ["status", "results", "crosstab", "texts", "risk"]
DOWNLOADS = ["status_csv", "risk_csv"]


def url(name, rnd, **query):
    base = reverse(f"aggregation:{name}", args=[rnd.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8-sig")


def codes_in(text: str, codes=KNOWN) -> set[str]:
    return {c for c in codes if c in text}


# --- access ----------------------------------------------------------------------------------


def test_ministry_and_prefecture_officer_open_every_dashboard(client, agg_round, ministry, kanagawa):
    for user in (ministry, kanagawa):
        login(client, user)
        assert {name: client.get(url(name, agg_round)).status_code for name in PAGES + DOWNLOADS} == dict.fromkeys(
            PAGES + DOWNLOADS, 200)


def test_every_tab_bar_links_to_exports_and_only_the_ministry_to_snapshots(client, agg_round, ministry, kanagawa):
    exports, snapshots = (reverse(f"aggregation:{n}", args=[agg_round.pk]) for n in ("exports", "snapshots"))
    for user, sees_snapshots in ((ministry, True), (kanagawa, False)):
        login(client, user)
        for name in PAGES:
            html = client.get(url(name, agg_round)).content.decode()
            assert f'href="{exports}"' in html and "集計表のダウンロード" in html, (user, name)
            assert (f'href="{snapshots}"' in html) is sees_snapshots, (user, name)


def test_ministry_home_links_each_round_to_its_workbook(client, agg_round, ministry):
    html = login(client, ministry).get(reverse("home")).content.decode()
    assert f'href="{reverse("aggregation:exports", args=[agg_round.pk])}">集計表</a>' in html


def test_municipal_officers_cannot_open_dashboards(client, agg_round, cast):
    for who in ("sagamihara", "yokohama", "chiyoda"):
        login(client, cast[who])
        for name in PAGES + DOWNLOADS:
            assert client.get(url(name, agg_round)).status_code == 403, (who, name)


def test_prefecture_officer_cannot_filter_to_another_prefecture(client, agg_round, kanagawa):
    login(client, kanagawa)
    for name in PAGES + DOWNLOADS:
        assert client.get(url(name, agg_round, prefecture="13")).status_code == 404, name
    assert client.get(url("status", agg_round, prefecture="14")).status_code == 200


def test_anonymous_is_sent_to_login(client, agg_round):
    response = client.get(url("status", agg_round))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_officer_of_another_round_gets_404(client, agg_round, survey_version, orgs):
    other = Organization.objects.create(code="011002", prefecture_code="01", prefecture_name="北海道",
                                        name="札幌市", kind="designated_city")
    hokkaido = Organization.objects.create(code="010006", prefecture_code="01", prefecture_name="北海道",
                                           name="北海道", kind="prefecture")
    officer = User.objects.create_user("officer@pref.hokkaido.example.jp", None, name="北 海子",
                                       role="officer", organization=hokkaido)
    assert other.pk
    assert login(client, officer).get(url("status", agg_round)).status_code == 404


def test_prefecture_officer_never_sees_another_prefectures_rows(client, agg_round, kanagawa, tokyo):
    for user, own in ((kanagawa, "14"), (tokyo, "13")):
        login(client, user)
        others = {c for c in KNOWN if org_info(c)[0] != own}
        names = {org_info(c)[2] for c in others}
        for name in PAGES + DOWNLOADS:
            text = body(client.get(url(name, agg_round)))
            assert codes_in(text, others) == set(), (user, name)
            assert not any(n in text for n in names), (user, name)


# --- status ----------------------------------------------------------------------------------


def _testid(text: str, testid: str) -> str:
    start = text.index(f'data-testid="{testid}">') + len(f'data-testid="{testid}">')
    return text[start:text.index("<", start)]


def test_status_totals_match_known_states(client, agg_round, ministry):
    text = body(login(client, ministry).get(url("status", agg_round)))
    states = Counter(s for s, _, _ in KNOWN.values())
    assert _testid(text, "total-targets") == str(len(KNOWN))
    assert _testid(text, "total-submitted") == str(states["submitted"])
    assert _testid(text, "total-draft") == str(states["draft"])
    assert _testid(text, "total-not-started") == str(states["none"])
    assert _testid(text, "days-left") == "あと10日" or _testid(text, "days-left") == "あと9日"
    assert 'data-testid="prefecture-map"' in text
    assert text.count('class="agg-tile ') == 47


def test_status_map_tiles_link_to_prefecture_detail(client, agg_round, ministry):
    text = body(login(client, ministry).get(url("status", agg_round)))
    assert 'href="?prefecture=14" data-prefecture="14"' in text
    detail = body(client.get(url("status", agg_round, prefecture="14")))
    assert _testid(detail, "total-targets") == str(sum(org_info(c)[0] == "14" for c in KNOWN))
    assert codes_in(detail) <= {c for c in KNOWN if org_info(c)[0] == "14"}


def test_status_for_kanagawa_officer_shows_only_kanagawa(client, agg_round, kanagawa):
    response = login(client, kanagawa).get(url("status", agg_round))
    text = body(response)
    assert _testid(text, "scope") == "神奈川県"
    assert _testid(text, "total-targets") == str(sum(org_info(c)[0] == "14" for c in KNOWN))
    assert [r.key for r in response.context["by_prefecture"]] == ["14"]
    assert 'data-testid="prefecture-map"' not in text


def test_non_submitters_csv_has_bom_officers_and_is_audited(client, agg_round, ministry, kamakura, chiyoda):
    response = login(client, ministry).get(url("status_csv", agg_round))
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    expected = sorted(c for c, (s, _, _) in KNOWN.items() if s != "submitted")
    assert [r[0] for r in rows[1:]] == expected
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["142042"][4:] == ["下書き", kamakura.name, kamakura.email]
    assert by_code["131016"][4:] == ["未着手", chiyoda.name, chiyoda.email]
    log = AuditLog.objects.get(action=AuditLog.Action.EXPORT)
    assert log.actor == ministry and log.target == f"round:{agg_round.pk}/nonsubmitters"


def test_non_submitters_csv_for_kanagawa_lists_only_kanagawa(client, agg_round, kanagawa):
    rows = list(csv.reader(io.StringIO(body(login(client, kanagawa).get(url("status_csv", agg_round))))))
    assert [r[0] for r in rows[1:]] == ["142042"]


# --- results, crosstab, texts ----------------------------------------------------------------


def test_results_page_shows_counts_for_every_item(client, agg_round, ministry):
    response = login(client, ministry).get(url("results", agg_round, kind="city"))
    text = body(response)
    submitted = [c for c, (s, _, _) in KNOWN.items() if s == "submitted" and org_info(c)[4] == "city"]
    assert _testid(text, "submitted") == str(len(submitted))
    for item in agg_round.survey.engine.items:
        assert f'data-item="{item.id}"' in text
    q4 = next(s for s in response.context["summaries"] if s.item.id == "4")
    assert (q4.base, q4.unanswered) == (2, 1)  # 藤沢市 ① and 八王子市 left empty
    assert 'aria-hidden="true"' in text and "<table" in text


def test_crosstab_page_and_unknown_item(client, agg_round, ministry):
    login(client, ministry)
    assert client.get(url("crosstab", agg_round, a="3", b="6")).status_code == 200
    assert client.get(url("crosstab", agg_round, a="3", b="99")).status_code == 404


def test_texts_page_lists_followups_per_organisation(client, agg_round, ministry):
    text = body(login(client, ministry).get(url("texts", agg_round)))
    assert "照会文書を住所地に送付して確認" in text and "2024年3月（令和6年3月）" in text
    assert "2024-03" not in text
    assert "下書きの変更" not in text
    filtered = body(client.get(url("texts", agg_round, key="2:予定年月")))
    assert "2024年3月" in filtered and "照会文書" not in filtered


# --- risk ------------------------------------------------------------------------------------


def test_risk_page_links_each_row_to_its_response(client, agg_round, ministry):
    text = body(login(client, ministry).get(url("risk", agg_round, level="critical")))
    critical = sorted(c for c, lv in EXPECTED_RISK.items() if lv == "critical")
    for code in critical:
        assert reverse("response_detail", kwargs={"round_id": agg_round.pk, "org_code": code}) in text
    assert codes_in(text, {c for c in EXPECTED_RISK if EXPECTED_RISK[c] != "critical"}) == set()


def test_risk_csv_filtered_by_level_and_type(client, agg_round, ministry):
    text = body(login(client, ministry).get(url("risk_csv", agg_round, level="high", kind="designated_city")))
    rows = list(csv.reader(io.StringIO(text)))
    expected = sorted(c for c, lv in EXPECTED_RISK.items() if lv == "high" and org_info(c)[4] == "designated_city")
    assert sorted(r[0] for r in rows[1:]) == expected
    assert all(r[4] == "要点検" for r in rows[1:])
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT, target=f"round:{agg_round.pk}/risk").exists()


def test_risk_page_unknown_level_is_404(client, agg_round, ministry):
    assert login(client, ministry).get(url("risk", agg_round, level="bogus")).status_code == 404


def test_csv_cells_that_look_like_formulas_are_quoted(client, survey_version, ministry):
    from tests.aggregation.conftest import build_round

    rnd = build_round(survey_version, known={"140007": ("none", {}, [])}, later={})
    User.objects.create_user("eq@pref.kanagawa.example.jp", None, name="=cmd|' /C calc'!A0",
                             role="officer", organization=Organization.objects.get(code="140007"))
    rows = list(csv.reader(io.StringIO(body(login(client, ministry).get(url("status_csv", rnd))))))
    assert rows[1][5].startswith("'=")


# --- bounded queries -------------------------------------------------------------------------


def _add_submitted_orgs(rnd, count: int, seed: int = 7):
    """`count` more targets in 神奈川県 and 東京都 with valid random answers, half submitted."""
    from survey.models import RoundTarget

    rng = random.Random(seed)
    defn = rnd.survey.engine
    for n in range(count):
        pref, name = ("14", "神奈川県") if n % 2 else ("13", "東京都")
        org = Organization.objects.create(code=f"{pref}{7000 + n:04d}", prefecture_code=pref, prefecture_name=name,
                                          name=f"合成町{n}", kind="town")
        User.objects.create_user(f"o{n}@town.example.jp", None, name=f"担当{n}",
                                 role="officer", organization=org)
        target = RoundTarget.objects.create(round=rnd, organization=org)
        target = RoundTarget.objects.select_related("round__survey", "organization").get(pk=target.pk)
        response_save(target=target, answers=random_answers(defn, "municipality", rng),
                      respondent=respondent(org), acting_user=None, submit=n % 3 != 0)


def _queries(client, address) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(address)
        body(response)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name,query", [("status", {}), ("results", {}), ("crosstab", {"a": "6", "b": "7-4"}),
                                        ("texts", {}), ("risk", {}), ("status", {"prefecture": "14"}),
                                        ("results", {"kind": "town"}), ("status_csv", {}), ("risk_csv", {})])
def test_query_count_does_not_grow_with_responses(client, agg_round, ministry, name, query,
                                                  django_assert_max_num_queries):
    login(client, ministry)
    small = _queries(client, url(name, agg_round, **query))
    _add_submitted_orgs(agg_round, 30)
    with django_assert_max_num_queries(small):
        body(client.get(url(name, agg_round, **query)))
    assert small <= 15


def test_risk_and_status_lists_paginate_with_known_counts(client, agg_round, ministry, monkeypatch):
    from aggregation import views

    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    login(client, ministry)
    first, second = (client.get(url("risk", agg_round, page=n)) for n in (1, 2))
    shown = [r["organization__code"] for p in (first, second) for r in p.context["page"].object_list]
    assert sorted(shown) == sorted(EXPECTED_RISK) and len(set(shown)) == len(shown)
    assert first.context["page"].paginator.num_pages == 2
    assert all(row["rules"] is not None for row in second.context["page"].object_list)
    status = client.get(url("status", agg_round, page=1))
    assert status.context["page"].paginator.count == sum(s != "submitted" for s, _, _ in KNOWN.values())


def test_crosstab_opens_on_a_pair_one_organisation_can_answer(client, agg_round, ministry):
    from survey.engine import first_co_occurring_pair, items_co_occur

    defn = agg_round.survey.engine
    response = login(client, ministry).get(url("crosstab", agg_round))
    a, b = response.context["a"], response.context["b"]
    assert (a, b) == first_co_occurring_pair(defn)
    assert items_co_occur(defn, a, b)
    assert "never-together" not in body(response)


def test_crosstab_of_a_pair_never_asked_together_says_so(client, agg_round, ministry):
    text = body(login(client, ministry).get(url("crosstab", agg_round, a="1-1", b="1-2")))
    assert "同じ団体が両方に回答することはありません" in text


def test_target_counts_say_what_they_count(client, agg_round, kanagawa, ministry):
    from survey.models import RoundTarget

    def split(**filters):
        targets = RoundTarget.objects.filter(round=agg_round, **filters)
        prefectures = targets.filter(organization__kind="prefecture").count()
        return targets.count() - prefectures, prefectures

    municipalities, prefectures = split(organization__prefecture_code="14")
    text = body(login(client, kanagawa).get(url("status", agg_round)))
    assert f"管内 {municipalities} 市区町村 + 県 {prefectures}" in text
    municipalities, prefectures = split()
    text = body(login(client, ministry).get(url("status", agg_round)))
    assert f"市区町村 {municipalities} + 都道府県 {prefectures}" in text
