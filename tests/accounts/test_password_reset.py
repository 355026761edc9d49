"""Password reset by mail (Django's views, Japanese pages and mail)."""
import pytest
from django.core import mail

from survey.models import AuditLog, Role
from survey.services.accounts import user_invite

pytestmark = pytest.mark.django_db
NEW = "a-brand-new-passphrase-42"


def _path(body):
    line = next(line for line in body.splitlines() if "/accounts/password-reset/" in line)
    return line[line.index("/accounts/"):]


def test_reset_mail_is_japanese_and_uses_the_portal_address(client, sagamihara, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.go.jp"
    response = client.post("/accounts/password-reset/", {"email": sagamihara.email})
    assert response.url == "/accounts/password-reset/sent/"
    message = mail.outbox[0]
    assert "パスワード再設定" in message.subject and "相模原 市郎 様" in message.body
    assert "https://portal.example.go.jp/accounts/password-reset/" in message.body


def test_unknown_address_gets_the_same_answer_and_no_mail(client):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.jp"})
    assert response.url == "/accounts/password-reset/sent/" and mail.outbox == []


def test_new_password_from_the_link_works_and_is_audited(client, sagamihara, login_form, browser):
    client.post("/accounts/password-reset/", {"email": sagamihara.email})
    form_url = client.get(_path(mail.outbox[0].body), follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": NEW, "new_password2": NEW}, **browser)
    assert response.url == "/accounts/password-reset/done/"
    row = AuditLog.objects.get(action=AuditLog.Action.PASSWORD_SET)
    assert row.actor == sagamihara and row.details["kind"] == "reset" and row.ip == browser["REMOTE_ADDR"]
    login_form(client, sagamihara.email, NEW)
    assert client.session["_auth_user_id"] == str(sagamihara.pk)


def test_invited_account_without_password_gets_no_reset_mail(client, orgs, admin_user):
    user = user_invite(email="invited@example.jp", name="招待 中", role=Role.OFFICER,
                       organization=orgs["141500"], acting_user=admin_user)
    mail.outbox.clear()
    client.post("/accounts/password-reset/", {"email": user.email})
    assert mail.outbox == []  # the invitation (resent by an administrator) is the way in
