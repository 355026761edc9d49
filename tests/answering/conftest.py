"""Helpers of the answering tests: logged-in clients and complete answer sets."""

import pytest
from django.test import Client

# The cast's fixtures (until tests/conftest.py loads tests.cast as a plugin for every folder).
from tests.cast import *  # noqa: F403
from tests.cast import PASSWORD, signed_in  # noqa: F401

# Long path: 3 ① → 4 → 5 ② → 6 … 8-2 → 9 → 10 ②, with every follow-up.
LONG_ANSWERS = {
    "1-1": "1", "2": "3", "2:予定年月": "2024-03", "3": "1", "4": "1", "5": "2", "6": ["1", "2"],
    "7-1": "2", "7-2": "1", "7-3": "1", "7-4": ["2", "3"], "8-1": "1", "8-1:概要": "複数担当者で4情報を確認する。",
    "8-2": "1", "9": "1", "10": "2", "10:概要": "令和4年に1件、改善済み。",
}
# Short path: 3 ② → 6 → 7-1 → 7-2 ② → 9 → 10 ①.
SHORT_ANSWERS = {"1-1": "2", "2": "1", "3": "2", "6": ["1"], "7-1": "1", "7-2": "2", "9": "1", "10": "1"}
RESPONDENT = {
    "組織区分": "市区町村", "組織名": "14神奈川県相模原市", "担当部署名": "福祉局 生活福祉課",
    "回答責任者役職": "生活福祉課長", "回答責任者氏名": "相模 太郎", "連絡先氏名": "相模原 市郎",
    "電話番号": "042-754-1111", "メールアドレス": "fukushi@city.sagamihara.example.jp",
}


def login(user) -> Client:
    """A test client logged in as `user` (login time, and the second factor where owed)."""
    return signed_in(Client(), user)


@pytest.fixture
def as_user():
    return login


def target_of(round_, code):
    return round_.targets.select_related("round__survey", "organization").get(organization__code=code)


def questionnaire_post(round_, code, answers, respondent, revision, action="save_draft") -> dict:
    """The POST body of the questionnaire for canonical values (field names from the form)."""
    from types import SimpleNamespace

    from survey.forms.answering import form_data

    data = form_data(target_of(round_, code), SimpleNamespace(answers=answers, respondent=respondent), revision)
    body = {key: data.getlist(key) for key in data}
    body[action] = "1"
    return body


def save(round_, code, user, answers, respondent=None, *, submit=False):
    """Save through the service directly (test setup)."""
    from survey.services.responses import response_save

    return response_save(target=target_of(round_, code), answers=answers, respondent=respondent or RESPONDENT,
                         acting_user=user, submit=submit)


def edit_url(round_, code="141500"):
    return f"/rounds/{round_.pk}/orgs/{code}/edit/"


def detail_url(round_, code="141500"):
    return f"/rounds/{round_.pk}/orgs/{code}/"


def confirm_url(round_, code="141500"):
    return f"/rounds/{round_.pk}/orgs/{code}/confirm/"
