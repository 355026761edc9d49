"""Response headers and cookies as production serves them (config.settings.production).

The production module is loaded with a production-like environment and every setting it changes
(except the services: database, cache, broker, static storage) is applied to the running test
settings, so the real middleware stack answers as it would behind the TLS proxy.
"""
import importlib
import sys

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.cast import PASSWORD
from tests.config.test_settings import PRODUCTION_ENV
from tests.security.test_csp import EXPECTED, policy

pytestmark = pytest.mark.django_db

HOST = PRODUCTION_ENV["ALLOWED_HOSTS"]
SERVICES = {"DATABASES", "CACHES", "STORAGES", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "REDIS_URL",
            "PASSWORD_HASHERS", "LOGGING", "EMAIL_BACKEND"}


def production_settings(monkeypatch) -> dict:
    """The settings config.settings.production changes, read with a production environment."""
    for key, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, value)
    sys.modules.pop("config.settings.production", None)
    try:
        module = importlib.import_module("config.settings.production")
    finally:
        sys.modules.pop("config.settings.production", None)
    changed = {}
    for name in dir(module):
        if name.isupper() and name not in SERVICES:
            value = getattr(module, name)
            if getattr(django_settings, name, object()) != value:
                changed[name] = value
    return changed


@pytest.fixture
def production(settings, monkeypatch):
    changed = production_settings(monkeypatch)
    assert {"SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS"} <= changed.keys()
    for name, value in changed.items():
        setattr(settings, name, value)
    return settings


def https_client() -> Client:
    """A browser behind the TLS proxy (which sets X-Forwarded-Proto)."""
    return Client(HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="203.0.113.7")


def test_pages_carry_the_security_headers(production):
    response = https_client().get("/accounts/login/")
    assert response.status_code == 200
    assert policy(response) == EXPECTED
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_errors_and_reports_carry_them_too(production):
    client = https_client()
    for response in (client.get("/no-such-page/"), client.post("/csp-report/", b"junk", content_type="text/plain")):
        assert policy(response) == EXPECTED
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_plain_http_is_redirected_to_https(production):
    response = Client(HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="http").get("/accounts/login/")
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://{HOST}/accounts/login/"


def _cookie(response, name) -> dict:
    """The attributes of the cookie `name` the response sets."""
    assert name in response.cookies, f"{name} not set, only {list(response.cookies)}"
    morsel = response.cookies[name]
    return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]), "samesite": morsel["samesite"],
            "path": morsel["path"], "domain": morsel["domain"], "max-age": morsel["max-age"],
            "expires": morsel["expires"]}


# __Host- cookies must be Secure, Path=/ and without Domain, or the browser drops them.
HOST_ONLY = {"secure": True, "httponly": True, "samesite": "Lax", "path": "/", "domain": "", "max-age": "",
             "expires": ""}


def test_session_and_csrf_cookies_are_host_only_secure_and_same_site(production, sagamihara):
    client = https_client()
    login_page = client.get("/accounts/login/")
    csrf = _cookie(login_page, "__Host-csrftoken")
    assert csrf | {"max-age": "", "expires": ""} == HOST_ONLY | {"max-age": "", "expires": ""}
    response = client.post("/accounts/login/", {"username": sagamihara.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    # No max-age or expiry: the session ends with the browser (and after 30 idle minutes on the server).
    assert _cookie(response, "__Host-sessionid") == HOST_ONLY
    assert all(name.startswith("__Host-") for name in response.cookies)
