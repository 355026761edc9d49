"""Fixtures shared by every test folder: a real Celery worker, Playwright pages, axe checks.

Nothing from the project's apps is imported at module level, so pure tests (tests/engine)
never pay for, or break on, the Django models.

- `celery_worker_process`, `real_celery`: a real `celery -A config worker` on the test database.
- `live_browser`, `page`: headless Debian Chromium through Playwright, one context per test,
  locale ja-JP, base URL = pytest-django's `live_server`; screenshot on failure; any
  Content-Security-Policy violation fails the test. Tests using them are marked `browser` and
  run last.
- `assert_accessible` (fixture and function): axe-core, failing on serious/critical violations.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.infra.requirements import CHROMIUM_PATH, require, services_required

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = Path(os.environ.get("TEST_ARTIFACTS_DIR", "/tmp/test-artifacts"))
# Without the background-networking flags Chromium keeps dialling out through a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
WORKER_START_TIMEOUT = 60  # seconds; a cold start imports Django and the project once


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run browser tests last (after pytest-django's own ordering), marked `browser`.

    While Playwright is started its event loop stays running in the main thread, so every later
    test would look async to Django: keeping the browser tests at the end confines that (and
    DJANGO_ALLOW_ASYNC_UNSAFE, see `live_browser`) to them.
    """
    browser = [item for item in items if "live_browser" in item.fixturenames]
    for item in browser:
        item.add_marker(pytest.mark.browser)
    items[:] = [item for item in items if "live_browser" not in item.fixturenames] + browser


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell whether the test failed.

    Under REQUIRE_SERVICES=1 (scripts/test) a skip is a failure, whoever skipped: the suite
    cannot pass by skipping (tests/infra/requirements.py).
    """
    report = yield
    _no_skip(report)
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A module skipped at collection is a failure under REQUIRE_SERVICES=1 too."""
    report = yield
    _no_skip(report)
    return report


def _no_skip(report) -> None:
    if services_required() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under REQUIRE_SERVICES=1 (scripts/test): {reason}"


