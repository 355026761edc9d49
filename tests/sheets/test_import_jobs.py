"""Bulk import and zip export as jobs: the web pages, the report, permissions and resuming."""
import io
import socket
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from survey.models import AuditLog, Job, ResponseStatus, ResponseVersion, VersionSource

from .conftest import VALID_ANSWERS, edit_cell, login, sheet_for, stored_files


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def batch(round_, orgs):
    """A zip as administrators get it: two good sheets, one with an error, one that is no workbook."""
    return _zip({
        "相模原市.xlsx": sheet_for(round_, orgs["141500"], VALID_ANSWERS, 担当部署名="=HYPERLINK(\"http://x\")"),
        "横浜市.xlsx": sheet_for(round_, orgs["141003"], VALID_ANSWERS),
        "鎌倉市.xlsx": edit_cell(sheet_for(round_, orgs["142042"], VALID_ANSWERS), "3", "=1+1", as_text=True),
        "メモ.xlsx": b"not a workbook",
    })


def _upload(client, files, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sheet_imports"), {"files": files})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Job.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


@pytest.mark.django_db
def test_bulk_import_job_imports_reports_and_records_who(client, cast, round_, orgs, batch,
                                                         django_capture_on_commit_callbacks):
    login(client, cast["admin"])
    job = _upload(client, [SimpleUploadedFile("返送分.zip", batch)], django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and (job.progress, job.total) == (4, 4)
    statuses = {e["file"].rsplit("/", 1)[-1]: e["status"] for e in job.result["entries"]}
    assert statuses == {"相模原市.xlsx": "imported", "横浜市.xlsx": "imported", "鎌倉市.xlsx": "rejected",
                        "メモ.xlsx": "rejected"}
    version = ResponseVersion.objects.get(response__organization=orgs["141500"])
    assert version.status == ResponseStatus.SUBMITTED and version.source == VersionSource.BULK_IMPORT
    assert version.created_by == cast["admin"] and version.file_name == "相模原市.xlsx"
    assert not ResponseVersion.objects.filter(response__organization=orgs["142042"]).exists()

    page = client.get(reverse("job_detail", kwargs={"job_id": job.pk})).content.decode()
    assert "取込 2 件、取込不可 2 件、重複 0 件" in page and "鎌倉市.xlsx" in page and "=1+1" in page

    report = client.get(reverse("job_download", kwargs={"job_id": job.pk}))
    assert report.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value]
    assert all(c.data_type == "s" for c in cells)  # user text never becomes a formula
    assert any(c.value == "=1+1" for c in cells)
    assert AuditLog.objects.filter(action=AuditLog.Action.IMPORT, actor=cast["admin"]).count() == 2


@pytest.mark.django_db
def test_the_same_batch_twice_gives_duplicates(client, cast, round_, orgs, batch, django_capture_on_commit_callbacks):
    login(client, cast["admin"])
    _upload(client, [SimpleUploadedFile("a.zip", batch)], django_capture_on_commit_callbacks)
    job = _upload(client, [SimpleUploadedFile("b.zip", batch)], django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.result["summary"] == {"imported": 0, "rejected": 2, "duplicate": 2, "skipped": 0}
    assert ResponseVersion.objects.count() == 2


@pytest.mark.django_db
def test_rejected_sheet_stores_nothing_but_the_report(client, cast, round_, orgs, private_root,
                                                      django_capture_on_commit_callbacks):
    bad = edit_cell(sheet_for(round_, orgs["142042"], VALID_ANSWERS), "3", "たぶん")
    login(client, cast["admin"])
    job = _upload(client, [SimpleUploadedFile("鎌倉市.xlsx", bad)], django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert not ResponseVersion.objects.exists()
    kept = set(stored_files(private_root))
    assert job.result_path in kept  # the report
    assert kept == {job.result_path, job.params["uploads"][0]["path"]}  # and the upload as received


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["ministry", "sagamihara", "kanagawa"])
def test_only_administrators_may_bulk_import(client, cast, name):
    login(client, cast[name])
    assert client.get(reverse("sheet_imports")).status_code == 403
    assert client.post(reverse("sheet_imports"), {}).status_code == 403


@pytest.mark.django_db
def test_a_job_is_seen_only_by_its_creator_and_administrators(client, cast, round_):
    job = Job.objects.create(kind="sheet_export", round=round_, created_by=cast["ministry"])
    for name, expected in [("ministry", 200), ("admin", 200), ("kanagawa", 404), ("sagamihara", 404)]:
        login(client, cast[name])
        for url_name in ("job_detail", "job_status"):
            assert client.get(reverse(url_name, kwargs={"job_id": job.pk})).status_code == expected, (name, url_name)


@pytest.mark.django_db
def test_ministry_builds_the_zip_of_every_sheet(client, cast, round_, django_capture_on_commit_callbacks):
    login(client, cast["ministry"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sheets_export", kwargs={"round_id": round_.pk}))
    job = Job.objects.get(kind="sheet_export")
    assert response["Location"] == reverse("job_detail", kwargs={"job_id": job.pk})
    status = client.get(reverse("job_status", kwargs={"job_id": job.pk})).json()
    assert status["status"] == "done" and status["percent"] == 100 and status["download_url"]
    download = client.get(status["download_url"])
    names = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))).namelist()
    assert len(names) == round_.targets.count() and any("141500" in n for n in names)
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT, actor=cast["ministry"]).exists()
    login(client, cast["admin"])
    assert client.get(status["download_url"]).status_code == 200
    login(client, cast["kanagawa"])
    assert client.get(status["download_url"]).status_code == 404


