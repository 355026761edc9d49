"""At most LOGIN_FAILURE_LIMIT (10) wrong passwords per account per hour."""
import datetime as dt

import pytest
from django.contrib.auth import SESSION_KEY, authenticate
from django.core import mail
from django.utils import timezone

from survey.auth import LoginThrottled, ThrottledEmailBackend, recent_failures
from survey.models import AuditLog, LoginFailure
from tests.cast import PASSWORD

pytestmark = pytest.mark.django_db
WRONG = "wrong-password-123"
THROTTLED = "パスワードの誤りが続いたため"


def _fail(client, login_form, email, times):
    for _ in range(times):
        login_form(client, email, WRONG)


def test_nine_wrong_passwords_still_allow_the_correct_one(client, sagamihara, login_form):
    _fail(client, login_form, sagamihara.email, 9)
    login_form(client, sagamihara.email)
    assert client.session[SESSION_KEY] == str(sagamihara.pk)


def test_eleventh_attempt_in_an_hour_is_refused_even_if_correct(client, sagamihara, login_form):
    _fail(client, login_form, sagamihara.email, 10)
    response = login_form(client, sagamihara.email)
    assert SESSION_KEY not in client.session
    body = response.content.decode()
    assert THROTTLED in body and "パスワードを忘れた場合" in body


def test_the_limit_is_read_from_the_settings(client, sagamihara, login_form, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    _fail(client, login_form, sagamihara.email, 3)
    assert THROTTLED in login_form(client, sagamihara.email).content.decode()


def test_failures_older_than_an_hour_do_not_count(client, sagamihara, login_form):
    old = timezone.now() - dt.timedelta(hours=1, minutes=1)
    LoginFailure.objects.bulk_create([LoginFailure(email=sagamihara.email, at=old) for _ in range(10)])
    login_form(client, sagamihara.email)
    assert client.session[SESSION_KEY] == str(sagamihara.pk)


def test_refusals_while_throttled_are_audited_but_not_counted(client, sagamihara, login_form):
    _fail(client, login_form, sagamihara.email, 10)
    login_form(client, sagamihara.email)
    assert recent_failures(sagamihara.email) == 10
    row = AuditLog.objects.filter(action=AuditLog.Action.LOGIN_FAILED).first()
    assert row.details["reason"] == "throttled" and row.actor == sagamihara


def test_unknown_addresses_are_throttled_alike_so_accounts_cannot_be_discovered(client, login_form):
    _fail(client, login_form, "nobody@example.jp", 10)
    assert THROTTLED in login_form(client, "nobody@example.jp", WRONG).content.decode()


def test_throttle_is_per_account(client, sagamihara, yokohama, login_form):
    _fail(client, login_form, sagamihara.email, 10)
    login_form(client, yokohama.email)
    assert client.session[SESSION_KEY] == str(yokohama.pk)


def test_the_backend_refuses_any_caller_once_throttled(sagamihara):
    LoginFailure.objects.bulk_create([LoginFailure(email=sagamihara.email) for _ in range(10)])
    with pytest.raises(LoginThrottled):
        ThrottledEmailBackend().authenticate(None, username=sagamihara.email, password=PASSWORD)
    # django.contrib.auth.authenticate() turns that refusal into None for every caller.
    assert authenticate(None, username=sagamihara.email, password=PASSWORD) is None


def test_password_reset_still_works_and_clears_the_failures(client, sagamihara, login_form):
    _fail(client, login_form, sagamihara.email, 10)
    client.post("/accounts/password-reset/", {"email": sagamihara.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password-reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    new = "a-brand-new-passphrase-42"
    client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert recent_failures(sagamihara.email) == 0
    login_form(client, sagamihara.email, new)
    assert client.session[SESSION_KEY] == str(sagamihara.pk)
