"""The response review state: 未着手・下書き・提出済・差し戻し中・承認済, changed only by services."""
import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from survey import access
from survey.models import AuditLog, Response, ResponseState, ReviewState, VersionSource
from survey.selectors import response_state, responses_done, state_counts
from survey.services.attachments import attachments_add
from survey.services.locks import ResponseApproved
from survey.services.review import (
    Anchor,
    NewComment,
    ReviewRefused,
    response_approve,
    response_reopen,
    response_return,
)
from survey.services.versions import REJECTED, NewVersion, versions_create_many

from .conftest import LONG_ANSWERS, RESPONDENT, SHORT_ANSWERS, save, target_of

pytestmark = pytest.mark.django_db
ON_7_2 = NewComment(anchor=Anchor("item", "7-2"), body="7-2 の回答を確認してください。")


def _state(round_, code):
    return response_state(Response.objects.filter(round=round_, organization__code=code).first())


def test_each_state_from_first_save_to_approval(round_, sagamihara, kanagawa):
    assert _state(round_, "141500") == ResponseState.NOT_STARTED
    save(round_, "141500", sagamihara, {"1-1": "1"})
    assert _state(round_, "141500") == ResponseState.DRAFT
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    assert _state(round_, "141500") == ResponseState.SUBMITTED
    target = target_of(round_, "141500")
    response_return(target=target, comments=[ON_7_2], acting_user=kanagawa)
    assert _state(round_, "141500") == ResponseState.RETURNED
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    assert _state(round_, "141500") == ResponseState.SUBMITTED
    response_approve(target=target, acting_user=kanagawa)
    assert _state(round_, "141500") == ResponseState.APPROVED


def test_database_states_agree_and_returned_is_not_done(round_, sagamihara, yokohama, kanagawa, ministry, orgs):
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    save(round_, "141003", yokohama, SHORT_ANSWERS, {**RESPONDENT, "組織名": "14神奈川県横浜市"}, submit=True)
    save(round_, "142042", ministry, {"1-1": "1"})
    response_return(target=target_of(round_, "141500"), comments=[ON_7_2], acting_user=kanagawa)
    response_approve(target=target_of(round_, "141003"), acting_user=kanagawa)
    responses = Response.objects.filter(round=round_)
    assert state_counts(responses) == {"returned": 1, "approved": 1, "draft": 1}
    assert {r.organization.code: response_state(r) for r in responses} == {
        "141500": "returned", "141003": "approved", "142042": "draft"}
    assert list(responses_done(responses).values_list("organization__code", flat=True)) == ["141003"]


def test_resubmission_closes_open_threads_and_keeps_their_history(round_, target, sagamihara, kanagawa):
    threads = response_return(target=target, comments=[ON_7_2, NewComment(Anchor("field", "電話番号"), "内線も")],
                              acting_user=kanagawa)
    outcome = save(round_, "141500", sagamihara, {**LONG_ANSWERS, "7-2": "2"}, submit=True)
    for thread in threads:
        thread.refresh_from_db()
        assert thread.closed_by_version == outcome.version and thread.comments.count() == 1
    response = outcome.version.response
    assert response.review == ReviewState.NONE and response.review_threads.count() == 2


def test_a_draft_after_a_return_keeps_it_returned(round_, target, sagamihara, kanagawa):
    response_return(target=target, comments=[ON_7_2], acting_user=kanagawa)
    save(round_, "141500", sagamihara, {**LONG_ANSWERS, "7-2": "2"})
    assert _state(round_, "141500") == ResponseState.RETURNED
    assert Response.objects.get(round=round_, organization__code="141500").review_threads.get().is_open


def test_bulk_import_resubmission_clears_a_return(round_, target, kanagawa, admin_user):
    (thread,) = response_return(target=target, comments=[ON_7_2], acting_user=kanagawa)
    item = NewVersion(target=target, answers=LONG_ANSWERS, respondent=RESPONDENT, file_sha256="f" * 64)
    versions_create_many([item], acting_user=admin_user, channel=VersionSource.BULK_IMPORT)
    thread.refresh_from_db()
    assert _state(round_, "141500") == ResponseState.SUBMITTED and thread.closed_by_version == item.version


def test_approved_response_takes_no_save_upload_or_import(round_, target, sagamihara, kanagawa, admin_user):
    response_approve(target=target, acting_user=kanagawa)
    with pytest.raises(ResponseApproved):
        save(round_, "141500", sagamihara, LONG_ANSWERS)
    with pytest.raises(ResponseApproved):
        attachments_add(target=target, purpose="followup", followup_key="8-1:概要",
                        files=[("a.pdf", b"%PDF-1.4\n")], acting_user=sagamihara)
    item = NewVersion(target=target, answers=LONG_ANSWERS, respondent=RESPONDENT, file_sha256="a" * 64)
    versions_create_many([item], acting_user=admin_user, channel=VersionSource.BULK_IMPORT)
    assert item.outcome == REJECTED and item.errors[0].code == "response_approved"
    assert Response.objects.get(pk=target_response(target)).versions.count() == 1


