"""Logging in with e-mail and password, and logging out."""
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import identify_hasher

from survey.models import AuditLog
from tests.cast import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_has_labelled_email_and_password_fields(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'for="id_username"' in html and "メールアドレス" in html
    assert 'for="id_password"' in html and "パスワード" in html
    assert "パスワードを忘れた場合" in html


def test_correct_password_logs_in_and_redirects_home(client, sagamihara, login_form):
    response = login_form(client, sagamihara.email)
    assert response.status_code == 302 and response.url == "/"
    assert client.session[SESSION_KEY] == str(sagamihara.pk)


def test_login_rotates_the_session_key(client, sagamihara, login_form):
    client.get("/accounts/login/")
    session = client.session
    session["before_login"] = True
    session.save()
    key_before = client.session.session_key
    login_form(client, sagamihara.email)
    assert client.session.session_key != key_before
    assert client.session[SESSION_KEY] == str(sagamihara.pk)


def test_login_stamps_the_login_time_for_the_12_hour_limit(client, sagamihara, login_form):
    before = time.time()
    login_form(client, sagamihara.email)
    assert before <= client.session["portal_login_at"] <= time.time()


def test_email_is_matched_whatever_its_case(client, sagamihara, login_form):
    login_form(client, "  Officer@City.Sagamihara.Example.JP ")
    assert client.session[SESSION_KEY] == str(sagamihara.pk)


def test_wrong_password_is_refused_with_a_japanese_message(client, sagamihara, login_form):
    response = login_form(client, sagamihara.email, "wrong-password-123")
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert "メールアドレスまたはパスワードが正しくありません。" in response.content.decode()


def test_deactivated_account_cannot_log_in(client, sagamihara, login_form):
    sagamihara.is_active = False
    sagamihara.save()
    response = login_form(client, sagamihara.email)
    assert SESSION_KEY not in client.session
    assert response.status_code == 200


def test_successful_login_is_audited_with_address_and_browser(client, sagamihara, login_form, browser):
    login_form(client, sagamihara.email)
    row = AuditLog.objects.get(action=AuditLog.Action.LOGIN)
    assert row.actor == sagamihara and row.organization == sagamihara.organization
    assert row.ip == browser["REMOTE_ADDR"] and row.user_agent == browser["HTTP_USER_AGENT"]


def test_wrong_password_is_audited_with_the_account(client, sagamihara, login_form, browser):
    login_form(client, sagamihara.email, "wrong-password-123")
    row = AuditLog.objects.get(action=AuditLog.Action.LOGIN_FAILED)
    assert row.actor == sagamihara and row.details["reason"] == "wrong_password"
    assert row.ip == browser["REMOTE_ADDR"] and row.user_agent == browser["HTTP_USER_AGENT"]


def test_unknown_email_is_audited_without_actor_but_with_the_address(client, login_form):
    login_form(client, "nobody@example.jp", "whatever-password")
    row = AuditLog.objects.get(action=AuditLog.Action.LOGIN_FAILED)
    assert row.actor is None
    assert row.details == {"email": "nobody@example.jp", "reason": "unknown_email"}
    assert row.actor_label == "nobody@example.jp"


def test_logout_is_post_only(client, sagamihara, login_as):
    login_as(client, sagamihara)
    assert client.get("/accounts/logout/").status_code == 405
    assert SESSION_KEY in client.session


def test_logout_ends_the_session_and_is_audited(client, sagamihara, login_as, browser):
    login_as(client, sagamihara)
    response = client.post("/accounts/logout/", **browser)
    assert response.status_code == 302 and response.url == "/accounts/login/"
    assert SESSION_KEY not in client.session
    row = AuditLog.objects.get(action=AuditLog.Action.LOGOUT)
    assert row.actor == sagamihara and row.ip == browser["REMOTE_ADDR"]


def test_passwords_are_stored_with_argon2(settings, sagamihara):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    sagamihara.set_password(PASSWORD)
    sagamihara.save()
    assert identify_hasher(sagamihara.password).algorithm == "argon2"
