"""Smoke tests proving that the test suite runs on the real parts, not stand-ins.

Under scripts/test (and so in CI) every one of these must pass: with REQUIRE_SERVICES=1 a missing
service fails instead of skipping (tests/infra/requirements.py). Run alone with
`scripts/test tests/infra`.
"""
from __future__ import annotations

import os
import subprocess
import time

import pytest
from django.http import HttpResponse
from django.urls import path

from tests.infra.requirements import require

SMOKE_PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>動作確認 - 調査回答ポータル</title></head>
<body><main><h1>調査回答ポータル</h1>
<p>都道府県・市区町村の回答状況を確認します。</p>
<form><label for="org">組織名</label><input id="org" name="org" value="札幌市">
<button type="submit">送信</button></form></main></body></html>"""

BROKEN_PAGE = """<!doctype html><html><body><img src="x.png"><input name="q"></body></html>"""


def _html(body: str):
    return lambda request: HttpResponse(body)


# This module is its own URLconf (pytest.mark.urls), so the browser smoke test depends on no
# project view.
urlpatterns = [
    path("infra/smoke/", _html(SMOKE_PAGE)),
    path("infra/broken/", _html(BROKEN_PAGE)),
]


def test_database_is_postgresql(db):
    from django.db import connection

    require("postgres")
    assert connection.vendor == "postgresql"
    assert connection.pg_version >= 150000
    assert connection.settings_dict["NAME"].startswith("test_")


def test_redis_answers_ping():
    import redis

    require("redis")
    assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping() is True


def test_celery_uses_redis_broker():
    from config.celery import app

    require("redis")
    assert app.conf.broker_url == os.environ["REDIS_URL"]


@pytest.mark.worker
def test_task_round_trip_through_real_worker(real_celery):
    """A built-in task goes through Redis to the worker process, which reports it done."""
    from config.celery import app

    assert app.control.ping(destination=[real_celery], timeout=2)
    app.send_task("celery.accumulate", args=[1, 2])
    deadline = time.monotonic() + 20
    done = 0
    while time.monotonic() < deadline and not done:
        stats = app.control.inspect(destination=[real_celery], timeout=1).stats() or {}
        done = stats.get(real_celery, {}).get("total", {}).get("celery.accumulate", 0)
    assert done >= 1


def test_japanese_fonts_installed():
    require("fonts")
    families = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True,
                              check=True).stdout
    assert "Noto Sans CJK JP" in families


def test_libreoffice_converts_csv_to_xlsx(tmp_path):
    import openpyxl

    require("libreoffice")
    source = tmp_path / "回答.csv"
    source.write_text("組織名,回答\n札幌市,1\n", encoding="utf-8")
    profile = (tmp_path / "lo-profile").as_uri()  # a private profile: no clash with other runs
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx",
         "--infilter=CSV:44,34,76", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=120,
    )
    sheet = openpyxl.load_workbook(tmp_path / "回答.xlsx").active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["組織名", "回答"], ["札幌市", 1]]


@pytest.mark.browser
@pytest.mark.urls(__name__)
def test_browser_renders_live_server_page(page, assert_accessible):
    page.goto("/infra/smoke/")
    assert page.locator("h1").inner_text() == "調査回答ポータル"
    assert page.evaluate("navigator.language") == "ja-JP"
    assert_accessible(page)
    artifacts = os.environ.get("TEST_ARTIFACTS_DIR", "/tmp/test-artifacts")
    os.makedirs(artifacts, exist_ok=True)
    page.screenshot(path=os.path.join(artifacts, "infra-smoke.png"))


@pytest.mark.browser
@pytest.mark.urls(__name__)
def test_assert_accessible_reports_violations(page, assert_accessible):
    page.goto("/infra/broken/")
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_accessible(page)
    message = str(failure.value)
    assert "image-alt" in message and "label" in message
