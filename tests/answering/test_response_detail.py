"""The read-only response page and its old versions."""
import datetime as dt
import re

import pytest
from django.utils import timezone

from survey.models import AuditLog

from .conftest import LONG_ANSWERS, SHORT_ANSWERS, detail_url, login, save

pytestmark = pytest.mark.django_db


def test_not_started_shows_empty_state(round_, sagamihara):
    page = login(sagamihara).get(detail_url(round_)).content.decode()
    assert "まだ回答が入力されていません。" in page


def test_shows_respondent_answers_and_not_applicable_items(round_, sagamihara):
    save(round_, "141500", sagamihara, SHORT_ANSWERS, submit=True)
    response = login(sagamihara).get(detail_url(round_))
    page = response.content.decode()
    assert "14神奈川県相模原市" in page
    assert "②求めていない。（Q6へ）" in page
    rows = {row.item.id: row for row in response.context["rows"]}
    assert rows["4"].not_applicable and rows["5"].not_applicable and rows["1-2"].not_applicable
    assert not rows["6"].not_applicable
    assert page.count("対象外") >= 7  # 1-2, 4, 5, 7-3, 7-4, 8-1, 8-2


def test_shows_risk_level_and_the_rules_that_fired(round_, sagamihara):
    answers = {**LONG_ANSWERS, "10": "3", "10:概要": "原因は特定済み。"}
    save(round_, "141500", sagamihara, answers, submit=True)
    page = login(sagamihara).get(detail_url(round_)).content.decode()
    assert "要緊急点検" in page
    assert "報告・公表していない紐付け誤りの事例があり、改善されていない" in page
    assert "住所を含まない情報で照会している" in page


def test_shows_who_acted(round_, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS)
    page = login(sagamihara).get(detail_url(round_)).content.decode()
    assert "相模原 市郎（相模原市）" in page


def test_proxy_answer_names_the_prefecture(round_, kanagawa):
    target = round_.targets.get(organization__code="141500")
    target.delegated = True
    target.save()
    save(round_, "141500", kanagawa, LONG_ANSWERS)
    page = login(kanagawa).get(detail_url(round_)).content.decode()
    assert "神奈川県 神奈川 県子 が代理回答" in page


def test_submitted_version_counts_while_a_newer_draft_exists(round_, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    save(round_, "141500", sagamihara, SHORT_ANSWERS)
    response = login(sagamihara).get(detail_url(round_))
    assert response.context["version"].number == 1
    assert "提出後に編集中の下書き（第2版）があります" in response.content.decode()


def test_history_lists_every_version_and_opens_an_old_one(round_, sagamihara):
    save(round_, "141500", sagamihara, {"3": "2"})
    save(round_, "141500", sagamihara, LONG_ANSWERS)
    client = login(sagamihara)
    page = client.get(detail_url(round_)).content.decode()
    assert "第1版" in page and "第2版" in page
    old = client.get(detail_url(round_) + "versions/1/")
    assert old.status_code == 200
    assert old.context["version"].answers == {"3": "2"}
    assert "これは過去に保存された版です" in old.content.decode()
    assert client.get(detail_url(round_) + "versions/9/").status_code == 404


def test_every_view_is_audited(round_, sagamihara, kanagawa):
    save(round_, "141500", sagamihara, LONG_ANSWERS)
    login(sagamihara).get(detail_url(round_))
    login(kanagawa).get(detail_url(round_) + "versions/1/")
    views = AuditLog.objects.filter(action=AuditLog.Action.VIEW_RESPONSE, organization__code="141500")
    assert {v.actor for v in views} == {sagamihara, kanagawa}
    assert views.filter(target__endswith="/v1").count() == 2


@pytest.mark.parametrize("who", ["yokohama", "tokyo", "chiyoda"])
def test_other_organisations_cannot_read(round_, cast, who):
    save(round_, "141500", cast["sagamihara"], LONG_ANSWERS)
    client = login(cast[who])
    assert client.get(detail_url(round_)).status_code == 404
    assert client.get(detail_url(round_) + "versions/1/").status_code == 404


@pytest.mark.parametrize("who", ["kanagawa", "ministry", "admin"])
def test_prefecture_and_ministry_can_read(round_, cast, who):
    save(round_, "141500", cast["sagamihara"], LONG_ANSWERS)
    assert login(cast[who]).get(detail_url(round_)).status_code == 200


def test_after_deadline_read_only_with_notice(round_, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS)
    round_.deadline = timezone.now() - dt.timedelta(hours=1)
    round_.save()
    page = login(sagamihara).get(detail_url(round_)).content.decode()
    assert "回答期限を過ぎたため、この回答は閲覧のみできます。" in page
    assert "/edit/" not in page


def test_response_page_is_never_cached(round_, sagamihara):
    assert "no-store" in login(sagamihara).get(detail_url(round_))["Cache-Control"]


def test_a_month_is_shown_in_both_calendars(round_, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS)  # 2:予定年月 = 2024-03
    page = login(sagamihara).get(detail_url(round_)).content.decode()
    assert "2024年3月（令和6年3月）" in page
    assert "2024-03" not in page


def _history_rows(page: str) -> list[str]:
    table = page.split('data-testid="history-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"第(\d+)版", table.split("<tbody>", 1)[1])


def test_a_long_history_lists_the_newest_twenty_and_links_to_every_version(round_, sagamihara):
    """保存の履歴 of a response saved many times: the newest twenty versions, a link to all of them
    (the page's cost no longer grows with the history); the version shown keeps who saved it even
    when it is older than the twenty listed."""
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)  # version 1, the one that counts
    for n in range(24):
        save(round_, "141500", sagamihara, {"3": "1" if n % 2 else "2"})  # drafts 2..25
    client = login(sagamihara)
    response = client.get(detail_url(round_))
    page = response.content.decode()
    assert _history_rows(page) == [str(n) for n in range(25, 5, -1)]
    assert 'href="?history=all#history-heading"' in page and "すべての版を表示" in page
    shown = response.context["version"]
    assert shown.number == 1 and shown.created_by.name == sagamihara.name
    every = client.get(detail_url(round_) + "?history=all").content.decode()
    assert _history_rows(every) == [str(n) for n in range(25, 0, -1)]
    assert "すべての版を表示" not in every
    old = client.get(detail_url(round_) + "versions/3/?history=all").content.decode()
    assert "第3版（表示中）" in old and len(_history_rows(old)) == 25
    assert len(_history_rows(client.get(detail_url(round_) + "versions/3/").content.decode())) == 20


def test_the_history_parameter_is_read_not_echoed(round_, sagamihara):
    """Anything but history=all in the query (typed, forged, a payload) lists the newest twenty
    and is never written into the page."""
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    for n in range(21):
        save(round_, "141500", sagamihara, {"3": "1" if n % 2 else "2"})
    client = login(sagamihara)
    for query in ("?history=ALL", "?history=all%00", "?history=%3Cscript%3Ealert(1)%3C/script%3E",
                  "?history[]=all", "?history=1"):
        page = client.get(detail_url(round_) + query).content.decode()
        assert len(_history_rows(page)) == 20, query
        assert "<script>alert(1)" not in page and "history=ALL" not in page
    assert len(_history_rows(client.get(detail_url(round_) + "?history=x&history=all").content.decode())) == 22