@pytest.mark.django_db
def test_officers_cannot_start_the_zip(client, cast, round_):
    login(client, cast["sagamihara"])
    assert client.post(reverse("sheets_export", kwargs={"round_id": round_.pk})).status_code == 403
    assert not Job.objects.exists()


class Crash(BaseException):
    """Stands for the worker process dying (not an Exception: the job must not be marked failed)."""


@pytest.mark.django_db(transaction=True)
def test_resume_after_a_crash_in_the_middle_of_a_batch(cast, round_, orgs, monkeypatch, settings):
    from survey import jobs
    from survey.services import sheets
    from survey.services.sheets import imports

    monkeypatch.setattr(imports, "IMPORT_CHUNK", 2)
    monkeypatch.setattr(jobs, "job_enqueue", lambda job_id: None)  # the test runs the job itself
    municipalities = ["131016", "141003", "141500", "142042"]
    uploads = [(f"{code}.xlsx", sheet_for(round_, orgs[code], VALID_ANSWERS)) for code in municipalities]
    job = sheets.sheets_import_job_create(uploads=uploads, acting_user=cast["admin"])

    real_check, calls = imports._Importer.check, []

    def crash_on_the_fourth(self, *args):
        calls.append(1)
        if len(calls) == 4:
            raise Crash
        return real_check(self, *args)

    monkeypatch.setattr(imports._Importer, "check", crash_on_the_fourth)
    dead_worker = f"{socket.gethostname()}:999999999"  # a process of this host that no longer exists
    monkeypatch.setattr(jobs, "_owner", lambda: dead_worker)
    with pytest.raises(Crash):
        jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.progress == 2  # the first chunk was committed
    assert ResponseVersion.objects.count() == 2  # the crashed chunk left nothing

    monkeypatch.undo()  # a new worker process, the lease holder being dead, takes the job over
    assert jobs.run_job(job.pk) is not None
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.attempts == 2
    assert [e["status"] for e in job.result["entries"]] == ["imported"] * len(uploads)
    assert len({e["key"] for e in job.result["entries"]}) == len(uploads)
    assert ResponseVersion.objects.count() == len(uploads)  # each sheet imported exactly once


