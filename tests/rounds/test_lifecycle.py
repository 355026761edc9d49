"""The round's lifecycle: 準備中 → 回答受付中 → 締切 → 確定, edits while open, targets added,
reopening with a recorded reason, finalising by a snapshot that a reopening leaves as it was."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from aggregation.models import Snapshot
from aggregation.services import round_finalise
from aggregation.source import final_snapshot, snapshot_chosen
from survey.models import AuditLog, Organization, ResponseVersion, RoundStatus
from survey.services import rounds as service
from survey.services.responses import RoundClosed, response_save
from survey.services.sheets import imports
from tests.answering.conftest import RESPONDENT, SHORT_ANSWERS
from tests.sheets.conftest import VALID_ANSWERS, respondent_for, sheet_for

from .conftest import login, target_of

pytestmark = pytest.mark.django_db


def _status(round_, status):
    round_.status = status
    round_.save()
    return round_


def _audits(change):
    return list(AuditLog.objects.filter(action=AuditLog.Action.ROUND_CHANGE, details__change=change).order_by("id"))


# --- services ---------------------------------------------------------------------------------


def test_status_moves_only_forward_one_step(round_, ministry):
    _status(round_, RoundStatus.DRAFT)
    service.round_set_status(round=round_, status=RoundStatus.OPEN, acting_user=ministry)
    with pytest.raises(ValidationError) as exc:
        service.round_set_status(round=round_, status=RoundStatus.DRAFT, acting_user=ministry)
    assert exc.value.code == "bad_transition"
    rnd = service.round_set_status(round=round_, status=RoundStatus.CLOSED, acting_user=ministry)
    assert rnd.status == RoundStatus.CLOSED and rnd.opened_at is not None
    assert [a.details["status"] for a in _audits("status")] == ["open", "closed"]


def test_title_and_deadline_are_edited_while_open_and_audited(round_, ministry):
    new_deadline = round_.deadline + dt.timedelta(days=3)
    service.round_update(round=round_, title="第2回（改）", deadline=new_deadline, acting_user=ministry)
    round_.refresh_from_db()
    assert round_.title == "第2回（改）" and round_.deadline == new_deadline
    fields = _audits("edit")[0].details["fields"]
    assert set(fields) == {"title", "deadline"} and fields["title"]["after"] == "第2回（改）"


def test_scheme_is_frozen_once_published_and_nothing_is_edited_once_closed(round_, ministry):
    with pytest.raises(ValidationError) as exc:
        service.round_update(round=round_, title=round_.title, deadline=round_.deadline, scheme="別の制度",
                             acting_user=ministry)
    assert exc.value.code == "frozen_field"
    _status(round_, RoundStatus.CLOSED)
    with pytest.raises(ValidationError) as exc:
        service.round_update(round=round_, title="x", deadline=round_.deadline, acting_user=ministry)
    assert exc.value.code == "not_editable"


def test_a_deadline_in_the_past_is_refused(round_, ministry):
    with pytest.raises(ValidationError) as exc:
        service.round_update(round=round_, title=round_.title, deadline=timezone.now() - dt.timedelta(minutes=1),
                             acting_user=ministry)
    assert exc.value.code == "deadline_past"


def test_targets_added_while_open_can_answer_at_once(round_, ministry, orgs):
    extra = Organization.objects.create(code="142018", prefecture_code="14", prefecture_name="神奈川県",
                                        name="横須賀市", kana="ヨコスカシ", kind="city")
    added = service.round_add_targets(round=round_, organizations=[orgs["141500"], extra], acting_user=ministry)
    assert [t.organization.code for t in added] == ["142018"]  # 相模原市 already was a target
    assert target_of(round_, "142018").accepts_answers
    assert _audits("targets_added")[0].details["organizations"] == ["142018"]
    _status(round_, RoundStatus.CLOSED)
    with pytest.raises(ValidationError):
        service.round_add_targets(round=round_, organizations=[extra], acting_user=ministry)


def test_reopening_a_closed_round_needs_a_reason_and_a_new_deadline_once_passed(round_, ministry, sagamihara):
    round_.deadline = timezone.now() - dt.timedelta(days=1)
    _status(round_, RoundStatus.CLOSED)
    with pytest.raises(ValidationError) as exc:
        service.round_reopen(round=round_, reason="  ", acting_user=ministry)
    assert exc.value.code == "reason_required"
    with pytest.raises(ValidationError) as exc:
        service.round_reopen(round=round_, reason="提出漏れの団体が多いため", acting_user=ministry)
    assert exc.value.code == "deadline_required"
    new = timezone.now() + dt.timedelta(days=7)
    service.round_reopen(round=round_, reason="提出漏れの団体が多いため", deadline=new, acting_user=ministry)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.OPEN and round_.deadline == new
    row = _audits("reopen")[0]
    assert row.details["reason"] == "提出漏れの団体が多いため" and row.details["previous"] == "closed"
    response_save(target=target_of(round_, "141500"), answers=SHORT_ANSWERS, respondent=RESPONDENT,
                  acting_user=sagamihara)


def test_finalising_freezes_the_figures_and_reopening_leaves_the_snapshot(round_, ministry, sagamihara, yokohama):
    response_save(target=target_of(round_, "141500"), answers=SHORT_ANSWERS, respondent=RESPONDENT,
                  acting_user=sagamihara, submit=True)
    with pytest.raises(ValidationError):
        round_finalise(round=round_, acting_user=ministry)  # still open
    service.round_set_status(round=round_, status=RoundStatus.CLOSED, acting_user=ministry)
    round_.refresh_from_db()
    snapshot = round_finalise(round=round_, acting_user=ministry)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.FINALISED and snapshot.finalises and snapshot.response_count == 1
    assert _audits("finalise")[0].details["snapshot"] == snapshot.pk
    with pytest.raises(RoundClosed):
        response_save(target=target_of(round_, "141500"), answers=SHORT_ANSWERS, respondent=RESPONDENT,
                      acting_user=sagamihara)
    frozen = (snapshot.content_sha256, snapshot.response_count, snapshot.fact_count)

    service.round_reopen(round=round_, reason="集計誤りの訂正のため", acting_user=ministry)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED
    snapshot.refresh_from_db()
    assert (snapshot.content_sha256, snapshot.response_count, snapshot.fact_count) == frozen
    assert final_snapshot(round_) == snapshot and Snapshot.objects.count() == 1


def test_an_extension_does_not_outlive_finalising(past_deadline, ministry, sagamihara):
    _status(past_deadline, RoundStatus.CLOSED)
    assert target_of(past_deadline, "141500").accepts_answers
    round_finalise(round=past_deadline, acting_user=ministry)
    assert not target_of(past_deadline, "141500").accepts_answers


def test_administrators_import_late_sheets_into_a_closed_round_but_not_a_finalised_one(round_, admin_user, orgs,
                                                                                       ministry):
    data = sheet_for(round_, orgs["141003"], VALID_ANSWERS, respondent_for(orgs["141003"]))
    round_.deadline = timezone.now() - dt.timedelta(days=1)
    _status(round_, RoundStatus.CLOSED)
    outcomes = dict(imports.sheets_import(files=[("a", "横浜市.xlsx", data)], round=round_, acting_user=admin_user))
    assert outcomes["a"].status == imports.IMPORTED
    round_finalise(round=round_, acting_user=ministry)
    round_.refresh_from_db()
    late = sheet_for(round_, orgs["141500"], VALID_ANSWERS, respondent_for(orgs["141500"]))
    outcomes = dict(imports.sheets_import(files=[("b", "相模原市.xlsx", late)], round=round_, acting_user=admin_user))
    assert outcomes["b"].status == imports.REJECTED and outcomes["b"].errors[0]["code"] == "finalised"
    assert not ResponseVersion.objects.filter(response__organization__code="141500").exists()


# --- pages ------------------------------------------------------------------------------------


def test_officers_do_not_see_a_round_in_preparation(round_, sagamihara, kanagawa):
    _status(round_, RoundStatus.DRAFT)
    for user in (sagamihara, kanagawa):
        client = login(user)
        assert client.get(reverse("response_detail", kwargs={"round_id": round_.pk, "org_code": "141500"})
                          ).status_code == 404
        assert client.get(reverse("round_status", kwargs={"round_id": round_.pk})).status_code == 404
        assert round_.title not in client.get("/").content.decode()


def test_the_round_page_says_what_may_be_done_in_each_state(round_, ministry):
    url = reverse("publish:round_detail", kwargs={"round_id": round_.pk})
    expected = {RoundStatus.DRAFT: ["round_edit", "round_status"], RoundStatus.OPEN: ["round_edit", "round_extensions"],
                RoundStatus.CLOSED: ["round_reopen", "round_extensions"], RoundStatus.FINALISED: ["round_reopen"]}
    for status, names in expected.items():
        page = login(ministry).get(url).content.decode() if _status(round_, status) else ""
        for name in names:
            assert reverse(f"publish:{name}", kwargs={"round_id": round_.pk}) in page, (status, name)
    assert reverse("aggregation:round_finalise", kwargs={"round_id": round_.pk}) not in page
    _status(round_, RoundStatus.CLOSED)
    assert reverse("aggregation:round_finalise", kwargs={"round_id": round_.pk}) in login(ministry).get(url).content.decode()


def _local(value):
    return f"{timezone.localtime(value):%Y-%m-%dT%H:%M}"


def test_editing_goes_through_a_confirmation_page(round_, ministry):
    url = reverse("publish:round_edit", kwargs={"round_id": round_.pk})
    data = {"title": "新しい名称", "deadline": _local(round_.deadline + dt.timedelta(days=2))}
    page = login(ministry).post(url, data)
    assert page.status_code == 200 and 'data-testid="edit-summary"' in page.content.decode()
    round_.refresh_from_db()
    assert round_.title != "新しい名称"
    assert login(ministry).post(url, {**data, "confirm": "yes"}).status_code == 302
    round_.refresh_from_db()
    assert round_.title == "新しい名称" and _local(round_.deadline) == data["deadline"]


def test_adding_targets_goes_through_a_confirmation_page(round_, ministry):
    Organization.objects.create(code="142018", prefecture_code="14", prefecture_name="神奈川県", name="横須賀市",
                                kana="ヨコスカシ", kind="city")
    url = reverse("publish:round_targets_add", kwargs={"round_id": round_.pk})
    bad = login(ministry).post(url, {"codes": "999999"})
    assert bad.status_code == 400 and "999999" in bad.content.decode()
    page = login(ministry).post(url, {"codes": "142018\n141500"}).content.decode()
    assert "横須賀市" in page and "141500" in page  # to add, and already a target
    assert not round_.targets.filter(organization__code="142018").exists()
    login(ministry).post(url, {"codes": "142018\n141500", "confirm": "yes"})
    assert round_.targets.filter(organization__code="142018").exists()


def test_reopening_goes_through_a_confirmation_page_and_shows_in_the_history(round_, ministry):
    _status(round_, RoundStatus.CLOSED)
    url = reverse("publish:round_reopen", kwargs={"round_id": round_.pk})
    page = login(ministry).post(url, {"reason": "追加調査のため"}).content.decode()
    assert 'data-testid="reopen-summary"' in page
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED
    login(ministry).post(url, {"reason": "追加調査のため", "confirm": "yes"})
    round_.refresh_from_db()
    assert round_.status == RoundStatus.OPEN
    detail = login(ministry).get(reverse("publish:round_detail", kwargs={"round_id": round_.pk})).content.decode()
    assert "追加調査のため" in detail


def test_finalising_needs_the_confirmation_word(round_, ministry):
    _status(round_, RoundStatus.CLOSED)
    url = reverse("aggregation:round_finalise", kwargs={"round_id": round_.pk})
    assert login(ministry).post(url, {"confirm": "はい"}).status_code == 400
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED
    assert login(ministry).post(url, {"confirm": "確定する"}).status_code == 302
    round_.refresh_from_db()
    assert round_.status == RoundStatus.FINALISED and final_snapshot(round_) is not None


@pytest.mark.parametrize("name", ["round_detail", "round_edit", "round_targets_add", "round_reopen"])
def test_only_the_ministry_manages_rounds(round_, cast, name):
    url = reverse(f"publish:{name}", kwargs={"round_id": round_.pk})
    for who in ("sagamihara", "kanagawa", "tokyo"):
        assert login(cast[who]).get(url).status_code == 403
    assert login(cast["kanagawa"]).post(reverse("aggregation:round_finalise", kwargs={"round_id": round_.pk}),
                                         {"confirm": "確定する"}).status_code == 403


def test_dashboards_of_a_finalised_round_read_its_snapshot_until_reopened(round_, ministry, sagamihara):
    response_save(target=target_of(round_, "141500"), answers=SHORT_ANSWERS, respondent=RESPONDENT,
                  acting_user=sagamihara, submit=True)
    assert snapshot_chosen(round_, "") is None  # open: live figures
    _status(round_, RoundStatus.CLOSED)
    snapshot = round_finalise(round=round_, acting_user=ministry)
    round_.refresh_from_db()
    assert snapshot_chosen(round_, "") == snapshot
    page = login(ministry).get(reverse("aggregation:results", kwargs={"round_id": round_.pk})).content.decode()
    assert f'<option value="{snapshot.pk}" selected>' in page
    service.round_reopen(round=round_, reason="訂正のため", acting_user=ministry)
    round_.refresh_from_db()
    assert snapshot_chosen(round_, "") is None


def test_a_round_past_its_deadline_is_called_shimekiri_as_in_the_spec(past_deadline, ministry, yokohama):
    """campaign.md names the state 締切: the status label and the homes say so (never 締切済)."""
    assert RoundStatus.CLOSED.label == "締切"
    officer_home = login(yokohama).get("/").content.decode()  # open, past the deadline, not extended
    assert past_deadline.title in officer_home and "<td>締切</td>" in officer_home and "締切済" not in officer_home
    _status(past_deadline, RoundStatus.CLOSED)
    ministry_home = login(ministry).get("/").content.decode()
    assert "<td>締切</td>" in ministry_home and "締切済" not in ministry_home
