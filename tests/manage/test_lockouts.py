"""Administrators see the login lock-outs in force and lift one; the lifting is audited."""
import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from survey.models import AuditLog
from tests.cast import BROWSER, PASSWORD

pytestmark = pytest.mark.django_db
ATTACKER = "198.51.100.66"


def _fail(email, times, ip=ATTACKER):
    client = Client()
    for _ in range(times):
        client.post("/accounts/login/", {"username": email, "password": "wrong-password-123"},
                    REMOTE_ADDR=ip, HTTP_USER_AGENT=BROWSER["HTTP_USER_AGENT"])


def _signs_in(user, ip) -> bool:
    client = Client()
    client.post("/accounts/login/", {"username": user.email, "password": PASSWORD}, REMOTE_ADDR=ip)
    return client.session.get(SESSION_KEY) == str(user.pk)


@pytest.fixture
def admin(client, admin_user, login_as):
    return login_as(client, admin_user)


def test_the_page_lists_account_and_address_locks(admin, sagamihara, settings):
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT)
    for n in range(settings.LOGIN_FAILURE_LIMIT_PER_IP):
        _fail(f"guess{n}@example.jp", 1, ip="192.0.2.50")
    body = admin.get("/manage/lockouts/").content.decode()
    assert sagamihara.email in body and ATTACKER in body
    assert "192.0.2.50" in body and "（この接続元のすべてのアカウント）" in body


def test_an_ipv6_lock_shows_its_64_and_is_lifted(admin, sagamihara, settings):
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT, ip="2001:db8:1:2::99")
    assert "2001:db8:1:2::/64" in admin.get("/manage/lockouts/").content.decode()
    admin.post("/manage/lockouts/", {"ip": "2001:db8:1:2::", "username": sagamihara.email})
    assert _signs_in(sagamihara, "2001:db8:1:2::99")


def test_a_typed_account_name_is_shown_escaped(admin, settings):
    payload = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    _fail(payload, settings.LOGIN_FAILURE_LIMIT)
    body = admin.get("/manage/lockouts/").content.decode()
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in body
    assert "<script>alert(2)" not in body and "<img src=x" not in body


def test_nothing_locked_says_so(admin, sagamihara, settings):
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT - 1)
    assert "停止中のログインはありません。" in admin.get("/manage/lockouts/").content.decode()


def test_lifting_a_lock_lets_the_pair_sign_in_and_is_audited(admin, admin_user, sagamihara, settings):
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT)
    response = admin.post("/manage/lockouts/", {"ip": ATTACKER, "username": sagamihara.email}, follow=True)
    assert "ログインの停止を解除しました。" in response.content.decode()
    assert _signs_in(sagamihara, ATTACKER)
    row = AuditLog.objects.get(action=AuditLog.Action.ACCOUNT_CHANGE)
    assert row.actor == admin_user and row.target == sagamihara.email
    assert row.details["change"] == "lockout_cleared" and row.details["locked_ip"] == ATTACKER
    assert row.organization == sagamihara.organization


def test_lifting_an_address_lock(admin, yokohama, settings):
    for n in range(settings.LOGIN_FAILURE_LIMIT_PER_IP):
        _fail(f"guess{n}@example.jp", 1)
    assert not _signs_in(yokohama, ATTACKER)
    admin.post("/manage/lockouts/", {"ip": ATTACKER, "username": ""})
    assert _signs_in(yokohama, ATTACKER)
    assert AuditLog.objects.get(action=AuditLog.Action.ACCOUNT_CHANGE).target == ATTACKER


def test_a_malformed_address_lifts_nothing(admin, sagamihara, settings):
    _fail(sagamihara.email, settings.LOGIN_FAILURE_LIMIT)
    response = admin.post("/manage/lockouts/", {"ip": "not-an-ip", "username": sagamihara.email}, follow=True)
    assert "解除する対象が正しくありません。" in response.content.decode()
    assert not _signs_in(sagamihara, ATTACKER)


def test_only_administrators_reach_the_page(client, ministry, sagamihara, login_as):
    for user in (ministry, sagamihara):
        assert login_as(Client(), user).get("/manage/lockouts/").status_code == 403
