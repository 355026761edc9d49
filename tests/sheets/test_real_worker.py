"""The bulk import job end to end through a REAL Celery worker (Redis broker, PostgreSQL)."""
import io
import time
import zipfile

import pytest
from django.conf import settings
from django.urls import reverse

from survey.models import Job, ResponseVersion
from survey.services.sheets import sheets_import_job_create

from .conftest import VALID_ANSWERS, login, sheet_for

pytestmark = pytest.mark.worker


def _wait_for(job, seconds=90):
    deadline, seen = time.monotonic() + seconds, set()
    while time.monotonic() < deadline:
        job.refresh_from_db()
        seen.add((job.status, job.progress))
        if job.is_finished:
            return seen
        time.sleep(0.1)
    pytest.fail(f"job {job.pk} not finished after {seconds}s: {job.status} {job.progress}/{job.total}")


def _cleanup(job):
    from survey import storage

    for path in [job.result_path, *(u["path"] for u in job.params.get("uploads", []))]:
        storage.private_delete(path)
    for version in ResponseVersion.objects.exclude(file_path=""):
        storage.private_delete(version.file_path)


def test_bulk_import_runs_on_the_real_worker(real_celery, client, cast, round_, orgs):
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        for code in ("131016", "141003", "141500", "142042"):
            zf.writestr(f"{code}.xlsx", sheet_for(round_, orgs[code], VALID_ANSWERS))
        zf.writestr("broken.xlsx", b"not a workbook")
    job = sheets_import_job_create(uploads=[("返送分.zip", zipped.getvalue())], acting_user=cast["admin"])
    try:
        seen = _wait_for(job)
        assert job.status == Job.Status.DONE, job.messages
        assert (job.progress, job.total) == (5, 5) and job.attempts == 1
        assert job.result["summary"] == {"imported": 4, "rejected": 1, "duplicate": 0, "skipped": 0}
        assert ResponseVersion.objects.filter(created_by=cast["admin"]).count() == 4
        assert any(status == Job.Status.RUNNING or status == Job.Status.PENDING for status, _ in seen)
        login(client, cast["admin"])
        status = client.get(reverse("job_status", kwargs={"job_id": job.pk})).json()
        assert status["finished"] and status["percent"] == 100
        assert client.get(status["download_url"]).status_code == 200
        assert str(settings.PRIVATE_STORAGE_ROOT)  # the worker and this process share the same root
    finally:
        _cleanup(job)