def target_response(target):
    return Response.objects.get(round_id=target.round_id, organization=target.organization).pk


def test_reopening_needs_a_reason_and_brings_it_back_to_submitted(round_, target, sagamihara, ministry):
    response_approve(target=target, acting_user=ministry)
    with pytest.raises(ReviewRefused) as exc:
        response_reopen(target=target, reason="  ", acting_user=ministry)
    assert exc.value.code == "no_reason"
    response_reopen(target=target, reason="数値の訂正依頼があったため", acting_user=ministry)
    assert _state(round_, "141500") == ResponseState.SUBMITTED
    save(round_, "141500", sagamihara, LONG_ANSWERS)  # editable again
    row = AuditLog.objects.get(action="review_reopen")
    assert row.details["reason"] == "数値の訂正依頼があったため" and row.actor == ministry


def test_decisions_refused_in_the_wrong_state(round_, sagamihara, kanagawa):
    save(round_, "141500", sagamihara, {"1-1": "1"})
    target = target_of(round_, "141500")
    with pytest.raises(ReviewRefused):
        response_approve(target=target, acting_user=kanagawa)
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    with pytest.raises(ReviewRefused) as exc:
        response_return(target=target, comments=[], acting_user=kanagawa)
    assert exc.value.code == "no_comment"
    with pytest.raises(ReviewRefused) as exc:
        response_return(target=target, comments=[NewComment(Anchor("item", "99"), "x")], acting_user=kanagawa)
    assert exc.value.code == "unknown_anchor"
    response_approve(target=target, acting_user=kanagawa)
    with pytest.raises(ReviewRefused) as exc:
        response_return(target=target, comments=[ON_7_2], acting_user=kanagawa)
    assert exc.value.code == "approved"


def test_every_decision_is_audited(target, kanagawa):
    response_return(target=target, comments=[ON_7_2], acting_user=kanagawa)
    response_approve(target=target, acting_user=kanagawa)
    rows = AuditLog.objects.filter(organization=target.organization, actor=kanagawa).order_by("id")
    assert [r.action for r in rows] == ["review_return", "review_approve"]
    assert rows[0].details["anchors"] == ["item:7-2"] and rows[1].details["closed_threads"] == 1


def test_reviewers_are_the_prefecture_for_its_municipalities_and_the_ministry(orgs, cast):
    sagamihara_org, kanagawa_org = orgs["141500"], orgs["140007"]
    assert access.can_review(cast["kanagawa"], sagamihara_org)
    assert not access.can_review(cast["kanagawa"], kanagawa_org)  # never for itself
    assert access.can_review(cast["ministry"], kanagawa_org) and access.can_review(cast["admin"], sagamihara_org)
    for name in ("sagamihara", "yokohama", "tokyo", "chiyoda"):
        assert not access.can_review(cast[name], sagamihara_org), name


def test_review_fetch_hides_other_prefectures_and_refuses_the_officer_itself(round_, cast):
    with pytest.raises(Http404):
        access.target_get_for_review(cast["tokyo"], round_.pk, "141500")
    with pytest.raises(PermissionDenied):
        access.target_get_for_review(cast["sagamihara"], round_.pk, "141500")
    with pytest.raises(PermissionDenied):
        access.target_get_for_review(cast["kanagawa"], round_.pk, "140007")
    assert access.target_get_for_review(cast["kanagawa"], round_.pk, "141500").organization.code == "141500"


def test_status_list_filters_and_counts_review_states(round_, sagamihara, yokohama, kanagawa, ministry):
    from survey.selectors import status_counts, targets_with_status

    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    save(round_, "141003", yokohama, SHORT_ANSWERS, {**RESPONDENT, "組織名": "14神奈川県横浜市"}, submit=True)
    response_return(target=target_of(round_, "141500"), comments=[ON_7_2], acting_user=kanagawa)

    def codes(status):
        return [t.organization.code for t in targets_with_status(round=round_, user=kanagawa, status=status)]

    assert codes("returned") == ["141500"] and codes("submitted") == ["141003"] and codes("approved") == []
    counts = status_counts(round=round_, user=ministry)
    assert (counts["submitted"], counts["returned"], counts["approved"]) == (2, 1, 0)
