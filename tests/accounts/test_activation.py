"""The invitation link: setting the first password activates the account and logs the user in."""
import pytest
from django.contrib.auth import SESSION_KEY

from survey.models import AuditLog, Role
from survey.services.accounts import activation_path, user_invite

pytestmark = pytest.mark.django_db
NEW = "a-brand-new-passphrase-42"


@pytest.fixture
def invited(orgs, admin_user):
    return user_invite(email="new.officer@city.yokohama.example.jp", name="横浜 新人", role=Role.OFFICER,
                       organization=orgs["141003"], acting_user=admin_user)


def _open(client, user):
    """Follow the link as a browser: Django moves the token out of the URL into the session."""
    response = client.get(activation_path(user), follow=True)
    return response.redirect_chain[-1][0], response


def test_link_shows_whose_account_is_being_activated(client, invited):
    _, response = _open(client, invited)
    body = response.content.decode()
    assert "横浜 新人" in body and "14神奈川県横浜市" in body
    assert 'for="id_new_password1"' in body and 'for="id_new_password2"' in body


def test_setting_the_password_logs_the_user_in_with_a_fresh_session(client, invited, browser):
    form_url, _ = _open(client, invited)
    key_before = client.session.session_key
    response = client.post(form_url, {"new_password1": NEW, "new_password2": NEW}, **browser)
    assert response.status_code == 302 and response.url == "/"
    assert client.session[SESSION_KEY] == str(invited.pk)
    assert client.session.session_key != key_before and "portal_login_at" in client.session
    invited.refresh_from_db()
    assert invited.check_password(NEW)


def test_password_set_and_login_are_audited(client, invited, browser):
    form_url, _ = _open(client, invited)
    client.post(form_url, {"new_password1": NEW, "new_password2": NEW}, **browser)
    row = AuditLog.objects.get(action=AuditLog.Action.PASSWORD_SET)
    assert row.actor == invited and row.details["kind"] == "activation"
    assert row.ip == browser["REMOTE_ADDR"] and row.user_agent == browser["HTTP_USER_AGENT"]
    assert AuditLog.objects.filter(action=AuditLog.Action.LOGIN, actor=invited).exists()


def test_the_link_works_only_once(client, invited):
    path = activation_path(invited)
    form_url, _ = _open(client, invited)
    client.post(form_url, {"new_password1": NEW, "new_password2": NEW})
    client.post("/accounts/logout/")
    assert "この招待リンクは無効です" in client.get(path, follow=True).content.decode()


def test_a_forged_token_is_refused(client, invited):
    path = activation_path(invited).rsplit("/", 2)[0] + "/abc-123/"
    assert "この招待リンクは無効です" in client.get(path, follow=True).content.decode()


def test_weak_or_mismatched_passwords_are_refused_in_japanese(client, invited):
    form_url, _ = _open(client, invited)
    body = client.post(form_url, {"new_password1": "short", "new_password2": "other"}).content.decode()
    assert "一致しません" in body
    body = client.post(form_url, {"new_password1": "12345678901234", "new_password2": "12345678901234"}
                       ).content.decode()
    assert "数字しか使われていません" in body or "数字だけ" in body
    invited.refresh_from_db()
    assert not invited.has_usable_password()
