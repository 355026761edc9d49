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
    assert "回答期限を過ぎたため" in page
    assert ">回答する<" not in page


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
    assert "調査回の一覧" in page
    assert f"/rounds/{round_.pk}/" in page
    assert '<td class="text-end">6</td>' in page  # targets
    assert '<td class="text-end">1</td>' in page  # submitted


def test_ministry_without_rounds_sees_empty_state(ministry):
    assert "調査回はまだありません。" in login(ministry).get("/").content.decode()


def test_home_is_never_cached(round_, sagamihara):
    assert "no-store" in login(sagamihara).get("/")["Cache-Control"]
