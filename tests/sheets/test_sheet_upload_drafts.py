"""An officer's partly filled sheet becomes a draft that says what is still missing; after the
deadline nothing is read or stored and the page says why."""
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from survey.models import ResponseStatus, ResponseVersion, VersionSource
from survey.services import sheets
from survey.services.responses import RoundClosed

from .conftest import VALID_ANSWERS, login, respondent_for, sheet_for, stored_files

pytestmark = pytest.mark.django_db
PARTIAL = {"1-1": "2", "2": "1"}


def _kwargs(round_, code="141500"):
    return {"round_id": round_.pk, "org_code": code}


def _post(client, round_, data, name="回答シート.xlsx"):
    return client.post(reverse("sheet_upload", kwargs=_kwargs(round_)), {"file": SimpleUploadedFile(name, data)})


def _close(round_):
    round_.deadline = timezone.now() - dt.timedelta(hours=1)
    round_.save()


def _target(round_, org):
    return round_.targets.select_related("round__survey", "organization").get(organization=org)


def test_a_partly_filled_sheet_becomes_a_draft_and_leads_to_the_edit_page(client, cast, round_, orgs):
    data = sheet_for(round_, orgs["141500"], PARTIAL, respondent_for(orgs["141500"], 電話番号=""))
    response = _post(login(client, cast["sagamihara"]), round_, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("response_edit", kwargs=_kwargs(round_))
    version = ResponseVersion.objects.get(response__organization=orgs["141500"])
    assert version.status == ResponseStatus.DRAFT and version.source == VersionSource.SHEET_UPLOAD
    assert version.answers == PARTIAL
    page = client.get(response["Location"]).content.decode()
    assert "下書き（版1）として保存しました" in page
    assert "提出前に入力が必要な項目" in page
    assert "Q3（セルC" in page and "電話番号（セルC" in page


def test_the_outcome_lists_what_submission_still_needs(cast, round_, orgs):
    target = _target(round_, orgs["141500"])
    data = sheet_for(round_, orgs["141500"], PARTIAL)
    outcome = sheets.sheet_upload(target=target, data=data, filename="a.xlsx", acting_user=cast["sagamihara"])
    assert not outcome.complete
    missing = {(m["code"], m["item"] or m["field"]) for m in outcome.missing}
    assert ("required", "3") in missing and ("required", "10") in missing
    assert all(m["cell"] for m in outcome.missing)  # every one found in the sheet


def test_a_complete_sheet_leads_to_the_confirm_page(client, cast, round_, orgs):
    response = _post(login(client, cast["sagamihara"]), round_, sheet_for(round_, orgs["141500"], VALID_ANSWERS))
    assert response["Location"] == reverse("response_confirm", kwargs=_kwargs(round_))
    page = client.get(response["Location"]).content.decode()
    assert "すべての項目が入力されています" in page and "提出前に入力が必要な項目" not in page


def test_a_draft_still_refuses_an_answer_to_a_skipped_item(client, cast, round_, orgs, private_root):
    data = sheet_for(round_, orgs["141500"], {**PARTIAL, "3": "2", "4": "1"})  # 3 = ② skips 4
    response = _post(login(client, cast["sagamihara"]), round_, data)
    assert response.status_code == 400
    assert "Q4" in response.content.decode()
    assert not ResponseVersion.objects.exists() and stored_files(private_root) == []


def test_after_the_deadline_the_page_offers_no_upload(client, cast, round_):
    _close(round_)
    response = login(client, cast["sagamihara"]).get(reverse("sheet_upload", kwargs=_kwargs(round_)))
    body = response.content.decode()
    assert response.status_code == 200
    assert "回答期限" in body and "回答シートのアップロードはできません" in body
    assert 'type="file"' not in body
    assert reverse("sheet_download", kwargs=_kwargs(round_)) in body  # downloads stay


def test_an_upload_after_the_deadline_is_refused_and_nothing_stored(client, cast, round_, orgs, private_root,
                                                                    monkeypatch):
    data = sheet_for(round_, orgs["141500"], VALID_ANSWERS)
    _close(round_)

    def must_not_read(*args, **kwargs):
        raise AssertionError("nothing is read after the deadline")

    monkeypatch.setattr(sheets.upload, "read_one", must_not_read)
    response = _post(login(client, cast["sagamihara"]), round_, data)
    assert response.status_code == 403
    assert "回答シートのアップロードはできません" in response.content.decode()
    assert not ResponseVersion.objects.exists() and stored_files(private_root) == []


def test_the_service_refuses_an_upload_after_the_deadline(cast, round_, orgs):
    data = sheet_for(round_, orgs["141500"], VALID_ANSWERS)
    _close(round_)
    with pytest.raises(RoundClosed):
        sheets.sheet_upload(target=_target(round_, orgs["141500"]), data=data, filename="a.xlsx",
                            acting_user=cast["sagamihara"])
    assert not ResponseVersion.objects.exists()


def test_a_deadline_passing_during_the_upload_is_a_clear_message(client, cast, round_, orgs, private_root,
                                                                  monkeypatch):
    def closed_meanwhile(**kwargs):
        raise RoundClosed()

    monkeypatch.setattr(sheets.upload, "response_save", closed_meanwhile)
    response = _post(login(client, cast["sagamihara"]), round_, sheet_for(round_, orgs["141500"], VALID_ANSWERS))
    assert response.status_code == 403
    assert "回答期限を過ぎているため" in response.content.decode()
    assert not ResponseVersion.objects.exists() and stored_files(private_root) == []


def test_an_outline_given_as_an_attached_file_is_not_listed_as_missing(cast, round_, orgs):
    from survey.services.attachments import attachments_add

    target = _target(round_, orgs["141500"])
    answers = {**VALID_ANSWERS, "10": "2"}  # ② requires an outline: text or an attached file
    first = sheets.sheet_upload(target=target, data=sheet_for(round_, orgs["141500"], answers),
                                filename="a.xlsx", acting_user=cast["sagamihara"])
    assert ("followup_required", "10:概要") in {(m["code"], m["item"]) for m in first.missing}
    attachments_add(target=target, purpose="followup", followup_key="10:概要",
                    files=[("概要.pdf", b"%PDF-1.4\n%outline\n")], acting_user=cast["sagamihara"])
    again = sheets.sheet_upload(target=target, data=sheet_for(round_, orgs["141500"], answers, 担当部署名="福祉課2"),
                                filename="b.xlsx", acting_user=cast["sagamihara"])
    assert again.missing == [] and again.complete
