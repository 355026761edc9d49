"""Every account event leaves a row: who, when, what, from where (address and browser)."""
import pytest
from django.core import mail
from django.utils import timezone

from survey.models import AuditLog
from survey.services.accounts import activation_path

pytestmark = pytest.mark.django_db
A = AuditLog.Action
NEW = "a-brand-new-passphrase-42"


def _row(action):
    return AuditLog.objects.filter(action=action).latest("id")


def _assert_where(row, browser, actor, started):
    assert row.actor == actor
    assert started <= row.at <= timezone.now()
    assert row.ip == browser["REMOTE_ADDR"] and row.user_agent == browser["HTTP_USER_AGENT"]


def test_login_logout_and_failure(client, sagamihara, login_form, browser):
    started = timezone.now()
    login_form(client, sagamihara.email, "wrong-password-123")
    _assert_where(_row(A.LOGIN_FAILED), browser, sagamihara, started)
    login_form(client, sagamihara.email)
    _assert_where(_row(A.LOGIN), browser, sagamihara, started)
    client.post("/accounts/logout/", **browser)
    _assert_where(_row(A.LOGOUT), browser, sagamihara, started)


def test_administrators_account_changes(client, admin_user, sagamihara, login_as, browser,
                                        django_capture_on_commit_callbacks):
    started = timezone.now()
    login_as(client, admin_user)
    base = f"/manage/users/{sagamihara.pk}"
    client.post(f"{base}/end-sessions/", **browser)
    _assert_where(_row(A.SESSIONS_ENDED), browser, admin_user, started)
    client.post(f"{base}/deactivate/", **browser)
    _assert_where(_row(A.ACCOUNT_DEACTIVATE), browser, admin_user, started)
    client.post(f"{base}/reactivate/", **browser)
    _assert_where(_row(A.ACCOUNT_CHANGE), browser, admin_user, started)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/manage/users/invite/", {"email": "new@example.jp", "name": "新人", "role": "officer",
                                              "organization_code": "141500"}, **browser)
    row = _row(A.ACCOUNT_CREATE)
    _assert_where(row, browser, admin_user, started)
    assert row.target == "new@example.jp" and row.organization.code == "141500"
    for row in AuditLog.objects.filter(action__in=[A.SESSIONS_ENDED, A.ACCOUNT_DEACTIVATE, A.ACCOUNT_CHANGE]):
        assert row.target == sagamihara.email and row.organization == sagamihara.organization
    assert len(mail.outbox) == 1


def test_password_set(client, sagamihara, browser):
    started = timezone.now()
    sagamihara.set_unusable_password()
    sagamihara.save()
    form_url = client.get(activation_path(sagamihara), follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW, "new_password2": NEW}, **browser)
    _assert_where(_row(A.PASSWORD_SET), browser, sagamihara, started)


def test_address_behind_one_trusted_proxy_is_the_hop_it_appended(client, sagamihara, login_form, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    login_form(client, sagamihara.email, HTTP_X_FORWARDED_FOR="192.0.2.66, 198.51.100.9")
    assert _row(A.LOGIN).ip == "198.51.100.9"
