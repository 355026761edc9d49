"""「ログインを続ける」: the session clock on every page and the endpoint that renews it."""
import datetime as dt
import re
import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from survey.middleware import LOGIN_TIME_KEY
from tests.cast import signed_in

pytestmark = pytest.mark.django_db
URL = "/accounts/session/extend/"


def test_every_page_tells_the_script_how_long_the_session_lasts(client, sagamihara, settings):
    settings.SESSION_WARNING_SECONDS = 300
    page = signed_in(client, sagamihara).get("/").content.decode()
    assert f'data-seconds-left="{settings.SESSION_COOKIE_AGE}"' in page
    assert 'data-warning-seconds="300"' in page
    assert re.search(r'<script src="/static/js/session-timeout\.js">', page)


def test_signed_out_pages_have_no_session_clock(client):
    assert "session-warning" not in client.get("/accounts/login/").content.decode()


def test_extending_renews_the_session(client, sagamihara, settings):
    signed_in(client, sagamihara)
    soon = timezone.now() + dt.timedelta(seconds=60)  # a minute before the idle timeout
    Session.objects.update(expire_date=soon)
    response = client.post(URL)
    assert response.status_code == 200
    assert response.json() == {"signed_in": True, "seconds_left": settings.SESSION_COOKIE_AGE}
    assert Session.objects.get().expire_date >= soon + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 120)


def test_extending_cannot_pass_the_twelve_hour_limit(client, sagamihara, settings):
    signed_in(client, sagamihara)
    session = client.session
    session[LOGIN_TIME_KEY] = time.time() - settings.SESSION_ABSOLUTE_AGE + 100
    session.save()
    assert 0 < client.post(URL).json()["seconds_left"] <= 100


def test_an_ended_session_answers_401_not_a_login_page(client):
    response = client.post(URL)
    assert response.status_code == 401
    assert response.json() == {"signed_in": False, "seconds_left": 0}


def test_extending_needs_post_and_the_csrf_token(sagamihara):
    client = signed_in(Client(enforce_csrf_checks=True), sagamihara)
    assert client.get(URL).status_code == 405
    assert client.post(URL).status_code == 403
    page = client.get("/").content.decode()
    token = re.search(r'data-csrf-token="([^"]+)"', page).group(1)
    assert client.post(URL, HTTP_X_CSRFTOKEN=token).status_code == 200
