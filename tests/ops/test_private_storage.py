"""Private files go through Django's storage API (STORAGES["private"]), so another storage
(S3-compatible, django-storages) can replace the shared disk by configuration alone."""
import io
import stat
import zipfile

import pytest
from django.core.files.storage import storages
from django.http import Http404
from sheets.conftest import VALID_ANSWERS, respondent_for, sheet_for

from survey import storage
from survey.models import Job, ResponseVersion
from survey.services.attachments import attachments_add
from survey.services.sheets.imports import sheets_import_job_create
from survey.services.sheets.writing import sheets_export_job_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_memory(settings, tmp_path):
    """The private storage replaced by Django's InMemoryStorage; the disk root must stay empty."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "disk"
    settings.STORAGES = {**settings.STORAGES, "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    yield storages["private"]
    assert not (tmp_path / "disk").exists() or not any((tmp_path / "disk").rglob("*"))


def test_every_kind_of_private_file_works_on_another_storage(in_memory, cast, round_, orgs,
                                                             django_capture_on_commit_callbacks):
    from aggregation.services import export_start

    target = round_.targets.get(organization=orgs["141500"])
    added = attachments_add(target=target, purpose="procedure_document", files=[("要領.txt", b"text")],
                            acting_user=cast["sagamihara"]).added[0]
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("yokohama.xlsx", sheet_for(round_, orgs["141003"], VALID_ANSWERS,
                                               respondent_for(orgs["141003"])))
    with django_capture_on_commit_callbacks(execute=True):
        imported = sheets_import_job_create(uploads=[("返送.zip", zipped.getvalue())], acting_user=cast["admin"])
        zip_job = sheets_export_job_create(round=round_, acting_user=cast["admin"])
        export = export_start(round=round_, acting_user=cast["ministry"])

    for job in (imported, zip_job, export):
        job.refresh_from_db()
        assert job.status == Job.Status.DONE, job.messages
        assert in_memory.exists(job.result_path)
    version = ResponseVersion.objects.get(source="bulk_import")
    assert storage.private_read(version.file_path)[:2] == b"PK"
    assert storage.private_read(added.stored_path) == b"text"
    with zipfile.ZipFile(io.BytesIO(storage.private_read(zip_job.result_path))) as zf:
        assert len(zf.namelist()) == round_.targets.count()
    download = storage.private_download(export.result_path, filename="x.xlsx", content_type=storage.XLSX_TYPE)
    assert b"".join(download.streaming_content)[:2] == b"PK"


def test_files_on_disk_are_readable_by_the_owner_only(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    name = storage.private_save(b"data", folder="attachments", suffix=".TXT")
    path = tmp_path / "private" / name
    assert name.startswith("attachments/") and name.endswith(".txt")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert storage.private_read(name) == b"data"
    storage.private_delete(name)
    assert not path.exists()


def test_a_failed_output_stores_nothing(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    with pytest.raises(RuntimeError), storage.private_output(folder="exports", suffix=".xlsx") as out:
        out.path.write_bytes(b"half")
        raise RuntimeError("the build failed")
    assert out.name == ""
    assert not (tmp_path / "private").exists() or not any((tmp_path / "private").rglob("*.xlsx"))


@pytest.mark.parametrize("name", ["", "../outside.txt", "/etc/passwd", "a/../../b", "a\\..\\b"])
def test_a_name_that_could_leave_the_storage_is_a_404(settings, tmp_path, name):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    with pytest.raises(Http404):
        storage.private_download(name, filename="x", content_type="text/plain")
    with pytest.raises(Http404):
        storage.private_read(name)


def test_with_an_x_accel_prefix_nginx_sends_the_file(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.PRIVATE_X_ACCEL_PREFIX = "/_private/"
    name = storage.private_save(b"PK-data", folder="exports", suffix=".xlsx")

    response = storage.private_download(name, filename="集計表 2026.xlsx", content_type=storage.XLSX_TYPE)

    assert response["X-Accel-Redirect"] == f"/_private/{name}"
    assert response.content == b""
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''%E9%9B%86%E8%A8%88%E8%A1%A8%202026.xlsx" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_without_the_prefix_the_application_streams_the_file(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.PRIVATE_X_ACCEL_PREFIX = ""
    name = storage.private_save(b"PK-data", folder="exports", suffix=".xlsx")
    response = storage.private_download(name, filename="a.xlsx", content_type=storage.XLSX_TYPE)
    assert "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content) == b"PK-data"
