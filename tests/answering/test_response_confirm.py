"""Confirmation and submission; editing again after submission."""
import pytest

from survey.models import AuditLog, Response

from .conftest import (
    LONG_ANSWERS,
    RESPONDENT,
    SHORT_ANSWERS,
    confirm_url,
    edit_url,
    login,
    questionnaire_post,
    save,
)

pytestmark = pytest.mark.django_db


def response_of(round_):
    return Response.objects.get(round=round_, organization__code="141500")


def test_without_a_draft_confirmation_sends_to_the_form(round_, sagamihara):
    response = login(sagamihara).get(confirm_url(round_))
    assert response.status_code == 302 and response["Location"] == edit_url(round_)


def test_confirmation_shows_the_draft_read_only(round_, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS)
    page = login(sagamihara).get(confirm_url(round_)).content.decode()
    assert "提出内容の確認" in page
    assert "提出する" in page and "修正する" in page
    assert "複数担当者で4情報を確認する。" in page
    assert 'type="radio"' not in page


def test_incomplete_draft_cannot_be_submitted(round_, sagamihara):
    save(round_, "141500", sagamihara, {"3": "1"})
    client = login(sagamihara)
    page = client.get(confirm_url(round_)).content.decode()
    assert "このままでは提出できません" in page
    assert "Q4：未回答です。" in page
    assert ">提出する<" not in page
    posted = client.post(confirm_url(round_), {"base_revision": "1"})  # the service refuses it
    assert posted.status_code == 200 and "Q4：未回答です。" in posted.content.decode()
    assert response_of(round_).status == "draft" and response_of(round_).revision == 1


def test_submit_edit_again_and_resubmit_keeps_every_version(round_, sagamihara):
    client = login(sagamihara)
    client.post(edit_url(round_), questionnaire_post(round_, "141500", LONG_ANSWERS, RESPONDENT, 0, "to_confirm"))
    response = client.post(confirm_url(round_), {"base_revision": "1"}, follow=True)
    page = response.content.decode()
    assert "回答を提出しました" in page
    assert "提出済" in page
    resp = response_of(round_)
    assert resp.status == "submitted" and resp.submitted_version.number == 2
    assert AuditLog.objects.filter(action=AuditLog.Action.SUBMIT).count() == 1

    # edit again: a new draft; the submitted version still counts
    client.post(edit_url(round_), questionnaire_post(round_, "141500", SHORT_ANSWERS, RESPONDENT, 2))
    resp = response_of(round_)
    assert resp.status == "submitted" and resp.submitted_version.number == 2 and resp.current_version.number == 3
    assert resp.submitted_version.answers == LONG_ANSWERS

    client.post(edit_url(round_), questionnaire_post(round_, "141500", SHORT_ANSWERS, RESPONDENT, 3, "to_confirm"))
    client.post(confirm_url(round_), {"base_revision": "4"})
    resp = response_of(round_)
    assert resp.submitted_version.number == 5
    assert [v.status for v in resp.versions.order_by("number")] == ["draft", "submitted", "draft", "draft", "submitted"]


def test_already_submitted_confirmation_redirects_to_the_response(round_, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    response = login(sagamihara).get(confirm_url(round_))
    assert response.status_code == 302 and response["Location"].endswith("/orgs/141500/")


def test_submission_from_a_stale_page_is_refused(round_, sagamihara, kanagawa):
    save(round_, "141500", sagamihara, LONG_ANSWERS)
    save(round_, "141500", sagamihara, SHORT_ANSWERS)
    response = login(sagamihara).post(confirm_url(round_), {"base_revision": "1"}, follow=True)
    assert "最新の内容を確認してから提出してください" in response.content.decode()
    assert response_of(round_).status == "draft"


def test_other_municipality_cannot_submit(round_, sagamihara, yokohama):
    save(round_, "141500", sagamihara, LONG_ANSWERS)
    assert login(yokohama).post(confirm_url(round_), {"base_revision": "1"}).status_code == 404
    assert response_of(round_).status == "draft"


def test_confirmation_is_never_cached(round_, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS)
    assert "no-store" in login(sagamihara).get(confirm_url(round_))["Cache-Control"]
