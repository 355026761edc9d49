"""Fixtures of the attachment tests: private storage in a temporary folder, sample files by type."""
import io
import zipfile

import pytest

from tests.answering.conftest import (  # noqa: F401
    RESPONDENT,
    SHORT_ANSWERS,
    as_user,
    login,
    save,
    target_of,
)
from tests.cast import *  # noqa: F403

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def office_zip(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in ("[Content_Types].xml", *parts):
            archive.writestr(part, "<xml/>")
    return buffer.getvalue()


DOCX = office_zip("word/document.xml")


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT


def upload_url(round_, code="141500"):
    return f"/rounds/{round_.pk}/orgs/{code}/attachments/upload/"


def upload(client, round_, files, *, purpose="procedure_document", key="", code="141500"):
    """POST files ((name, bytes) each) to the upload URL as the edit page's form does."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = {"purpose": purpose, "followup_key": key,
            "files": [SimpleUploadedFile(name, data) for name, data in files]}
    return client.post(upload_url(round_, code), body)


def add(round_, user, name="要領.pdf", data=PDF, *, purpose="procedure_document", key="", code="141500"):
    """Attach a file through the service (test setup); returns the Attachment."""
    from survey.services.attachments import attachments_add

    outcome = attachments_add(target=target_of(round_, code), purpose=purpose, followup_key=key,
                              files=[(name, data)], acting_user=user)
    assert outcome.added, outcome
    return outcome.added[0]
