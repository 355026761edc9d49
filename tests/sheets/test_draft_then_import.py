"""Draft and import (issue 7.6): a sheet an officer uploaded as a draft, imported later by an
administrator, becomes the submitted version; a duplicate is a file already *counted*."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from survey.models import Job, Response, ResponseStatus, ResponseVersion, VersionSource

from .conftest import VALID_ANSWERS, login, sheet_for

pytestmark = pytest.mark.django_db
PARTIAL = {"1-1": "2", "2": "1", "3": "2"}


def _officer_upload(client, cast, round_, data):
    login(client, cast["sagamihara"])
    response = client.post(reverse("sheet_upload", kwargs={"round_id": round_.pk, "org_code": "141500"}),
                           {"file": SimpleUploadedFile("回答シート.xlsx", data)})
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()


def _admin_import(client, cast, data, capture) -> Job:
    login(client, cast["admin"])
    with capture(execute=True):
        response = client.post(reverse("sheet_imports"), {"files": [SimpleUploadedFile("返送分.xlsx", data)]})
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    return Job.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def test_a_complete_sheet_uploaded_as_a_draft_is_submitted_by_an_administrators_import(
        client, cast, round_, orgs, private_root, django_capture_on_commit_callbacks):
    data = sheet_for(round_, orgs["141500"], VALID_ANSWERS)
    _officer_upload(client, cast, round_, data)
    draft = ResponseVersion.objects.get(response__organization=orgs["141500"])
    assert draft.status == ResponseStatus.DRAFT and draft.source == VersionSource.SHEET_UPLOAD

    job = _admin_import(client, cast, data, django_capture_on_commit_callbacks)
    assert job.result["summary"] == {"imported": 1, "rejected": 0, "duplicate": 0, "skipped": 0}
    response = Response.objects.get(organization=orgs["141500"])
    submitted = response.submitted_version
    assert response.status == ResponseStatus.SUBMITTED and submitted.number == 2
    assert submitted.answers == VALID_ANSWERS == draft.answers
    assert submitted.source == VersionSource.BULK_IMPORT and submitted.created_by == cast["admin"]
    assert submitted.file_sha256 == draft.file_sha256
    assert set(response.facts.values_list("version_id", flat=True)) == {submitted.pk}


def test_the_same_file_imported_twice_is_a_duplicate_the_second_time(
        client, cast, round_, orgs, private_root, django_capture_on_commit_callbacks):
    data = sheet_for(round_, orgs["141500"], VALID_ANSWERS)
    _officer_upload(client, cast, round_, data)
    _admin_import(client, cast, data, django_capture_on_commit_callbacks)
    again = _admin_import(client, cast, data, django_capture_on_commit_callbacks)
    assert again.result["summary"] == {"imported": 0, "rejected": 0, "duplicate": 1, "skipped": 0}
    assert "既に版2として取り込まれています" in again.result["entries"][0]["warnings"][-1]["message"]
    assert ResponseVersion.objects.filter(response__organization=orgs["141500"]).count() == 2


def test_a_partial_draft_sheet_imported_is_rejected_for_what_is_missing_not_as_a_duplicate(
        client, cast, round_, orgs, private_root, django_capture_on_commit_callbacks):
    data = sheet_for(round_, orgs["141500"], PARTIAL)
    _officer_upload(client, cast, round_, data)
    job = _admin_import(client, cast, data, django_capture_on_commit_callbacks)
    assert job.result["summary"] == {"imported": 0, "rejected": 1, "duplicate": 0, "skipped": 0}
    codes = {e["code"] for e in job.result["entries"][0]["errors"]}
    assert "duplicate_file" not in codes and codes
    assert Response.objects.get(organization=orgs["141500"]).status == ResponseStatus.DRAFT


def test_an_officer_upload_of_a_file_already_counted_is_a_duplicate(
        client, cast, round_, orgs, private_root, django_capture_on_commit_callbacks):
    data = sheet_for(round_, orgs["141500"], VALID_ANSWERS)
    _admin_import(client, cast, data, django_capture_on_commit_callbacks)
    login(client, cast["sagamihara"])
    response = client.post(reverse("sheet_upload", kwargs={"round_id": round_.pk, "org_code": "141500"}),
                           {"file": SimpleUploadedFile("回答シート.xlsx", data)}, follow=True)
    assert "既に版1として取り込まれています" in response.content.decode()
    assert ResponseVersion.objects.filter(response__organization=orgs["141500"]).count() == 1
