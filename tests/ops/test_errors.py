"""Error reporting is off unless SENTRY_DSN is set, and sends no personal data when on."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sentry_sdk
from django.test import Client
from django.urls import path
from sentry_sdk.transport import Transport

from config.errors import sentry_options

ROOT = Path(__file__).resolve().parents[2]


def _boom(request):
    secret = "".join(["CAN", "ARY-LOCAL"])  # noqa: F841  (must not be sent: locals are off; the
    # source lines around the error are sent, so the canary is not written out whole here)
    raise RuntimeError("the view failed")


urlpatterns = [path("ops/boom/", _boom)]


class Captured(Transport):
    envelopes: list = []

    def capture_envelope(self, envelope):
        Captured.envelopes.append(envelope)


def test_without_sentry_dsn_nothing_is_started():
    env = {k: v for k, v in os.environ.items() if k != "SENTRY_DSN"}
    code = "import django; django.setup(); from django.conf import settings; print(settings.SENTRY_ENABLED)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


def test_with_sentry_dsn_reporting_starts_without_personal_data(monkeypatch):
    monkeypatch.setenv("SENTRY_DSN", "https://public@sentry.example.go.jp/1")
    options = sentry_options("https://public@sentry.example.go.jp/1")
    assert options["send_default_pii"] is False
    assert options["max_request_body_size"] == "never"
    assert options["include_local_variables"] is False


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_view_error_is_reported_without_body_cookies_or_locals(settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    Captured.envelopes = []
    sentry_sdk.init(**{**sentry_options("https://public@sentry.example.go.jp/1"), "transport": Captured})
    try:
        client = Client(raise_request_exception=False)
        client.cookies["sessionid"] = "CANARY-COOKIE"
        response = client.post("/ops/boom/?q=CANARY-QUERY", {"answer": "CANARY-ANSWER"})
        sentry_sdk.flush()
    finally:
        sentry_sdk.init()  # no DSN: reporting off again
    assert response.status_code == 500
    sent = b"".join(item.get_bytes() for envelope in Captured.envelopes for item in envelope.items)
    assert b"the view failed" in sent
    assert b"CANARY" not in sent
