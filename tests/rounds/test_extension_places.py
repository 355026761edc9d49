"""Every place that tells an organisation its deadline, or checks it, uses the effective one:
相模原市 (extended) still answers after the round's deadline, 横浜市 cannot."""
import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from survey.models import Attachment, ResponseVersion
from survey.services.attachments import UploadClosed, attachments_add
from survey.services.reminders import reminder_message
from survey.services.sheets import sheet_context
from tests.answering.conftest import RESPONDENT, SHORT_ANSWERS, questionnaire_post
from tests.sheets.conftest import VALID_ANSWERS, sheet_for

from .conftest import login, target_of

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _kw(round_, code):
    return {"round_id": round_.pk, "org_code": code}


def _extended(round_):
    return timezone.localtime(target_of(round_, "141500").extended_deadline)


def test_answering_form_opens_and_saves_for_the_extended_organisation_only(past_deadline, sagamihara, yokohama):
    edit = reverse("response_edit", kwargs=_kw(past_deadline, "141500"))
    page = login(sagamihara).get(edit)
    assert page.status_code == 200
    assert f"{_extended(past_deadline):%Y年%-m月%-d日}" in page.content.decode()
    posted = login(sagamihara).post(edit, questionnaire_post(past_deadline, "141500", SHORT_ANSWERS, RESPONDENT, 0))
    assert posted.status_code == 302
    assert ResponseVersion.objects.filter(response__organization__code="141500").count() == 1

    other = reverse("response_edit", kwargs=_kw(past_deadline, "141003"))
    assert login(yokohama).get(other)["Location"] == reverse("response_detail", kwargs=_kw(past_deadline, "141003"))
    login(yokohama).post(other, questionnaire_post(past_deadline, "141003", SHORT_ANSWERS, RESPONDENT, 0))
    assert not ResponseVersion.objects.filter(response__organization__code="141003").exists()


def test_response_page_shows_the_extension_and_keeps_answering_open(past_deadline, sagamihara, yokohama):
    own = login(sagamihara).get(reverse("response_detail", kwargs=_kw(past_deadline, "141500"))).content.decode()
    assert 'data-testid="extension-note"' in own and 'data-testid="deadline-notice"' not in own
    other = login(yokohama).get(reverse("response_detail", kwargs=_kw(past_deadline, "141003"))).content.decode()
    assert 'data-testid="deadline-notice"' in other and 'data-testid="extension-note"' not in other


def test_homes_list_the_round_as_current_only_where_extended(past_deadline, sagamihara, yokohama):
    own = login(sagamihara).get("/").content.decode()
    assert 'data-testid="home-round"' in own and "回答する<" in own
    assert f"{_extended(past_deadline):%Y年%-m月%-d日}" in own
    assert reverse("sheet_upload", kwargs=_kw(past_deadline, "141500")) in own
    other = login(yokohama).get("/").content.decode()
    assert "現在、回答を受け付けている調査はありません。" in other and "回答する<" not in other


def test_officer_sheet_upload_honours_the_extension(past_deadline, sagamihara, yokohama, orgs):
    own = login(sagamihara).post(reverse("sheet_upload", kwargs=_kw(past_deadline, "141500")), {
        "file": SimpleUploadedFile("回答.xlsx", sheet_for(past_deadline, orgs["141500"], VALID_ANSWERS))})
    assert own.status_code == 302
    assert ResponseVersion.objects.filter(response__organization__code="141500").count() == 1
    other = login(yokohama).post(reverse("sheet_upload", kwargs=_kw(past_deadline, "141003")), {
        "file": SimpleUploadedFile("回答.xlsx", sheet_for(past_deadline, orgs["141003"], VALID_ANSWERS))})
    assert other.status_code == 403
    assert not ResponseVersion.objects.filter(response__organization__code="141003").exists()


def test_attachments_honour_the_extension(past_deadline, sagamihara, yokohama):
    outcome = attachments_add(target=target_of(past_deadline, "141500"), purpose="procedure_document",
                              files=[("要領.pdf", PDF)], acting_user=sagamihara)
    assert len(outcome.added) == 1
    with pytest.raises(UploadClosed):
        attachments_add(target=target_of(past_deadline, "141003"), purpose="procedure_document",
                        files=[("要領.pdf", PDF)], acting_user=yokohama)
    assert Attachment.objects.count() == 1


def test_the_answer_sheet_written_for_the_organisation_carries_its_deadline(past_deadline):
    assert sheet_context(target_of(past_deadline, "141500")).deadline == f"{_extended(past_deadline):%Y-%m-%d}"
    expected = f"{timezone.localtime(past_deadline.deadline):%Y-%m-%d}"
    assert sheet_context(target_of(past_deadline, "141003")).deadline == expected


def test_reminder_text_gives_the_organisation_its_deadline(past_deadline, sagamihara, yokohama, orgs):
    _, body = reminder_message(round=past_deadline, organization=orgs["141500"], status="not_started",
                               user=sagamihara, sender=None)
    assert f"{_extended(past_deadline):%Y年%-m月%-d日}" in body and "延長後の期限、あと2日" in body
    _, body = reminder_message(round=past_deadline, organization=orgs["141003"], status="not_started",
                               user=yokohama, sender=None)
    line = next(x for x in body.splitlines() if x.startswith("・回答期限"))
    assert line.startswith(f"・回答期限: {timezone.localtime(past_deadline.deadline):%Y年%-m月%-d日}")
    assert "延長後" not in line
    assert not mail.outbox


def test_without_extension_the_round_deadline_still_rules(round_, sagamihara):
    round_.deadline = timezone.now() - dt.timedelta(minutes=5)
    round_.save()
    response = login(sagamihara).get(reverse("response_edit", kwargs=_kw(round_, "141500")))
    assert response.status_code == 302
