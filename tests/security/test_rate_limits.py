"""Password guessing is limited per account+IP and per IP; nobody can lock a real officer out.

- wrong passwords for one account from one address lock that pair (LOGIN_FAILURE_LIMIT), also
  for the right password, until LOGIN_LOCKOUT_MINUTES after the last counted failure;
- one address failing on many accounts is stopped at LOGIN_FAILURE_LIMIT_PER_IP;
- the same account from another address is not affected: an attacker cannot lock an officer out;
- the message says, in Japanese, from when to try again; refusals are audited;
- password-reset and invitation mails are limited per address and per IP.
"""
import datetime as dt
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.utils import timezone

from survey.models import AuditLog
from tests.cast import BROWSER

pytestmark = pytest.mark.django_db
A = AuditLog.Action
WRONG = "wrong-password-123"
ATTACKER = "198.51.100.66"
LOCKED = "ログインの失敗が続いたため"
RETRY = re.compile(r"(\d{1,2})月(\d{1,2})日 (\d{2}):(\d{2}) 以降")


def _post(client, email, password=WRONG, ip=ATTACKER, **extra):
    return client.post("/accounts/login/", {"username": email, "password": password},
                       REMOTE_ADDR=ip, HTTP_USER_AGENT=BROWSER["HTTP_USER_AGENT"], **extra)


def _fail(email, times, ip=ATTACKER, **extra):
    client = Client()
    for _ in range(times):
        _post(client, email, ip=ip, **extra)


def _signs_in(user, ip=BROWSER["REMOTE_ADDR"]) -> bool:
    client = Client()
    _post(client, user.email, password="correct-horse-battery-staple-1", ip=ip)
    return client.session.get(SESSION_KEY) == str(user.pk)


def _retry_at(body: str) -> dt.datetime:
    month, day, hour, minute = map(int, RETRY.search(body).groups())
    now = timezone.localtime()
    return now.replace(month=month, day=day, hour=hour, minute=minute, second=0, microsecond=0)


# --- per account and IP --------------------------------------------------------------------------


def test_an_attacker_failing_from_one_address_does_not_lock_the_officer_out(sagamihara, settings):
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT * 3)
    assert _signs_in(sagamihara)


def test_the_attacking_pair_is_locked_even_with_the_right_password(sagamihara, settings):
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT)
    assert not _signs_in(sagamihara, ip=ATTACKER)


def test_the_limit_is_reached_only_at_the_configured_count(sagamihara, settings):
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT - 1)
    assert _signs_in(sagamihara, ip=ATTACKER)


def test_the_message_says_in_japanese_when_to_try_again(sagamihara, settings):
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT)
    response = _post(Client(), sagamihara.email, password="correct-horse-battery-staple-1")
    body = response.content.decode()
    assert response.status_code == 429 and LOCKED in body and "パスワードを忘れた場合" in body
    expected = timezone.localtime() + dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    assert abs(_retry_at(body) - expected) < dt.timedelta(minutes=2)


def test_the_attempt_that_reaches_the_limit_already_says_so(sagamihara, settings):
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT - 1)
    assert RETRY.search(_post(Client(), sagamihara.email).content.decode())


def test_refusals_while_locked_do_not_push_the_time_back(sagamihara, settings):
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT)
    first = _post(Client(), sagamihara.email).content.decode()
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=5))
    later = _post(Client(), sagamihara.email).content.decode()
    assert _retry_at(later) <= _retry_at(first) - dt.timedelta(minutes=4)


def test_the_lock_ends_after_the_cool_off(sagamihara, settings):
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT)
    from axes.models import AccessAttempt

    past = timezone.now() - dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES, seconds=1)
    AccessAttempt.objects.update(attempt_time=past)
    assert _signs_in(sagamihara, ip=ATTACKER)


def test_case_and_spaces_do_not_make_another_account(sagamihara, settings):
    for variant in [sagamihara.email.upper(), f" {sagamihara.email} ", sagamihara.email.title()]:
        _fail(variant, settings.LOGIN_FAILURE_LIMIT // 3 + 1)
    assert not _signs_in(sagamihara, ip=ATTACKER)


def test_unknown_addresses_are_locked_alike_so_accounts_cannot_be_discovered(settings):
    _fail("nobody@example.jp", settings.LOGIN_FAILURE_LIMIT)
    assert LOCKED in _post(Client(), "nobody@example.jp").content.decode()


@pytest.mark.parametrize("username", ["a" * 300 + "@example.jp", "officer\x00@example.jp", "", "x" * 254])
def test_odd_account_names_are_no_500(username):
    response = _post(Client(), username)
    assert response.status_code == 200


def test_an_over_long_name_through_authenticate_is_counted_and_audited():
    from axes.models import AccessAttempt
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=ATTACKER)
    assert authenticate(request, username="a" * 400 + "@example.jp", password=WRONG) is None
    assert AccessAttempt.objects.get().ip_address == ATTACKER
    assert AuditLog.objects.get(action=A.LOGIN_FAILED).details["reason"] == "unknown_email"


def test_refusals_while_locked_are_audited_with_the_address(sagamihara, settings):
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT)
    _post(Client(), sagamihara.email, password="correct-horse-battery-staple-1")
    row = AuditLog.objects.filter(action=A.LOGIN_FAILED).first()
    assert row.details["reason"] == "locked" and row.actor == sagamihara and row.ip == ATTACKER


