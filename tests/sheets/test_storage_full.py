"""The file store fills up while a sheet is being stored: a clear Japanese error, nothing half-written.

The disk runs out the way it does for real: the first bytes reach the file, then a write fails
with ENOSPC (os.fdopen of files under the private root is wrapped; everything else writes as usual).
bench/load/faults.py does the same on a full tmpfs against the production stack.
"""
import errno
import os
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from survey.models import ResponseVersion

from .conftest import VALID_ANSWERS, login, sheet_for, stored_files

pytestmark = pytest.mark.django_db


class _FillingFile:
    """A file whose disk has `room` bytes left."""

    def __init__(self, f, room: int):
        self._f, self._room = f, room

    def write(self, data):
        if len(data) > self._room:
            self._f.write(data[:self._room])
            self._f.flush()
            self._room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return self._f.write(data)

    def __getattr__(self, name):
        return getattr(self._f, name)


def _disk_full_under(root, room=1000):
    real_fdopen = os.fdopen

    def fdopen(fd, *args, **kwargs):
        f = real_fdopen(fd, *args, **kwargs)
        try:
            path = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return f
        return _FillingFile(f, room) if path.startswith(str(root)) else f

    return mock.patch.object(os, "fdopen", fdopen)


def test_sheet_upload_on_a_full_disk_says_so_and_leaves_nothing(cast, round_, orgs, private_root):
    client = login(Client(raise_request_exception=False), cast["sagamihara"])
    data = sheet_for(round_, orgs["141500"], VALID_ANSWERS)
    url = reverse("sheet_upload", kwargs={"round_id": round_.pk, "org_code": "141500"})
    private_root.mkdir(parents=True, exist_ok=True)
    with _disk_full_under(private_root):
        response = client.post(url, {"file": SimpleUploadedFile("回答シート.xlsx", data)})
    assert response.status_code == 507
    page = response.content.decode()
    assert "保存領域が不足" in page and "管理者" in page
    assert "No space" not in page and "Errno" not in page
    assert stored_files(private_root) == []  # no half-written file
    assert not ResponseVersion.objects.filter(response__organization=orgs["141500"]).exists()
    # Space again: the same upload goes through.
    response = client.post(url, {"file": SimpleUploadedFile("回答シート.xlsx", data)})
    assert response.status_code == 302
    assert ResponseVersion.objects.filter(response__organization=orgs["141500"]).count() == 1
