"""The user's own account page."""
import pytest

pytestmark = pytest.mark.django_db


def test_profile_shows_own_name_email_and_organisation(client, sagamihara, login_as):
    login_as(client, sagamihara)
    body = client.get("/accounts/profile/").content.decode()
    assert sagamihara.email in body and "14神奈川県相模原市" in body and "141500" in body


def test_profile_needs_login(client):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
