"""`manage.py import_answer_sheets`: JSON lines per file, exit status, dry run, zips and folders."""
import io
import json
import zipfile

import pytest
from django.core.management import call_command

from survey.models import ResponseStatus, ResponseVersion, VersionSource

from .conftest import VALID_ANSWERS, edit_cell, sheet_for, stored_files

pytestmark = pytest.mark.django_db
KEYS = ["file", "status", "organization", "version", "answers", "respondent", "errors", "warnings"]


def _run(*args) -> tuple[int, list[dict]]:
    out = io.StringIO()
    try:
        call_command("import_answer_sheets", *args, "--json", stdout=out)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def folder(tmp_path, round_, orgs):
    path = tmp_path / "returned"
    path.mkdir()
    (path / "sagamihara.xlsx").write_bytes(sheet_for(round_, orgs["141500"], VALID_ANSWERS))
    (path / "yokohama.xlsx").write_bytes(sheet_for(round_, orgs["141003"], {**VALID_ANSWERS, "9": "2"}))
    return path


def test_json_lines_have_the_issues_shape_and_exit_zero(folder, orgs):
    code, lines = _run(str(folder))
    assert code == 0, [line["errors"] for line in lines]
    assert [line["status"] for line in lines] == ["imported", "imported"]
    first = lines[0]
    assert list(first) == KEYS
    assert first["file"].endswith("sagamihara.xlsx") and first["organization"] == "141500"
    assert first["version"] == 1 and first["answers"] == VALID_ANSWERS
    assert first["respondent"]["組織名"] == "14神奈川県相模原市"
    version = ResponseVersion.objects.get(response__organization=orgs["141500"])
    assert version.status == ResponseStatus.SUBMITTED and version.source == VersionSource.BULK_IMPORT
    assert version.file_sha256 and version.file_path


def test_a_rejected_file_gives_exit_one_and_the_batch_goes_on(folder, round_, orgs, private_root):
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    bad = edit_cell(sheet_for(round_, orgs["142042"], VALID_ANSWERS), "1-1", "⑨")
    (folder / "kamakura.xlsx").write_bytes(bad)
    code, lines = _run(str(folder))
    by_file = {line["file"].rsplit("/", 1)[-1]: line for line in lines}
    assert code == 1
    assert by_file["broken.xlsx"]["status"] == "rejected" and by_file["broken.xlsx"]["version"] is None
    error = by_file["kamakura.xlsx"]["errors"][0]
    assert error["cell"].startswith("C") and error["item"] == "1-1" and error["value"] == "⑨"
    assert by_file["sagamihara.xlsx"]["status"] == by_file["yokohama.xlsx"]["status"] == "imported"
    assert not ResponseVersion.objects.filter(response__organization=orgs["142042"]).exists()
    assert len(stored_files(private_root)) == 2  # the two imported sheets only


def test_the_same_files_again_are_duplicates(folder):
    _run(str(folder))
    code, lines = _run(str(folder))
    assert code == 0
    assert [line["status"] for line in lines] == ["duplicate", "duplicate"]
    assert all(line["version"] is None for line in lines)
    assert ResponseVersion.objects.count() == 2


def test_dry_run_stores_nothing(folder, private_root):
    code, lines = _run(str(folder), "--dry-run")
    assert code == 0 and [line["status"] for line in lines] == ["imported", "imported"]
    assert all(line["version"] is None for line in lines)
    assert not ResponseVersion.objects.exists()
    assert stored_files(private_root) == []


def test_a_zip_is_opened_and_a_nested_zip_rejected(tmp_path, round_, orgs):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("x.xlsx", b"x")
    path = tmp_path / "batch.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("相模原市.xlsx", sheet_for(round_, orgs["141500"], VALID_ANSWERS))
        zf.writestr("nested.zip", inner.getvalue())
    code, lines = _run(str(path))
    assert code == 1
    assert [(line["file"].rsplit("/", 1)[-1], line["status"]) for line in lines] == [
        ("相模原市.xlsx", "imported"), ("nested.zip", "rejected")]


def test_round_option_refuses_a_sheet_of_another_round(folder, round_):
    from survey.services.rounds import round_create

    other = round_create(survey=round_.survey, title="別の調査回", deadline=round_.deadline, scheme=round_.scheme,
                         organizations=[t.organization for t in round_.targets.all()])
    code, lines = _run(str(folder), "--round", str(other.pk))
    assert code == 1
    assert {line["errors"][0]["code"] for line in lines} == {"other_round"}


def test_plain_output_names_every_file(folder):
    out = io.StringIO()
    call_command("import_answer_sheets", str(folder), stdout=out)
    text = out.getvalue()
    assert "sagamihara.xlsx" in text and "yokohama.xlsx" in text and "取込" in text


def test_export_command_writes_the_sheet(tmp_path, round_, orgs):
    from survey.services.sheets import org_resolver
    from survey.workbook import read_answer_sheet

    out = tmp_path / "sheet.xlsx"
    call_command("export_answer_sheet", "--org", "141500", str(out), stdout=io.StringIO())
    result = read_answer_sheet(out.read_bytes(), "sheet.xlsx", round_.survey.engine, resolve_org=org_resolver())
    assert (result.org_code, result.round_id) == ("141500", round_.pk)


def test_an_imported_sheet_must_be_complete(tmp_path, round_, orgs):
    """Administrators' imports become submitted versions: a missing answer is an error, by cell."""
    path = tmp_path / "partial.xlsx"
    path.write_bytes(sheet_for(round_, orgs["141500"], {"1-1": "2", "2": "1"}))
    code, (line,) = _run(str(path))
    assert code == 1 and line["status"] == "rejected" and line["version"] is None
    required = [e for e in line["errors"] if e["code"] == "required"]
    assert required and all(e["cell"] for e in required)
    assert not ResponseVersion.objects.exists()


def test_a_jobs_brief_outcome_is_the_whole_outcome_without_the_answers():
    from survey.services.sheets.imports import FileOutcome

    outcome = FileOutcome(file="a.xlsx", status="imported", organization="141500", version=3,
                          answers={"1": "1"}, respondent={"組織名": "相模原市"},
                          errors=[{"code": "x"}], warnings=[{"code": "y"}])
    assert outcome.brief() == {**outcome.as_dict(), "answers": {}, "respondent": {}}