@pytest.fixture(scope="session", autouse=True)
def _test_settings():
    """Settings every test wants; a test can still override them with pytest-django's `settings`.

    - static files without the collectstatic manifest (tests run with DEBUG=False);
    - a fast password hasher: Argon2 costs ~0.1 s and 100 MB per hash, seconds per cast;
    - the mail rate limits counted in process memory, emptied after every test
      (`_fresh_rate_limits`); axes' lock-outs are database rows, gone with each test's
      transaction (or flushed after a transactional test).
    """
    from django.conf import settings
    from django.test import override_settings

    storages = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    caches = {**settings.CACHES, "ratelimit": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-ratelimit"}}
    with override_settings(STORAGES=storages, CACHES=caches,
                           PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """No test sees another's mail-limit counts (survey/ratelimit.py)."""
    yield
    if "django.core.cache" in sys.modules:
        from django.core.cache import caches

        caches["ratelimit"].clear()


@pytest.fixture(scope="session", autouse=True)
def _force_login_includes_the_second_factor():
    """`Client.force_login(user)` signs `user` in fully: for a user who owes a second factor
    (ministry, admin, an enrolled officer) the session is also marked verified with the cast's
    TOTP device, as tests.cast.signed_in does. force_login skips authentication; it skips both
    factors alike, so that every test's own login helper keeps working. Tests of the second
    factor itself sign in through the login form (tests.cast.post_login) instead.
    """
    from django.test.client import ClientMixin

    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        from tests.cast import verify_session

        verify_session(self, user)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ClientMixin, "force_login", force_login)
        yield


# --- Celery ---------------------------------------------------------------------------------


def _test_database_url(settings_dict: dict) -> str:
    """DATABASE_URL pointing at the database pytest-django created (test_<name>)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + settings_dict["NAME"]))


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup) -> Iterator[str]:
    """A real `celery -A config worker` subprocess on the test database; yields its node name.

    Needs REDIS_URL (scripts/test sets it) and PostgreSQL, since the worker is another process
    and must see the same database. Tests that hand it work must commit their data: use
    `real_celery`, which is transactional.
    """
    require("celery")
    from django.db import connection

    node = f"pytest-{uuid.uuid4().hex[:8]}@%h"
    log_path = ARTIFACTS_DIR / "celery-worker.log"
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(connection.settings_dict),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the worker has no event loop to excuse
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
               "--concurrency=1", "-Q", "celery", "-n", node, "--without-gossip",
               "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        nodename = _wait_for_worker(process, node.replace("%h", _hostname()), log_path)
        yield nodename
    finally:
        _stop(process)


def _hostname() -> str:
    import socket

    return socket.gethostname()


def _wait_for_worker(process: subprocess.Popen, nodename: str, log_path: Path) -> str:
    """Block until the worker answers a control ping (the API behind `celery inspect ping`)."""
    from config.celery import app

    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Celery worker exited with {process.returncode}:\n{_tail(log_path)}")
        if app.control.ping(destination=[nodename], timeout=0.5):
            return nodename
    _stop(process)
    pytest.fail(f"Celery worker did not answer ping in {WORKER_START_TIMEOUT}s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def real_celery(celery_worker_process, transactional_db) -> Iterator[str]:
    """Send tasks to the real worker for this test (not eager); yields the worker's node name."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield celery_worker_process
    finally:
        app.conf.task_always_eager = previous


# --- Playwright -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_browser():
    """Headless Debian Chromium (Playwright's own browser downloads are not reachable here).

    Sets DJANGO_ALLOW_ASYNC_UNSAFE while it lives: Playwright's sync API keeps an event loop
    running in the main thread, and Django would otherwise refuse the (synchronous) tests' ORM
    calls. Only browser tests run after it starts (pytest_collection_modifyitems); the variable
    is never set for the rest, because `check --deploy` rejects it in a subprocess's env.
    """
    require("chromium")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(request, live_browser, live_server):
    """A page in a fresh ja-JP browser context whose base URL is the live server.

    `page.goto("/accounts/login/")` works. On failure a full-page screenshot goes to
    TEST_ARTIFACTS_DIR (default /tmp/test-artifacts). Every Content-Security-Policy violation
    in the context is collected (`page.csp_violations`); any left at teardown fail the test.
    """
    context = live_browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo",
                                       base_url=live_server.url)
    context.set_default_timeout(10_000)
    violations = watch_csp(context)
    page = context.new_page()
    page.csp_violations = violations
    try:
        yield page
    finally:
        if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
            _screenshot(page, request.node.nodeid)
        context.close()
    if violations:
        pytest.fail(f"{len(violations)} Content-Security-Policy violation(s):\n" + "\n".join(violations),
                    pytrace=False)


# Runs in every document before its own scripts; an init script is exempt from the page's CSP.
CSP_LISTENER = """document.addEventListener("securitypolicyviolation", (e) => {
  window.__portalCspViolation([e.effectiveDirective, e.blockedURI, e.documentURI,
                               e.sourceFile + ":" + e.lineNumber, e.sample].join(" | "));
}, true);"""


def watch_csp(context) -> list[str]:
    """Collect the CSP violations of every page of `context`: the securitypolicyviolation events
    and the console's CSP errors ("Refused to …" in older Chromium, "… violates the following
    Content Security Policy directive …" now), which also cover what no event reports."""
    violations: list[str] = []
    context.expose_binding("__portalCspViolation", lambda source, text: violations.append(f"event: {text}"))
    context.add_init_script(CSP_LISTENER)

    def on_console(message):
        text = message.text
        if message.type == "error" and (text.startswith("Refused to") or "Content Security Policy" in text):
            violations.append(f"console: {text} ({message.page.url if message.page else ''})")

    context.on("console", on_console)
    return violations


def _screenshot(page, nodeid: str) -> None:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / (re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid) + ".png")
    try:
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
    except Exception as exc:  # the test already failed; a missing screenshot must not hide why
        print(f"screenshot failed: {exc}")


def assert_accessible(page, *, impacts=("critical", "serious")) -> None:
    """Run axe-core on the page as it is now; fail listing every violation of these impacts."""
    from axe_playwright_python.sync_playwright import Axe

    violations = [v for v in Axe().run(page).response["violations"] if v.get("impact") in impacts]
    if violations:
        lines = [f"{len(violations)} accessibility violation(s) on {page.url}:"]
        for v in violations:
            lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
            lines.extend(f"    at {node['target']}" for node in v["nodes"])
        pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture(name="assert_accessible")
def assert_accessible_fixture():
    """`assert_accessible(page)` as a fixture, so test modules need not import conftest."""
    return assert_accessible
