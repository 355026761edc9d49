"""Deactivate, reactivate, end sessions, resend invitation: a confirmation page first, then one POST."""

import pytest
from django.core import mail
from django.test import Client

from survey.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, admin_user, login_as):
    return login_as(client, admin_user)


def test_confirmation_page_changes_nothing(admin, sagamihara):
    response = admin.get(f"/manage/users/{sagamihara.pk}/deactivate/")
    assert "無効化する" in response.content.decode() and sagamihara.email in response.content.decode()
    sagamihara.refresh_from_db()
    assert sagamihara.is_active and not AuditLog.objects.filter(action="account_deactivate").exists()


def test_deactivate_then_reactivate(admin, sagamihara):
    response = admin.post(f"/manage/users/{sagamihara.pk}/deactivate/", follow=True)
    assert "アカウントを無効化しました。" in response.content.decode()
    sagamihara.refresh_from_db()
    assert not sagamihara.is_active
    admin.post(f"/manage/users/{sagamihara.pk}/reactivate/")
    sagamihara.refresh_from_db()
    assert sagamihara.is_active
    assert AuditLog.objects.get(action="account_change").details["change"] == "reactivated"


def test_administrator_cannot_deactivate_themselves(admin, admin_user):
    response = admin.post(f"/manage/users/{admin_user.pk}/deactivate/", follow=True)
    assert "自分自身のアカウントは無効化できません。" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_ending_sessions_logs_the_user_out_everywhere(admin, sagamihara, login_as):
    victim = login_as(Client(), sagamihara)
    assert victim.get("/accounts/profile/").status_code == 200
    response = admin.post(f"/manage/users/{sagamihara.pk}/end-sessions/", follow=True)
    assert "すべてのセッションを終了しました。" in response.content.decode()
    assert victim.get("/accounts/profile/").status_code == 302
    assert AuditLog.objects.filter(action="sessions_ended", target=sagamihara.email).exists()


def test_resending_an_invitation(admin, orgs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admin.post("/manage/users/invite/", {"email": "new@example.jp", "name": "新人", "role": "officer",
                                             "organization_code": "141500"})
    from survey.models import User

    user = User.objects.get(email="new@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/manage/users/{user.pk}/resend-invitation/", follow=True)
    assert "招待メールを再送しました。" in response.content.decode()
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["new@example.jp"]


def test_resend_to_an_active_account_is_refused_with_a_message(admin, sagamihara):
    response = admin.post(f"/manage/users/{sagamihara.pk}/resend-invitation/", follow=True)
    assert "すでにパスワードを設定済みです" in response.content.decode()


def test_detail_page_shows_the_users_history(admin, sagamihara, login_form, client):
    login_form(Client(), sagamihara.email, "wrong-password-123")
    body = admin.get(f"/manage/users/{sagamihara.pk}/").content.decode()
    assert "ログイン失敗" in body and sagamihara.email in body
