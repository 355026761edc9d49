"""Session limits: 30 minutes idle, 12 hours in all, deactivation, and 'end all sessions'."""
import datetime as dt
import re
import time

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from survey.middleware import RENEWED_KEY, renew_interval
from survey.services.accounts import user_deactivate, user_sessions_end

pytestmark = pytest.mark.django_db
PROFILE = "/accounts/profile/"


def test_idle_sessions_expire_after_30_minutes_of_inactivity():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False  # renewed at most once a minute instead
    assert renew_interval() == 60  # so a session ends 29 to 30 minutes after the last request


def _renewed_ago(client, seconds):
    """The session as if its idle limit was last renewed `seconds` ago (expiry and kept time)."""
    session = client.session
    session[RENEWED_KEY] = time.time() - seconds
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - seconds))
    return session.session_key


def _expiry(key):
    return Session.objects.get(session_key=key).expire_date


def test_a_request_a_minute_after_the_last_renewal_renews_the_idle_expiry(client, sagamihara, login_as):
    login_as(client, sagamihara)
    key = _renewed_ago(client, renew_interval())
    assert client.get(PROFILE).status_code == 200
    assert _expiry(key) > timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 5)


def test_a_request_soon_after_the_last_renewal_writes_no_session(client, sagamihara, login_as):
    login_as(client, sagamihara)
    key = _renewed_ago(client, renew_interval() - 10)
    before = _expiry(key)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PROFILE).status_code == 200
    assert not [q for q in captured.captured_queries if "UPDATE" in q["sql"] and "django_session" in q["sql"]]
    assert _expiry(key) == before


def test_the_warning_counts_from_the_last_renewal_as_the_database_does(client, sagamihara, login_as, settings):
    """A request that does not renew shows the time the session really has left, not 30 minutes."""
    settings.SESSION_RENEW_SECONDS = 20 * 60
    settings.SESSION_COOKIE_AGE = 30 * 20 * 60  # so that renew_interval() is the 20 minutes
    login_as(client, sagamihara)
    key = _renewed_ago(client, 10 * 60)
    page = client.get(PROFILE).content.decode()
    shown = int(re.search(r'data-seconds-left="(\d+)"', page).group(1))
    assert abs(shown - (_expiry(key) - timezone.now()).total_seconds()) <= 2
    assert abs(shown - (settings.SESSION_COOKIE_AGE - 10 * 60)) <= 2


def test_a_session_ends_at_most_30_minutes_after_the_last_request(client, sagamihara, login_as):
    """Requests that do not renew do not stretch the idle limit either: it counts from the last renewal."""
    login_as(client, sagamihara)
    key = _renewed_ago(client, 30)
    assert client.get(PROFILE).status_code == 200  # 30 s after the renewal: not renewed again
    assert _expiry(key) <= timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 29)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(PROFILE)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_session_idle_for_more_than_30_minutes_is_ended(client, sagamihara, login_as):
    login_as(client, sagamihara)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(PROFILE)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_session_younger_than_12_hours_is_kept(client, sagamihara, login_as):
    login_as(client, sagamihara)
    session = client.session
    session["portal_login_at"] = time.time() - 12 * 3600 + 60
    session.save()
    assert client.get(PROFILE).status_code == 200


def test_session_older_than_12_hours_ends_whatever_the_activity(client, sagamihara, login_as):
    login_as(client, sagamihara)
    session = client.session
    session["portal_login_at"] = time.time() - 12 * 3600 - 1
    session.save()
    response = client.get(PROFILE)
    assert response.status_code == 302 and response.url == "/accounts/login/?expired=1"
    assert SESSION_KEY not in client.session
    assert "セッションの有効期限が切れました" in client.get(response.url).content.decode()


def test_session_without_a_login_time_is_ended(client, sagamihara):
    client.force_login(sagamihara)
    response = client.get(PROFILE)
    assert response.status_code == 302 and SESSION_KEY not in client.session


def test_deactivating_an_account_ends_its_sessions_at_once(client, sagamihara, admin_user, login_as):
    login_as(client, sagamihara)
    assert client.get(PROFILE).status_code == 200
    user_deactivate(user=sagamihara, acting_user=admin_user)
    response = client.get(PROFILE)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_ending_all_sessions_logs_out_every_browser_of_the_user(sagamihara, yokohama, admin_user, login_as):
    office, home, other = Client(), Client(), Client()
    for c, user in ((office, sagamihara), (home, sagamihara), (other, yokohama)):
        login_as(c, user)
        assert c.get(PROFILE).status_code == 200
    user_sessions_end(user=sagamihara, acting_user=admin_user)
    assert office.get(PROFILE).status_code == 302
    assert home.get(PROFILE).status_code == 302
    assert other.get(PROFILE).status_code == 200  # nobody else is affected


def test_after_ending_sessions_the_user_can_log_in_again(client, sagamihara, admin_user, login_form):
    user_sessions_end(user=sagamihara, acting_user=admin_user)
    login_form(client, sagamihara.email)
    assert client.get(PROFILE).status_code == 200
