"""Shared by the accounts tests: the cast, a fast hasher and a real login helper."""
import time

import pytest

from tests.cast import (  # noqa: F401  (the fixed cast, until tests/conftest.py loads it as a plugin)
    PASSWORD,
    admin_user,
    cast,
    chiyoda,
    kanagawa,
    ministry,
    orgs,
    sagamihara,
    tokyo,
    yokohama,
)

BROWSER = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": "Mozilla/5.0 (テスト用ブラウザ)"}


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    """Argon2 costs 100 MB and ~0.1 s per hash; these tests are about accounts, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def signed_in(client, user):
    """`client` with a session of `user` as a real login leaves it (with the login time)."""
    client.force_login(user)
    session = client.session
    session["portal_login_at"] = time.time()
    session.save()
    return client


def post_login(client, email, password=PASSWORD, **extra):
    """Submit the login form as a browser would."""
    return client.post("/accounts/login/", {"username": email, "password": password}, **{**BROWSER, **extra})


@pytest.fixture
def browser():
    """The address and user agent the test client claims (checked in the audit rows)."""
    return dict(BROWSER)


@pytest.fixture
def login_as():
    """login_as(client, user): a signed-in client, without going through the login form."""
    return signed_in


@pytest.fixture
def login_form():
    """login_form(client, email, password=PASSWORD): POST the login form."""
    return post_login