@pytest.mark.django_db(transaction=True)
def test_a_running_job_held_by_a_live_worker_is_not_taken(cast, round_, monkeypatch):
    from survey import jobs

    job = Job.objects.create(kind="sheet_export", round=round_, created_by=cast["ministry"],
                             status=Job.Status.RUNNING, result={jobs.LEASE_KEY: jobs._lease()})
    assert jobs.run_job(job.pk) is None
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.attempts == 0


@pytest.mark.django_db
def test_the_readers_start_while_the_zip_is_expanded_and_stop_with_the_job(client, cast, round_, orgs, batch,
                                                                           monkeypatch,
                                                                           django_capture_on_commit_callbacks):
    """A worker takes about 0.3 s of CPU to start: the job starts its readers before expanding
    the zip (on another CPU, beside the expansion), reads every sheet with them, and stops them."""
    from survey.services.sheets import imports
    from survey.workbook.isolation import SheetReaderPool

    events, pools = [], []
    start, expand, close = SheetReaderPool.start, imports.expand_upload, SheetReaderPool.close

    def started(pool):
        pools.append(pool)
        events.append(("start", len(pool.workers)))
        start(pool)
        events.append(("started", sum(w is not None and w.alive() for w in pool.workers)))

    def expanded(*args, **kwargs):
        events.append(("expand", sum(w is not None and w.alive() for p in pools for w in p.workers)))
        return expand(*args, **kwargs)

    def closed(pool):
        events.append(("close", len(pool.workers)))
        close(pool)

    monkeypatch.setattr(SheetReaderPool, "start", started)
    monkeypatch.setattr(imports, "expand_upload", expanded)
    monkeypatch.setattr(SheetReaderPool, "close", closed)
    login(client, cast["admin"])
    job = _upload(client, [SimpleUploadedFile("返送分.zip", batch)], django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.result["summary"]["imported"] == 2
    size = imports.reader_pool().size
    assert events[:3] == [("start", 0), ("started", size), ("expand", size)]
    assert len(pools) == 1 and ("close", size) in events and pools[0].workers == []


@pytest.mark.django_db
def test_the_job_leaves_older_objects_out_of_its_collections_and_gives_them_back(cast, round_, orgs, monkeypatch):
    """run_sheet_import freezes the objects that exist before it (gc.freeze: its collections do
    not walk Django and the master again) and unfreezes them when it ends, done or crashed."""
    import gc

    from survey import jobs
    from survey.services import sheets
    from survey.services.sheets import imports

    monkeypatch.setattr(jobs, "job_enqueue", lambda job_id: None)
    uploads = [("141500.xlsx", sheet_for(round_, orgs["141500"], VALID_ANSWERS))]
    frozen_during = []
    real_check = imports._Importer.check

    def note(self, *args):
        frozen_during.append(gc.get_freeze_count())
        return real_check(self, *args)

    monkeypatch.setattr(imports._Importer, "check", note)
    assert gc.get_freeze_count() == 0
    job = sheets.sheets_import_job_create(uploads=uploads, acting_user=cast["admin"])
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and frozen_during and frozen_during[0] > 0
    assert gc.get_freeze_count() == 0

    def crash(self, *args):
        raise Crash

    monkeypatch.setattr(imports._Importer, "check", crash)
    monkeypatch.setattr(jobs, "_owner", lambda: f"{socket.gethostname()}:999999999")
    job = sheets.sheets_import_job_create(uploads=uploads, acting_user=cast["admin"])
    with pytest.raises(Crash):
        jobs.run_job(job.pk)
    assert gc.get_freeze_count() == 0


def _stored(private_root, job) -> set[str]:
    """Every stored file but the job's upload and report: what the import left."""
    job.refresh_from_db()
    return set(stored_files(private_root)) - {job.result_path} - {u["path"] for u in job.params["uploads"]}


@pytest.mark.django_db
def test_an_imported_zip_entry_is_stored_where_it_was_expanded(client, cast, round_, orgs, batch, private_root,
                                                               monkeypatch, django_capture_on_commit_callbacks):
    """On a disk storage the job expands a zip into a folder of the stored sheets: an imported
    entry stays there (no second file, no move) and the others are removed when the job ends."""
    from survey import storage

    def no_move(*args, **kwargs):
        raise AssertionError("an expanded entry was moved into the storage")

    monkeypatch.setattr(storage, "private_keep_file", no_move)
    login(client, cast["admin"])
    job = _upload(client, [SimpleUploadedFile("返送分.zip", batch)], django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.result["summary"]["imported"] == 2
    paths = {v.file_name: v.file_path for v in ResponseVersion.objects.all()}
    assert set(paths) == {"相模原市.xlsx", "横浜市.xlsx"}
    assert all(p.startswith(f"sheets/{job.created_at:%Y/%m}/job-{job.pk}/") for p in paths.values())
    assert _stored(private_root, job) == set(paths.values())  # the rejected entries' files are gone
    with zipfile.ZipFile(io.BytesIO(batch)) as zf:
        for name, path in paths.items():
            assert (private_root / path).read_bytes() == zf.read(name)


def _four_sheet_job_whose_check_raises(cast, round_, orgs, monkeypatch, exc: BaseException, on_call: int):
    """A bulk job of four valid sheets in one zip, two per chunk, not enqueued, whose sheet check
    raises `exc` at its `on_call`-th call; its entries by name and a list counting the calls."""
    from survey import jobs
    from survey.services import sheets
    from survey.services.sheets import imports

    monkeypatch.setattr(imports, "IMPORT_CHUNK", 2)
    monkeypatch.setattr(jobs, "job_enqueue", lambda job_id: None)
    codes = ["131016", "141003", "141500", "142042"]
    entries = {f"{code}.xlsx": sheet_for(round_, orgs[code], VALID_ANSWERS) for code in codes}
    job = sheets.sheets_import_job_create(uploads=[("返送.zip", _zip(entries))], acting_user=cast["admin"])
    real_check, calls = imports._Importer.check, []

    def raising(self, *args):
        calls.append(1)
        if len(calls) == on_call:
            raise exc
        return real_check(self, *args)

    monkeypatch.setattr(imports._Importer, "check", raising)
    return job, entries, calls


@pytest.mark.django_db
def test_a_killed_import_leaves_no_file_behind_once_resumed(cast, round_, orgs, private_root, monkeypatch):
    """A worker killed mid-import runs no clean-up: the resumed attempt removes the entries the
    killed one expanded but did not import, keeps those it imported, and stores each sheet once."""
    from survey import jobs
    from survey.services.sheets import imports

    job, entries, _ = _four_sheet_job_whose_check_raises(cast, round_, orgs, monkeypatch, Crash(), on_call=4)
    monkeypatch.setattr(imports, "_job_folder_sweep", lambda job: None)  # killed: no clean-up runs
    monkeypatch.setattr(jobs, "_owner", lambda: f"{socket.gethostname()}:999999999")
    with pytest.raises(Crash):
        jobs.run_job(job.pk)
    assert ResponseVersion.objects.count() == 2
    assert len(_stored(private_root, job)) == 4  # two imported, two expanded and left by the killed worker

    monkeypatch.undo()
    assert jobs.run_job(job.pk) is not None
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and [e["status"] for e in job.result["entries"]] == ["imported"] * 4
    paths = {v.file_name: v.file_path for v in ResponseVersion.objects.all()}
    assert len(paths) == 4 and _stored(private_root, job) == set(paths.values())
    for name, path in paths.items():
        assert (private_root / path).read_bytes() == entries[name]


@pytest.mark.django_db
def test_a_job_failed_while_the_database_was_down_is_swept_by_the_next_bulk_job(cast, round_, orgs, private_root,
                                                                               monkeypatch):
    """A bulk job that fails while the database is down cannot sweep its folder (which versions
    point at is unknown), and a failed job is not resumed: the next bulk job's start sweeps it,
    keeping the sheets it imported and removing the expanded entries it did not (personal data)."""
    from django.db import DatabaseError

    from survey import jobs
    from survey.services import sheets
    from survey.services.sheets import imports

    failed, entries, calls = _four_sheet_job_whose_check_raises(
        cast, round_, orgs, monkeypatch, DatabaseError("the connection was lost"), on_call=3)
    real_sweep = imports._job_folder_sweep

    def database_down(job):  # up for the start's sweep, down for the failure's
        if calls:
            raise DatabaseError("the connection was lost")
        real_sweep(job)

    monkeypatch.setattr(imports, "_job_folder_sweep", database_down)
    jobs.run_job(failed.pk)
    failed.refresh_from_db()
    assert failed.status == Job.Status.FAILED and ResponseVersion.objects.count() == 2
    assert len(_stored(private_root, failed)) == 4  # two imported, two expanded and left

    monkeypatch.undo()
    monkeypatch.setattr(jobs, "job_enqueue", lambda job_id: None)
    later = sheets.sheets_import_job_create(uploads=[("追加.zip", _zip({"131016.xlsx": entries["131016.xlsx"]}))],
                                            acting_user=cast["admin"])
    jobs.run_job(later.pk)
    later.refresh_from_db()
    assert later.status == Job.Status.DONE
    failed.refresh_from_db()
    assert failed.status == Job.Status.FAILED  # swept, not resumed
    folder = f"sheets/{failed.created_at:%Y/%m}/job-{failed.pk}/"
    kept = set(ResponseVersion.objects.filter(file_path__startswith=folder).values_list("file_path", flat=True))
    assert len(kept) == 2 and {path for path in stored_files(private_root) if path.startswith(folder)} == kept


@pytest.mark.django_db
def test_celery_beat_sweeps_a_failed_jobs_folder_without_waiting_for_the_next_import(cast, round_, orgs,
                                                                                   private_root, monkeypatch):
    """The expanded entries a failed job left (personal data) go within the hour: beat's task sweeps
    them, keeps what versions point at, and leaves a job still running alone."""
    from django.conf import settings
    from django.db import DatabaseError

    from survey import jobs, tasks
    from survey.services.sheets import imports

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "survey.tasks.sweep_import_folders"]
    assert entries and entries[0]["schedule"] <= 3600

    failed, _, calls = _four_sheet_job_whose_check_raises(
        cast, round_, orgs, monkeypatch, DatabaseError("the connection was lost"), on_call=3)
    real_sweep = imports._job_folder_sweep
    monkeypatch.setattr(imports, "_job_folder_sweep", lambda job: None if calls else real_sweep(job))
    jobs.run_job(failed.pk)
    monkeypatch.undo()
    failed.refresh_from_db()
    assert failed.status == Job.Status.FAILED and len(_stored(private_root, failed)) == 4

    running = Job.objects.create(kind=imports.IMPORT_KIND, status=Job.Status.RUNNING, created_by=cast["admin"])
    running_folder = private_root / imports._job_folder(running)
    running_folder.mkdir(parents=True)
    (running_folder / "entry.xlsx").write_bytes(b"being imported")

    assert tasks.import_folders_sweep_task.delay().get() == 1
    folder = f"sheets/{failed.created_at:%Y/%m}/job-{failed.pk}/"
    kept = set(ResponseVersion.objects.filter(file_path__startswith=folder).values_list("file_path", flat=True))
    assert len(kept) == 2 and {path for path in stored_files(private_root) if path.startswith(folder)} == kept
    assert (running_folder / "entry.xlsx").read_bytes() == b"being imported"
    assert tasks.import_folders_sweep_task.delay().get() == 1  # again: nothing more to remove
    assert {path for path in stored_files(private_root) if path.startswith(folder)} == kept