def test_password_reset_clears_the_locks_of_the_account(client, sagamihara, settings):
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT)
    client.post("/accounts/password-reset/", {"email": sagamihara.email}, REMOTE_ADDR=ATTACKER)
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password-reset/" in line)
    response = client.get("/" + link.split("://", 1)[1].split("/", 1)[1], follow=True)
    new = "a-brand-new-passphrase-42"
    client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    _post(client, sagamihara.email, password=new)
    assert client.session[SESSION_KEY] == str(sagamihara.pk)


# --- per IP --------------------------------------------------------------------------------------


def test_one_address_trying_many_accounts_is_stopped(sagamihara, yokohama, settings):
    for n in range(settings.LOGIN_FAILURE_LIMIT_PER_IP):
        _fail(f"guess{n}@city.example.jp", 1)
    response = _post(Client(), yokohama.email, password="correct-horse-battery-staple-1")
    assert response.status_code == 429 and RETRY.search(response.content.decode())
    assert _signs_in(sagamihara)  # another address is not affected


def test_the_address_limit_is_higher_than_the_account_limit(settings):
    # an office behind one NAT address must survive several officers mistyping at once
    assert settings.LOGIN_FAILURE_LIMIT_PER_IP >= 3 * settings.LOGIN_FAILURE_LIMIT


def test_forged_forwarded_headers_do_not_spread_the_count(yokohama, settings):
    for n in range(settings.LOGIN_FAILURE_LIMIT_PER_IP):
        _fail(f"guess{n}@city.example.jp", 1, HTTP_X_FORWARDED_FOR=f"192.0.2.{n % 250}")
    assert not _signs_in(yokohama, ip=ATTACKER)


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(yokohama, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.LOGIN_FAILURE_LIMIT_PER_IP):
        _fail(f"guess{n}@city.example.jp", 1, ip="10.0.0.2",
              HTTP_X_FORWARDED_FOR=f"192.0.2.{n % 250}, {ATTACKER}")
    client = Client()
    _post(client, yokohama.email, password="correct-horse-battery-staple-1", ip="10.0.0.2",
          HTTP_X_FORWARDED_FOR=ATTACKER)
    assert SESSION_KEY not in client.session
    # the proxy itself is not locked: other clients behind it still sign in
    _post(client, yokohama.email, password="correct-horse-battery-staple-1", ip="10.0.0.2",
          HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert client.session[SESSION_KEY] == str(yokohama.pk)


def test_ipv6_addresses_of_one_subscriber_count_as_one(sagamihara, settings):
    for n in range(settings.LOGIN_FAILURE_LIMIT):  # a new address of the same /64 each time
        _fail(sagamihara.email, 1, ip=f"2001:db8:1:2::{n + 1:x}")
    assert not _signs_in(sagamihara, ip="2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert _signs_in(sagamihara, ip="2001:db8:1:3::1")


@pytest.mark.parametrize("forwarded", ["not-an-ip", "' OR 1=1 --", "1.2.3.4:80"])
@pytest.mark.parametrize("trusted", [0, 1])
def test_a_malformed_forwarded_header_is_still_counted_on_the_real_address(
        sagamihara, settings, forwarded, trusted):
    settings.TRUSTED_PROXY_COUNT = trusted
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT, HTTP_X_FORWARDED_FOR=forwarded)
    assert AuditLog.objects.filter(action=A.LOGIN_FAILED, ip=ATTACKER).count() >= settings.LOGIN_FAILURE_LIMIT
    assert not _signs_in(sagamihara, ip=ATTACKER)


# --- mails sent on request -----------------------------------------------------------------------


def _reset(client, email, ip=BROWSER["REMOTE_ADDR"]):
    return client.post("/accounts/password-reset/", {"email": email}, REMOTE_ADDR=ip)


def test_password_reset_mails_to_one_address_are_limited(client, sagamihara, settings):
    limit = settings.MAIL_RATE_LIMITS["password_reset_address"][0]
    for n in range(limit):
        _reset(client, sagamihara.email, ip=f"192.0.2.{n + 1}")
    response = _reset(client, sagamihara.email, ip="192.0.2.200")
    assert len(mail.outbox) == limit
    assert response.status_code == 200 and RETRY.search(response.content.decode())


def test_password_reset_requests_from_one_address_are_limited(client, sagamihara, settings):
    limit = settings.MAIL_RATE_LIMITS["password_reset_ip"][0]
    for n in range(limit):
        _reset(client, f"someone{n}@city.example.jp")
    response = _reset(client, sagamihara.email)
    assert mail.outbox == [] and RETRY.search(response.content.decode())
    _reset(client, sagamihara.email, ip="192.0.2.9")  # another address is not affected
    assert len(mail.outbox) == 1


def test_invitation_mails_to_one_address_are_limited(client, admin_user, login_as, settings,
                                                     django_capture_on_commit_callbacks):
    from survey.models import User

    login_as(client, admin_user)
    limit = settings.MAIL_RATE_LIMITS["invitation_address"][0]
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/manage/users/invite/", {"email": "new@example.jp", "name": "新人", "role": "ministry"})
        account = User.objects.get(email="new@example.jp")
        for _ in range(limit):  # the first invitation counts as well
            response = client.post(f"/manage/users/{account.pk}/resend-invitation/", follow=True)
    assert len(mail.outbox) == limit and RETRY.search(response.content.decode())


def test_invitation_mails_from_one_address_are_limited(client, admin_user, login_as, settings,
                                                       django_capture_on_commit_callbacks):
    login_as(client, admin_user)
    limit = settings.MAIL_RATE_LIMITS["invitation_ip"][0]
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(limit + 1):
            response = client.post("/manage/users/invite/",
                                   {"email": f"new{n}@example.jp", "name": "新人", "role": "ministry"})
    assert len(mail.outbox) == limit and RETRY.search(response.content.decode())
