"""Session limits: 30 minutes idle, 12 hours in all, deactivation, and 'end all sessions'."""
import datetime as dt
import time

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from survey.services.accounts import user_deactivate, user_sessions_end

pytestmark = pytest.mark.django_db
PROFILE = "/accounts/profile/"


def test_idle_sessions_expire_after_30_minutes_of_inactivity():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True  # each request renews the 30 minutes


def test_each_request_renews_the_idle_expiry(client, sagamihara, login_as):
    login_as(client, sagamihara)
    Session.objects.update(expire_date=timezone.now() + dt.timedelta(minutes=1))
    assert client.get(PROFILE).status_code == 200
    expires = Session.objects.get(session_key=client.session.session_key).expire_date
    assert expires > timezone.now() + dt.timedelta(minutes=29)


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
