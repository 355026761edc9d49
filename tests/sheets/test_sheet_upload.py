"""An officer uploads their organisation's filled sheet: it becomes a new draft to review and submit."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from survey.models import AuditLog, ResponseStatus, ResponseVersion, VersionSource

from .conftest import VALID_ANSWERS, edit_cell, input_cell, login, sheet_for, stored_files

pytestmark = pytest.mark.django_db


def _url(round_, code="141500"):
    return reverse("sheet_upload", kwargs={"round_id": round_.pk, "org_code": code})


def _post(client, round_, data, name="回答シート.xlsx", code="141500"):
    return client.post(_url(round_, code), {"file": SimpleUploadedFile(name, data)})


def _versions(org):
    return ResponseVersion.objects.filter(response__organization=org).order_by("number")


def test_upload_page_shows_the_form(client, cast, round_):
    response = login(client, cast["sagamihara"]).get(_url(round_))
    assert response.status_code == 200
    assert "回答シートのアップロード" in response.content.decode()


def test_upload_becomes_a_new_draft_version(client, cast, round_, orgs, private_root):
    data = sheet_for(round_, orgs["141500"], VALID_ANSWERS)
    response = _post(login(client, cast["sagamihara"]), round_, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("response_confirm", kwargs={"round_id": round_.pk, "org_code": "141500"})
    version = _versions(orgs["141500"]).get()
    assert version.status == ResponseStatus.DRAFT and version.source == VersionSource.SHEET_UPLOAD
    assert version.answers == VALID_ANSWERS and version.created_by == cast["sagamihara"]
    assert version.file_name == "回答シート.xlsx" and len(version.file_sha256) == 64
    assert (private_root / version.file_path).read_bytes() == data
    assert "回答シート" not in version.file_path  # stored under a random name, never the user's
    assert AuditLog.objects.filter(action=AuditLog.Action.UPLOAD, organization=orgs["141500"]).count() == 1


def test_same_file_twice_is_a_duplicate(client, cast, round_, orgs, private_root):
    data = sheet_for(round_, orgs["141500"], VALID_ANSWERS)
    login(client, cast["sagamihara"])
    _post(client, round_, data)
    files_before = stored_files(private_root)
    response = _post(client, round_, data, name="もう一度.xlsx")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "既に版1として取り込まれています" in page
    assert _versions(orgs["141500"]).count() == 1
    assert stored_files(private_root) == files_before


def test_changed_sheet_becomes_a_new_version_keeping_the_earlier(client, cast, round_, orgs):
    login(client, cast["sagamihara"])
    _post(client, round_, sheet_for(round_, orgs["141500"], VALID_ANSWERS))
    _post(client, round_, sheet_for(round_, orgs["141500"], {**VALID_ANSWERS, "9": "2"}))
    first, second = _versions(orgs["141500"])
    assert (first.number, second.number) == (1, 2)
    assert first.answers["9"] == "1" and second.answers["9"] == "2"


def test_another_organisations_sheet_is_rejected_and_nothing_stored(client, cast, round_, orgs, private_root):
    data = sheet_for(round_, orgs["141003"], VALID_ANSWERS)  # 横浜市's sheet
    response = _post(login(client, cast["sagamihara"]), round_, data)
    assert response.status_code == 400
    assert "14神奈川県横浜市の回答シートです" in response.content.decode()
    assert not ResponseVersion.objects.exists()
    assert stored_files(private_root) == []


def test_errors_are_listed_by_cell_and_nothing_is_stored(client, cast, round_, orgs, private_root):
    data = edit_cell(sheet_for(round_, orgs["141500"], VALID_ANSWERS), "3", "たぶん")
    response = _post(login(client, cast["sagamihara"]), round_, data)
    body = response.content.decode()
    assert response.status_code == 400
    row = re.search(r"<tr>((?:(?!</tr>).)*たぶん(?:(?!</tr>).)*)</tr>", body, re.S)
    assert row is not None, "no row of the problems table shows the value"
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    assert re.sub(r".*!", "", cells[0]) == input_cell(data, "3") and cells[1] == "Q3"
    assert not ResponseVersion.objects.exists()
    assert stored_files(private_root) == []


def test_a_file_that_is_not_a_workbook_is_a_clear_error(client, cast, round_):
    response = _post(login(client, cast["sagamihara"]), round_, b"hello, not a workbook", name="x.xlsx")
    assert response.status_code == 400
    assert "ファイルではありません" in response.content.decode()
    assert not ResponseVersion.objects.exists()


def test_a_file_over_the_size_bound_is_rejected_before_reading(client, cast, round_, orgs, settings, monkeypatch):
    from survey import workbook

    def must_not_read(*args, **kwargs):
        raise AssertionError("the reader must not see a file over the bound")

    monkeypatch.setattr(workbook, "read_answer_sheet_isolated", must_not_read, raising=False)
    settings.UPLOAD_MAX_BYTES = 4096
    response = _post(login(client, cast["sagamihara"]), round_, b"PK\x03\x04" + b"x" * 20_000)
    assert response.status_code == 413
    assert "ファイルが大きすぎます" in response.content.decode()
    assert not ResponseVersion.objects.exists()


@pytest.mark.parametrize("intruder", ["yokohama", "chiyoda", "tokyo"])
def test_officer_cannot_upload_for_another_organisation(client, cast, round_, orgs, intruder):
    data = sheet_for(round_, orgs["141500"], VALID_ANSWERS)
    login(client, cast[intruder])
    assert client.get(_url(round_)).status_code == 404
    assert _post(client, round_, data).status_code == 404
    assert not ResponseVersion.objects.exists()


def test_prefecture_cannot_upload_for_a_municipality_it_does_not_answer_for(client, cast, round_, orgs):
    response = _post(login(client, cast["kanagawa"]), round_, sheet_for(round_, orgs["141500"], VALID_ANSWERS))
    assert response.status_code == 403
    assert not ResponseVersion.objects.exists()
