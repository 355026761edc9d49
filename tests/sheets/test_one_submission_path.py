"""One submission path (issue 11.1): the same answers through every channel — the service
directly (the API channel), the web form, an officer's sheet upload and a bulk import job —
make identical versions, facts, risk and audit rows; only the channel and who acted differ."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from survey.models import AnswerFact, AuditLog, Response, ResponseStatus, ResponseVersion, VersionSource
from survey.services.responses import response_save
from tests.answering.conftest import questionnaire_post

from .conftest import login, respondent_for, sheet_for

pytestmark = pytest.mark.django_db
# Path 3 ① → 4 → 5 ② → 6 …, with a risk rule that fires (several matches left to the officer).
ANSWERS = {"1-1": "1", "2": "1", "3": "1", "4": "1", "5": "2", "6": ["1", "2"], "7-1": "2", "7-2": "1",
           "7-3": "1", "7-4": ["2", "3"], "8-1": "2", "9": "2", "10": "1"}
SAME = ["status", "answers", "respondent", "risk_level", "risk_rules", "cleared_items"]


def _row(version: ResponseVersion) -> dict:
    return {f: getattr(version, f) for f in SAME}


def _facts(response: Response) -> list[tuple]:
    return sorted(AnswerFact.objects.filter(response=response)
                  .values_list("round_id", "item", "option", "prefecture_code", "org_kind"))


def _audit(version: ResponseVersion) -> dict:
    row = AuditLog.objects.get(target__endswith=f"/org:141500/v{version.number}",
                               action__in=[AuditLog.Action.SUBMIT, AuditLog.Action.SAVE_DRAFT,
                                           AuditLog.Action.REOPEN])
    details = {k: v for k, v in row.details.items() if k != "source"}
    return {"action": row.action, "organization": row.organization_id, "details": details,
            "source": row.details["source"]}


def _counted(response_id) -> tuple:
    """What a submission leaves on the response: facts, risk, status."""
    response = Response.objects.get(pk=response_id)
    return _facts(response), response.risk_level, response.status, response.submitted_version_id


def test_the_same_answers_through_every_channel_make_the_same_rows(
        client, cast, round_, orgs, private_root, django_capture_on_commit_callbacks):
    org, officer = orgs["141500"], cast["sagamihara"]
    target = round_.targets.select_related("round__survey", "organization").get(organization=org)
    respondent = respondent_for(org)
    seen = {}

    # 1. the service directly (a future API): a draft, then the submission
    response_save(target=target, answers=ANSWERS, respondent=respondent, acting_user=officer,
                  source=VersionSource.API)
    response_save(target=target, answers=ANSWERS, respondent=respondent, acting_user=officer, submit=True,
                  source=VersionSource.API)
    seen["api"] = _counted(Response.objects.get(organization=org).pk)

    # 2. the web form: to the confirmation page (a draft), then 提出する
    web = login(client, officer)
    web.post(f"/rounds/{round_.pk}/orgs/141500/edit/",
             questionnaire_post(round_, "141500", ANSWERS, respondent, 2, "to_confirm"))
    web.post(f"/rounds/{round_.pk}/orgs/141500/confirm/", {"base_revision": "3"})
    seen["web"] = _counted(Response.objects.get(organization=org).pk)

    # 3. the officer's sheet upload (a draft) ...
    data = sheet_for(round_, org, ANSWERS)
    upload = web.post(reverse("sheet_upload", kwargs={"round_id": round_.pk, "org_code": "141500"}),
                      {"file": SimpleUploadedFile("回答シート.xlsx", data)})
    assert upload.status_code == 302, re.findall(r"<td>(.*?)</td>", upload.content.decode(), re.S)
    web.logout()
    # 4. ... and the same file in an administrator's bulk import job (the submission)
    login(client, cast["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sheet_imports"), {"files": [SimpleUploadedFile("返送分.xlsx", data)]})
    seen["import"] = _counted(Response.objects.get(organization=org).pk)

    versions = list(ResponseVersion.objects.filter(response__organization=org).order_by("number"))
    assert [(v.number, v.source, v.status) for v in versions] == [
        (1, "api", "draft"), (2, "api", "submitted"), (3, "web", "draft"), (4, "web", "submitted"),
        (5, "sheet_upload", "draft"), (6, "bulk_import", "submitted")]
    api_draft, api_sub, web_draft, web_sub, upload_draft, import_sub = versions

    # identical rows but for the channel and who acted
    assert _row(api_draft) == _row(web_draft) == _row(upload_draft)
    assert _row(api_sub) == _row(web_sub) == _row(import_sub)
    assert api_sub.answers == ANSWERS and api_sub.risk_rules, "the answers should fire a risk rule"
    assert {v.created_by_id for v in versions[:5]} == {officer.pk} and import_sub.created_by == cast["admin"]
    assert {v.acting_organization_id for v in versions[:5]} == {org.pk} and import_sub.acting_organization is None
    assert upload_draft.file_sha256 == import_sub.file_sha256 != "" and api_sub.file_sha256 == ""

    # the same facts, risk and state after each submission (each pointing at its own version)
    assert seen["api"][:3] == seen["web"][:3] == seen["import"][:3]
    assert [s[3] for s in seen.values()] == [api_sub.pk, web_sub.pk, import_sub.pk]
    assert seen["api"][0] and seen["api"][1] == api_sub.risk_level

    # the same audit shape, with the channel recorded
    audits = {v.number: _audit(v) for v in versions}
    assert [audits[n]["source"] for n in range(1, 7)] == [v.source for v in versions]
    assert audits[3] | {"source": ""} == audits[5] | {"source": ""}  # drafts after a submission: REOPEN
    assert audits[2] | {"source": ""} == audits[4] | {"source": ""} == audits[6] | {"source": ""}
    assert audits[1]["action"] == AuditLog.Action.SAVE_DRAFT and audits[3]["action"] == AuditLog.Action.REOPEN
    assert audits[2]["action"] == AuditLog.Action.SUBMIT
    assert Response.objects.get(organization=org).status == ResponseStatus.SUBMITTED
