"""The error pages under config.settings.production (DEBUG off, hashed static files), in a subprocess.

The static files are collected into a temporary STATIC_ROOT first, as a deployment does, so the
pages are rendered exactly as production renders them (a missing manifest would turn every error
page into a failure of its own).
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "k" * 20 + "production-secret-with-enough-entropy-0123456789-abcdefghij",
    "ALLOWED_HOSTS": "chosa.example.go.jp",
    # Nothing listens there: the error pages need no database or Redis, and a request that does
    # need them meets a server that is down (as during a restart).
    "DATABASE_URL": "postgres://portal@127.0.0.1:9/portal?connect_timeout=2",
    "REDIS_URL": "redis://127.0.0.1:9/0",
}
SCRIPT = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
out = {"debug": settings.DEBUG}
with override_settings(ROOT_URLCONF="tests.errors.error_urls"):
    client = Client(raise_request_exception=False, HTTP_HOST="chosa.example.go.jp")
    for path in ("/no-such-page/", "/test-only/forbidden/", "/test-only/error/", "/test-only/bad-request/"):
        r = client.get(path, secure=True)
        out[path] = [r.status_code, r.content.decode()]
    # The database is down: a signed-in browser's session cannot be read.
    client = Client(raise_request_exception=False, HTTP_HOST="chosa.example.go.jp")
    client.cookies[settings.SESSION_COOKIE_NAME] = "a" * 32
    r = client.get("/", secure=True)
    out["database-down"] = [r.status_code, r.content.decode(), r.get("Retry-After")]
    client = Client(raise_request_exception=False, HTTP_HOST="chosa.example.go.jp")
    r = client.get("/test-only/cache/", secure=True)
    out["redis-down"] = [r.status_code, r.content.decode(), r.get("Retry-After")]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    static_root = tmp_path_factory.mktemp("static")
    keep = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env = {**keep, **PRODUCTION_ENV, "STATIC_ROOT": str(static_root)}
    collect = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=300)
    assert collect.returncode == 0, collect.stderr
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_production_runs_with_debug_off(pages):
    assert pages["debug"] is False


@pytest.mark.parametrize("path,status,heading", [
    ("/no-such-page/", 404, "ページが見つかりません"),
    ("/test-only/forbidden/", 403, "このページを表示する権限がありません"),
    ("/test-only/error/", 500, "システムエラーが発生しました"),
    ("/test-only/bad-request/", 400, "リクエストを処理できません"),
])
def test_each_error_page_is_japanese_under_production_settings(pages, path, status, heading):
    got_status, html = pages[path]
    assert got_status == status
    assert heading in html
    assert "ホームへ" in html
    assert "secret-detail" not in html
    assert re.search(r"/static/css/portal\.[0-9a-f]{12}\.css", html)  # hashed: the manifest was used


@pytest.mark.parametrize("case", ["database-down", "redis-down"])
def test_database_or_redis_down_gives_a_japanese_503_that_asks_to_retry(pages, case):
    """PostgreSQL or Redis restarting: 503 (a temporary state, to retry) rather than a 500."""
    status, html, retry_after = pages[case]
    assert status == 503
    assert "一時的にご利用いただけません" in html
    assert "ホームへ" in html
    assert retry_after and int(retry_after) > 0
    assert "OperationalError" not in html and "Connection" not in html and "127.0.0.1" not in html
