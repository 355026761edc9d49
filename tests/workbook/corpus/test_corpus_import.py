"""Every corpus sheet through both ways in, against the full master of 1,788 organisations:
`manage.py import_answer_sheets --json` over the corpus folder, and the web bulk import (an
administrator uploads the corpus as a zip, the job runs, its page and its .xlsx report are read).

Each way runs once, inside the first test that needs it (its transaction is rolled back as
usual) and the outcome, plain data, is kept for the tests of the other cases, which check each
case by name. Several cases answer for 相模原市: each imported sheet is a new version.
"""
import datetime as dt
import io
import json
import re
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from survey.jobs import run_job
from survey.models import Job, Organization, ResponseStatus, ResponseVersion, User, VersionSource
from survey.orgmaster import load_master
from tests.cast import signed_in

from .cases import CASES
from .expect import mismatches
from .ministry import SCHEME

IDS = [c.id for c in CASES]


@pytest.fixture
def private_root(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
COVER_LETTERS = {"送付状.docx": b"PK\x03\x04 a cover letter", "回答について.pdf": b"%PDF-1.4", "メモ.txt": "確認済み".encode()}


_RUNS: dict = {}


def _once(name, work):
    """`work()`'s result, computed in the first test that asks (within that test's database)."""
    if name not in _RUNS:
        _RUNS[name] = work()
    return _RUNS[name]


def _master_and_round():
    from survey.services.rounds import default_definition_path, round_create, survey_version_load

    Organization.objects.bulk_create(
        [Organization(code=r.code, prefecture_code=r.prefecture_code, prefecture_name=r.prefecture_name, name=r.name,
                      kana=r.kana, kind=r.kind) for r in load_master()], ignore_conflicts=True)
    survey, _ = survey_version_load(default_definition_path())
    codes = {c.org for c in CASES if c.org} | {"132063", "342084"}
    return round_create(survey=survey, title="マイナンバー情報連携関係実態調査（返送シート）",
                        deadline=timezone.now() + dt.timedelta(days=14), scheme=SCHEME,
                        organizations=list(Organization.objects.filter(code__in=codes)))


def _version(org_code, number) -> dict:
    version = ResponseVersion.objects.get(response__organization__code=org_code, number=number)
    assert version.status == ResponseStatus.SUBMITTED and version.source == VersionSource.BULK_IMPORT
    return {"answers": version.answers, "respondent": version.respondent}


@pytest.fixture
def by_command(db, corpus, private_root):
    """The command's JSON line for each case (by case id), and the stored version of each import."""
    def work():
        _master_and_round()
        folder = next(iter(corpus.values()))[0].parent
        out = io.StringIO()
        with pytest.raises(SystemExit):  # some cases must be rejected: exit status 1
            call_command("import_answer_sheets", str(folder), "--json", stdout=out)
        lines = {json.loads(text)["file"].rsplit("/", 1)[-1]: json.loads(text) for text in out.getvalue().splitlines()}
        found = {}
        for case in CASES:
            line = lines[corpus[case.id][0].name]
            stored = _version(line["organization"], line["version"]) if line["status"] == "imported" else None
            found[case.id] = (line, stored)
        return found
    return _once("command", work)


@pytest.fixture
def by_web(db, corpus, private_root):
    """The web import's report entry for each case, the stored version, the report rows and the page."""
    def work():
        _master_and_round()
        admin = User.objects.create(email="corpus-admin@portal.example.jp", name="管理 花子", role="admin")
        client = Client()
        signed_in(client, admin)
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            for path, _built in corpus.values():
                zf.write(path, path.name)
            for name, data in COVER_LETTERS.items():
                zf.writestr(name, data)
        response = client.post(reverse("sheet_imports"), {"files": [SimpleUploadedFile("返送分.zip", archive.getvalue())]})
        assert response.status_code == 302, response.content.decode()[:500]
        job = Job.objects.get(kind="sheet_import")
        run_job(job.pk)  # what the queued task does once the upload commits
        job.refresh_from_db()
        assert job.status == Job.Status.DONE, job.messages
        entries = {e["file"].rsplit("/", 1)[-1]: e for e in job.result["entries"]}
        found = {}
        for case in CASES:
            entry = entries[corpus[case.id][0].name]
            stored = _version(entry["organization"], entry["version"]) if entry["status"] == "imported" else None
            found[case.id] = (entry, stored)
        page = client.get(reverse("job_detail", kwargs={"job_id": job.pk})).content.decode()
        return {"cases": found, "entries": entries, "summary": job.result["summary"], "page": page,
                "report": _report(client, job)}
    return _once("web", work)


def _report(client, job) -> dict[str, list]:
    download = client.get(reverse("job_download", kwargs={"job_id": job.pk}))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    header, *rows = [[c.value or "" for c in row] for row in book.worksheets[0].iter_rows()]
    counts = {row[0].value: row[1].value for row in book["件数"].iter_rows(min_row=2)}
    return {"rows": [dict(zip(header, row, strict=False)) for row in rows], "counts": counts}


def _check(case, built, outcome, stored):
    assert outcome["status"] == ("rejected" if case.errors else "imported"), outcome["errors"]
    answers = stored["answers"] if stored else {}
    respondent = stored["respondent"] if stored else {}
    assert not mismatches(case, built, organization=outcome["organization"], answers=answers,
                          respondent=respondent, errors=outcome["errors"], warnings=outcome["warnings"])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_corpus_sheet_through_the_import_command(case, corpus, by_command):
    line, stored = by_command[case.id]
    _check(case, corpus[case.id][1], line, stored)
    if stored:
        assert line["answers"] == case.answers  # the command's JSON says what was read, too


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_corpus_sheet_through_the_web_bulk_import(case, corpus, by_web):
    path, built = corpus[case.id]
    entry, stored = by_web["cases"][case.id]
    _check(case, built, entry, stored)
    rows = [r for r in by_web["report"]["rows"] if r["ファイル"].endswith(f"/{path.name}")]
    assert {r["セル"] for r in rows if r["区分"] == "エラー"} == {built.cells.get(k, k) for _c, k in case.errors}
    assert all(r["結果"] == ("取込不可" if case.errors else "取込") for r in rows)
    assert path.name in by_web["page"]


def test_cover_letters_in_the_zip_are_listed_as_skipped_not_errors(by_web):
    for name in COVER_LETTERS:
        assert by_web["entries"][name]["status"] == "skipped" and not by_web["entries"][name]["errors"]
    rejected = sum(bool(c.errors) for c in CASES)
    assert by_web["summary"] == {"imported": len(CASES) - rejected, "rejected": rejected, "duplicate": 0,
                                 "skipped": len(COVER_LETTERS)}
    assert by_web["report"]["counts"] == {"取込": len(CASES) - rejected, "取込不可": rejected, "重複": 0,
                                          "読み飛ばし": len(COVER_LETTERS), "ファイル数": len(CASES) + len(COVER_LETTERS)}
    skipped_rows = [r for r in by_web["report"]["rows"] if r["結果"] == "読み飛ばし"]
    assert sorted(r["ファイル"].rsplit("/", 1)[-1] for r in skipped_rows) == sorted(COVER_LETTERS)
    assert f"読み飛ばし {len(COVER_LETTERS)} 件" in by_web["page"]


def test_the_report_reads_as_a_clerk_writes_it(by_web):
    """One message per cell, every problem naming its item or field, no label said twice."""
    page = by_web["page"]
    assert not re.search(r"(Q[0-9０-９-]+)\s*：\s*\1\s*：", page)
    rows = [r for r in by_web["report"]["rows"] if r["区分"] in ("エラー", "警告")]
    for file in {r["ファイル"] for r in rows}:
        cells = [r["セル"] for r in rows if r["ファイル"] == file and r["セル"]]
        assert len(cells) == len(set(cells)), (file, cells)
    for row in rows:
        if row["区分"] == "エラー":
            assert row["セル"] and row["項目"] and row["項目"].split(" ")[0] in row["メッセージ"], row
            assert not row["メッセージ"].startswith(f"{row['項目']}：{row['項目']}")
