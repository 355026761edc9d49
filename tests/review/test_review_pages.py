"""The review pages: who may open them, return with comments (confirmed), approve, reopen, reply."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from survey.models import Attachment, ResponseState, ResponseVersion, ReviewComment, ReviewThread
from survey.selectors import response_state
from survey.services.review import Anchor, NewComment, response_approve, response_return

from .conftest import LONG_ANSWERS, login, target_of

pytestmark = pytest.mark.django_db


def url(round_, code="141500", tail="review/"):
    return f"/rounds/{round_.pk}/orgs/{code}/{tail}"


def _state(submitted):
    submitted.refresh_from_db()
    return response_state(submitted)


def test_review_page_is_for_the_prefecture_and_the_ministry(round_, submitted, cast):
    assert login(cast["kanagawa"]).get(url(round_)).status_code == 200
    assert login(cast["ministry"]).get(url(round_)).status_code == 200
    assert login(cast["tokyo"]).get(url(round_)).status_code == 404
    assert login(cast["yokohama"]).get(url(round_)).status_code == 404
    assert login(cast["sagamihara"]).get(url(round_)).status_code == 403  # its own response
    assert login(cast["kanagawa"]).get(url(round_, "140007")).status_code == 403  # never itself


def test_return_asks_for_confirmation_then_returns_with_the_comment(round_, submitted, kanagawa):
    client = login(kanagawa)
    body = {"anchor_1": "item:7-2", "body_1": "7-2 は②ではありませんか。", "anchor_2": "response", "body_2": ""}
    page = client.post(url(round_, tail="review/return/"), body)
    assert page.status_code == 200 and "差し戻しの確認" in page.text and "7-2 は②ではありませんか。" in page.text
    assert _state(submitted) == ResponseState.SUBMITTED
    done = client.post(url(round_, tail="review/return/"), {**body, "confirmed": "1"})
    assert done.status_code == 302 and _state(submitted) == ResponseState.RETURNED
    thread = ReviewThread.objects.get()
    assert (thread.anchor_kind, thread.anchor, thread.comments.get().body) == ("item", "7-2", "7-2 は②ではありませんか。")


def test_return_without_a_comment_is_refused(round_, submitted, kanagawa):
    page = login(kanagawa).post(url(round_, tail="review/return/"), {"anchor_1": "response", "body_1": " "})
    assert page.status_code == 400 and "コメントを1件以上" in page.text
    assert _state(submitted) == ResponseState.SUBMITTED


def test_risk_link_preselects_the_item(round_, submitted, kanagawa):
    page = login(kanagawa).get(url(round_) + "?anchor=item:7-2")
    assert '<option value="item:7-2" selected>' in page.text


def test_officer_sees_the_comment_beside_the_item_and_replies(round_, submitted, kanagawa, sagamihara):
    (thread,) = response_return(target=target_of(round_, "141500"), acting_user=kanagawa,
                                comments=[NewComment(Anchor("item", "7-2"), "7-2 を確認してください")])
    officer = login(sagamihara)
    for page in (officer.get(url(round_, tail="")), officer.get(url(round_, tail="edit/"))):
        assert page.status_code == 200 and "7-2 を確認してください" in page.text and f'id="thread-{thread.pk}"' in page.text
    reply = officer.post(url(round_, tail=f"comments/{thread.pk}/reply/"), {"body": "②に修正します", "back": "detail"})
    assert reply.status_code == 302 and reply["Location"].endswith(f"#thread-{thread.pk}")
    assert list(thread.comments.values_list("body", flat=True)) == ["7-2 を確認してください", "②に修正します"]


def test_only_those_who_answer_or_review_may_reply(round_, submitted, kanagawa, yokohama, tokyo):
    (thread,) = response_return(target=target_of(round_, "141500"), acting_user=kanagawa,
                                comments=[NewComment(Anchor("response"), "全体を確認")])
    for intruder in (yokohama, tokyo):
        assert login(intruder).post(url(round_, tail=f"comments/{thread.pk}/reply/"), {"body": "x"}).status_code == 404
    assert ReviewComment.objects.count() == 1


def test_approve_confirms_then_locks_the_officer_out(round_, submitted, kanagawa, sagamihara):
    client = login(kanagawa)
    assert "承認の確認" in client.get(url(round_, tail="review/approve/")).text
    assert _state(submitted) == ResponseState.SUBMITTED
    client.post(url(round_, tail="review/approve/"))
    assert _state(submitted) == ResponseState.APPROVED
    officer = login(sagamihara)
    assert officer.get(url(round_, tail="edit/")).status_code == 302
    detail = officer.get(url(round_, tail=""))
    assert "承認済み" in detail.text and "再編集する" not in detail.text
    officer.post(url(round_, tail="edit/"), {"save_draft": "1"})
    assert ResponseVersion.objects.filter(response=submitted).count() == 1


@pytest.mark.parametrize("body", ["complete", "unreadable"])
def test_approved_response_refuses_a_questionnaire_save_with_the_notice(round_, submitted, kanagawa, sagamihara,
                                                                         body):
    from tests.answering.conftest import RESPONDENT, questionnaire_post

    response_approve(target=target_of(round_, "141500"), acting_user=kanagawa)
    data = (questionnaire_post(round_, "141500", {**LONG_ANSWERS, "9": "2"}, RESPONDENT, 1) if body == "complete"
            else {"save_draft": "1"})  # no base_revision: the form itself is invalid
    page = login(sagamihara).post(url(round_, tail="edit/"), data, follow=True)
    assert page.redirect_chain == [(url(round_, tail=""), 302)]
    assert "承認済みのため変更できません" in page.text
    assert ResponseVersion.objects.filter(response=submitted).count() == 1


def test_reopen_page_needs_a_reason(round_, submitted, kanagawa, sagamihara):
    response_approve(target=target_of(round_, "141500"), acting_user=kanagawa)
    client = login(kanagawa)
    assert client.post(url(round_, tail="review/reopen/"), {"reason": ""}).status_code == 400
    assert _state(submitted) == ResponseState.APPROVED
    client.post(url(round_, tail="review/reopen/"), {"reason": "数値の誤りの連絡があったため"})
    assert _state(submitted) == ResponseState.SUBMITTED
    assert login(sagamihara).get(url(round_, tail="edit/")).status_code == 200


def test_resubmission_through_the_confirmation_page_closes_the_comment(round_, submitted, kanagawa, sagamihara):
    from .conftest import save

    (thread,) = response_return(target=target_of(round_, "141500"), acting_user=kanagawa,
                                comments=[NewComment(Anchor("field", "電話番号"), "内線番号も")])
    save(round_, "141500", sagamihara, {**LONG_ANSWERS, "7-2": "2"})
    officer = login(sagamihara)
    confirm = officer.get(url(round_, tail="confirm/"))
    assert "内線番号も" in confirm.text
    officer.post(url(round_, tail="confirm/"), {"base_revision": submitted.versions.count() + 0})
    thread.refresh_from_db()
    assert not thread.is_open and _state(submitted) == ResponseState.SUBMITTED
    assert "完了" in officer.get(url(round_, tail="")).text


def test_approved_response_refuses_a_sheet_upload_and_an_attachment(round_, submitted, kanagawa, sagamihara):
    response_approve(target=target_of(round_, "141500"), acting_user=kanagawa)
    officer = login(sagamihara)
    upload = reverse("sheet_upload", kwargs={"round_id": round_.pk, "org_code": "141500"})
    page = officer.get(upload)
    assert "承認済みのため変更できません" in page.text and 'type="file"' not in page.text
    assert officer.post(upload, {"file": SimpleUploadedFile("回答シート.xlsx", b"PK\x03\x04")}).status_code == 403
    attach = reverse("attachment_upload", kwargs={"round_id": round_.pk, "org_code": "141500"})
    officer.post(attach, {"purpose": "procedure_document", "files": SimpleUploadedFile("要領.txt", "手順".encode())})
    assert ResponseVersion.objects.filter(response=submitted).count() == 1 and not Attachment.objects.exists()
    assert f'href="{upload}"' not in officer.get("/").text


def test_a_decision_on_a_version_resubmitted_meanwhile_is_refused(round_, submitted, kanagawa, sagamihara):
    from .conftest import save

    client = login(kanagawa)
    seen = submitted.submitted_version.number
    response_return(target=target_of(round_, "141500"), acting_user=kanagawa,
                    comments=[NewComment(Anchor("response"), "確認してください")])
    save(round_, "141500", sagamihara, {**LONG_ANSWERS, "9": "2"}, submit=True)  # while the reviewer reads v1
    client.post(url(round_, tail="review/approve/"), {"version": seen})
    assert _state(submitted) == ResponseState.SUBMITTED
    client.post(url(round_, tail="review/approve/"), {"version": seen + 1})
    assert _state(submitted) == ResponseState.APPROVED


def test_threads_opened_before_the_flag_existed_are_still_shown(round_, submitted, kanagawa, sagamihara):
    """Response.has_review_threads (the pages read threads only when set): migration 0017 sets it
    for every response that already had threads."""
    import importlib

    from django.apps import apps

    response_return(target=target_of(round_, "141500"), acting_user=kanagawa,
                    comments=[NewComment(Anchor("response"), "全体を見直してください")])
    submitted.refresh_from_db()
    assert submitted.has_review_threads
    type(submitted).objects.filter(pk=submitted.pk).update(has_review_threads=False)  # as before 0017
    assert "全体を見直してください" not in login(sagamihara).get(url(round_, tail="")).text
    importlib.import_module("survey.migrations.0017_response_has_review_threads").mark_returned(apps, None)
    submitted.refresh_from_db()
    assert submitted.has_review_threads
    assert "全体を見直してください" in login(sagamihara).get(url(round_, tail="")).text
