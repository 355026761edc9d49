"""Home: what each role sees first."""
import datetime as dt

import pytest
from django.utils import timezone

from .conftest import LONG_ANSWERS, SHORT_ANSWERS, login, save

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_officer_without_round_sees_empty_state(sagamihara):
    page = login(sagamihara).get("/").content.decode()
    assert "現在、回答をお願いしている調査はありません。" in page


def test_officer_not_started_is_asked_to_answer(round_, sagamihara):
    page = login(sagamihara).get("/").content.decode()
    assert round_.title in page
    assert "未着手" in page
    assert "回答する" in page
    assert f"/rounds/{round_.pk}/orgs/141500/edit/" in page
    assert "締切まであと" in page


def test_officer_with_draft_continues(round_, sagamihara):
    save(round_, "141500", sagamihara, {"3": "2"})
    page = login(sagamihara).get("/").content.decode()
    assert "下書き" in page
    assert "続きを入力" in page


def test_officer_after_submission_sees_submitted(round_, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    page = login(sagamihara).get("/").content.decode()
    assert "提出済" in page
    assert "提出内容を見る" in page
    assert "再編集する" in page


def test_draft_newer_than_submission_shows_reediting(round_, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    save(round_, "141500", sagamihara, SHORT_ANSWERS)
    page = login(sagamihara).get("/").content.decode()
    assert "提出済（再編集中）" in page
    assert "続きを入力" in page


def test_after_deadline_officer_cannot_answer(round_, sagamihara):
    round_.deadline = timezone.now() - dt.timedelta(days=1)
    round_.save()
    page = login(sagamihara).get("/").content.decode()
    assert "回答期限を過ぎた調査は、回答の入力・提出はできません" in page
    assert "回答する<" not in page
    assert "現在、回答を受け付けている調査はありません。" in page


def test_prefecture_officer_sees_every_municipality_of_the_prefecture(round_, kanagawa, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    page = login(kanagawa).get("/").content.decode()
    assert "管内市区町村の回答状況" in page
    assert "相模原市" in page and "横浜市" in page and "鎌倉市" in page
    assert "千代田区" not in page
    assert 'data-org="141500"' in page


def test_municipal_officer_sees_no_municipality_list(round_, sagamihara):
    page = login(sagamihara).get("/").content.decode()
    assert "管内市区町村の回答状況" not in page
    assert "横浜市" not in page


def test_ministry_sees_rounds_with_counts(round_, ministry, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    page = login(ministry).get("/").content.decode()
    assert "回答受付中・準備中の調査" in page
    assert f"/rounds/{round_.pk}/" in page
    assert '<td class="text-end">6<span' in page  # targets
    assert '<td class="text-end">1</td>' in page  # submitted


def test_ministry_without_rounds_sees_empty_state(ministry):
    assert "調査回はまだありません。" in login(ministry).get("/").content.decode()


def test_home_is_never_cached(round_, sagamihara):
    assert "no-store" in login(sagamihara).get("/")["Cache-Control"]


# --- several rounds at once ---------------------------------------------------------------------


@pytest.fixture
def three_rounds(round_, survey_version, orgs, sagamihara):
    """`round_` (open, 14 days), a second open round (30 days) and a closed one that 相模原市 answered."""
    from survey.models import RoundStatus
    from survey.services.rounds import round_create

    def make(title, days):
        return round_create(survey=survey_version, title=title, deadline=timezone.now() + dt.timedelta(days=days),
                            scheme="職業転換給付金制度（訓練手当）関係事務", organizations=list(orgs.values()))

    second = make("第2回 追加調査", 30)
    closed = make("前年度の調査", 1)
    save(closed, "141500", sagamihara, LONG_ANSWERS, submit=True)
    closed.deadline = timezone.now() - dt.timedelta(days=30)
    closed.status = RoundStatus.CLOSED
    closed.save()
    return round_, second, closed


def section(page, testid):
    start = page.index(f'data-testid="{testid}"')
    end = page.find("</section>", start)
    return page[start:end]


def test_officer_sees_every_open_round_and_the_closed_one(three_rounds, sagamihara):
    first, second, closed = three_rounds
    save(first, "141500", sagamihara, {"3": "2"})
    page = login(sagamihara).get("/").content.decode()
    current = page[page.index('data-testid="current-rounds"'):page.index('data-testid="closed-rounds"')]
    assert first.title in current and second.title in current and closed.title not in current
    assert current.index(first.title) < current.index(second.title)  # nearest deadline first
    assert f"/rounds/{first.pk}/orgs/141500/edit/" in current and f"/rounds/{second.pk}/orgs/141500/edit/" in current
    assert "続きを入力" in current and "回答する" in current  # each round with its own state
    assert "回答受付中の調査（2件）" in page
    assert closed.title in section(page, "closed-rounds")


def test_a_closed_round_stays_readable(three_rounds, sagamihara):
    _, _, closed = three_rounds
    client = login(sagamihara)
    closed_part = section(client.get("/").content.decode(), "closed-rounds")
    assert "提出済" in closed_part
    link = f"/rounds/{closed.pk}/orgs/141500/"
    assert link in closed_part and f"{link}edit/" not in closed_part
    assert client.get(link).status_code == 200


def test_prefecture_officer_sees_each_open_round_with_its_municipalities(three_rounds, kanagawa):
    first, second, _ = three_rounds
    page = login(kanagawa).get("/").content.decode()
    assert page.count('data-testid="home-municipalities"') == 2
    for rnd in (first, second):
        assert f"/rounds/{rnd.pk}/reminders/" in page
        assert f"/aggregation/rounds/{rnd.pk}/" in page


def test_prefecture_counts_say_what_they_count(round_, kanagawa):
    page = login(kanagawa).get("/").content.decode()
    # The cast's 神奈川県 targets: 横浜市, 相模原市, 鎌倉市 and the prefecture itself.
    assert '管内 3 市区町村 + 県 1' in page


def test_ministry_lists_open_rounds_and_closed_ones_apart(three_rounds, ministry):
    first, second, closed = three_rounds
    page = login(ministry).get("/").content.decode()
    current = section(page, "current-rounds")
    assert first.title in current and second.title in current and closed.title not in current
    assert closed.title in section(page, "closed-rounds")
    assert "都道府県 2 + 市区町村 4" in current
