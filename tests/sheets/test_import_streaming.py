"""Bulk zips are expanded to disk entry by entry, never into memory.

The finding: a 306 KB zip of 30 entries of 9.9 MB each (under every per-entry and total bound)
took the web process to 723 MB, because the whole zip and every expanded entry were held in
memory at once. Python's own allocations are measured here with tracemalloc (the server's RSS
over HTTP is in tests/security/test_upload_hazards.py).
"""
import tracemalloc

import pytest

from survey.models import Job
from tests.workbook.hostile_workbooks import large_entries_zip

from .conftest import VALID_ANSWERS, sheet_for, stored_files

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


def _left_behind(private_root, job) -> list[str]:
    """Stored files that are neither the job's uploads, its report nor an imported version's sheet."""
    from survey.models import ResponseVersion

    job.refresh_from_db()
    kept = {job.result_path, *(u["path"] for u in job.params["uploads"]),
            *ResponseVersion.objects.values_list("file_path", flat=True)}
    return [p for p in stored_files(private_root) if p not in kept]


def _run(job):
    from survey import jobs

    tracemalloc.start()
    try:
        jobs.run_job(job.pk)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_of_large_entries_is_streamed_to_disk(cast, round_, orgs, tmp_path, private_root, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from survey import jobs
    from survey.services import sheets

    monkeypatch.setattr(jobs, "job_enqueue", lambda job_id: None)  # the test runs the job itself
    path = large_entries_zip(tmp_path / "大量.zip")
    assert path.stat().st_size < 400 * 1024
    good = sheet_for(round_, orgs["141500"], VALID_ANSWERS)
    upload = SimpleUploadedFile("大量.zip", path.read_bytes())
    job = sheets.sheets_import_job_create(uploads=[(upload.name, upload), ("相模原市.xlsx", good)],
                                          acting_user=cast["admin"])
    peak = _run(job)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    statuses = {e["file"]: e["status"] for e in job.result["entries"]}
    assert statuses.pop("相模原市.xlsx") == "imported"
    assert len(statuses) == 30 and set(statuses.values()) == {"rejected"}
    assert peak < 60 * MB, f"peak Python allocation {peak / MB:.0f} MB"
    assert _left_behind(private_root, job) == []  # the expanded entries are removed when the job ends


def test_a_zip_over_the_total_bound_is_refused_as_a_whole_and_leaves_nothing(cast, round_, tmp_path, private_root,
                                                                             settings, monkeypatch):
    from survey import jobs
    from survey.services import sheets

    monkeypatch.setattr(jobs, "job_enqueue", lambda job_id: None)
    settings.ZIP_MAX_TOTAL_BYTES = 50 * MB
    path = large_entries_zip(tmp_path / "大きすぎ.zip", entries=8)
    job = sheets.sheets_import_job_create(uploads=[("大きすぎ.zip", path.read_bytes())], acting_user=cast["admin"])
    peak = _run(job)
    job.refresh_from_db()
    [entry] = job.result["entries"]
    assert entry["status"] == "rejected" and entry["errors"][0]["code"] == "decompressed_too_large"
    assert "展開後のサイズが上限" in entry["errors"][0]["message"]
    assert peak < 40 * MB
    assert _left_behind(private_root, job) == []


def test_the_command_streams_zips_too(cast, round_, orgs, tmp_path, capsys):
    from django.core.management import call_command

    path = large_entries_zip(tmp_path / "大量.zip", entries=3)
    tracemalloc.start()
    try:
        with pytest.raises(SystemExit):
            call_command("import_answer_sheets", str(path), "--dry-run")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert capsys.readouterr().out.count("大量.zip/返送/") == 3
    assert peak < 40 * MB


def test_the_total_bound_holds_across_the_zips_of_one_job(cast, round_, tmp_path, private_root, settings,
                                                          monkeypatch):
    """Many zips in one upload cannot each expand up to the bound: the job's disk is bounded too."""
    from survey import jobs
    from survey.services import sheets

    monkeypatch.setattr(jobs, "job_enqueue", lambda job_id: None)
    settings.ZIP_MAX_TOTAL_BYTES = 100 * MB
    data = large_entries_zip(tmp_path / "a.zip", entries=6).read_bytes()  # about 59 MB each, expanded
    job = sheets.sheets_import_job_create(uploads=[("一.zip", data), ("二.zip", data)], acting_user=cast["admin"])
    _run(job)
    job.refresh_from_db()
    codes = {e["file"].split("/")[0]: e["errors"][0]["code"] for e in job.result["entries"]}
    assert codes["二.zip"] == "decompressed_too_large"
    assert codes["一.zip"] != "decompressed_too_large"  # its entries were expanded, then refused by the reader
    assert _left_behind(private_root, job) == []
