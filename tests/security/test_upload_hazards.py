"""Upload hazards over HTTP on every URL that accepts files, against a separate server process.

Each case (tests/security/hazards.py: zip bomb, many-sheets workbook, huge-dimension sheet, the
306 KB zip of 30 x 9.9 MB entries, oversize files, the attachment quota and request bound) is
POSTed to a gunicorn worker on loopback; the answer must say why in Japanese, within the case's
time, and the worker's peak RSS (VmHWM) must stay under 300 MB. Which URLs accept files is found
from the views themselves: a new upload URL fails `test_every_upload_url_is_covered` until it
has its cases here.
"""
from __future__ import annotations

import inspect
import re

import pytest
from django import forms

from tests.security.hazards import (
    CASES,
    COVERED_URLS,
    SERVER_ENV,
    Browser,
    PortalServer,
    run_case,
    session_key,
)
from tests.sweep import patterns

pytestmark = pytest.mark.django_db(transaction=True)
FILE_MARKERS = ("request.FILES", "upload_handlers", "uploads.bounded(")


def _reads_files(view, depth: int = 0) -> bool:
    """True when the view (or a function or form of its module that it names) reads uploaded files."""
    view = getattr(view, "view_class", None) or inspect.unwrap(view)
    source = inspect.getsource(view)
    if any(marker in source for marker in FILE_MARKERS):
        return True
    module = inspect.getmodule(view)
    body = source.split(":", 1)[-1] if source.lstrip().startswith(("def ", "@")) else source
    for name, obj in vars(module).items():
        if obj is view or not re.search(rf"(?<![\w.\"']){re.escape(name)}\(", body):
            continue  # only what the view calls or instantiates
        if isinstance(obj, type) and issubclass(obj, forms.BaseForm):
            if any(isinstance(f, forms.FileField) for f in obj.base_fields.values()):
                return True
        elif depth < 2 and inspect.isfunction(obj) and obj.__module__ == module.__name__:
            if _reads_files(obj, depth + 1):
                return True
    return False


def test_every_upload_url_is_covered():
    accepting = {name for name, pattern in patterns() if _reads_files(pattern.callback)}
    assert accepting == COVERED_URLS, f"URLs that accept files: {sorted(accepting)}; covered: {sorted(COVERED_URLS)}"


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    from django.db import connection

    from tests.conftest import _test_database_url
    from tests.infra.requirements import require

    require("postgres")  # the server is another process: it must share the test database

    storage = tmp_path_factory.mktemp("hazard-private")
    env = {**SERVER_ENV, "DATABASE_URL": _test_database_url(connection.settings_dict),
           "PRIVATE_STORAGE_ROOT": str(storage)}
    log = tmp_path_factory.mktemp("hazard-log") / "gunicorn.log"
    with PortalServer(env, log) as running:
        yield running


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_upload_hazard(case, server, cast, round_, tmp_path):
    browser = Browser(server, session_key(cast[case.role]))
    reply, measured = run_case(server, case, browser, round_.pk, tmp_path)
    assert case.expect in reply.body, f"{case.name}: HTTP {reply.status} {reply.location}\n{reply.body[:3000]}"
    assert measured.seconds < case.seconds, f"{case.name}: {measured.seconds:.1f} s"
    assert measured.peak_mb < case.peak_mb, f"{case.name}: peak RSS {measured.peak_mb:.0f} MB"
