"""Enrolment: required roles are held at the enrolment page; officers may enrol and remove.

The gate is swept over every URL pattern of the project (tests/sweep.py, the sweeps' enumeration): a
signed-in user who owes a second factor reaches nothing but the step owed and logout.
"""
import base64
import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from survey.models import AuditLog
from tests.cast import give_totp, signed_in, totp
from tests.sweep import urls

pytestmark = pytest.mark.django_db
A = AuditLog.Action
SETUP, VERIFY = "/accounts/two-factor/setup/", "/accounts/two-factor/verify/"
# The pages a session that owes its second factor may still reach: the steps, logout, the idle-timeout
# warning's renewal (a long enrolment) and the CSP report endpoint; the last two answer no data.
OPEN_WHILE_PENDING = {"two_factor_setup", "two_factor_setup_qr", "two_factor_verify", "logout", "session_extend",
                      "csp_report"}
# Any value does: the gate answers before a view looks anything up.
ANY_ARGS = {"round_id": 1, "code": "141500", "org_code": "141500", "n": 1, "number": 1, "job_id": 1, "pk": 1,
            "user_id": 1, "uidb64": "MQ", "token": "set-password", "snapshot_id": 1, "export_id": 1,
            "attachment_id": 1, "thread_id": 1}


def shown_secret(html: str) -> str:
    """The key as the page shows it for typing into an app, back to hex."""
    text = re.search(r'data-testid="two-factor-secret"><code>([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    return base64.b32decode(text + "=" * (-len(text) % 8)).hex()


def sweep_gate(client, user, login_form, step_url) -> list[str]:
    """Every URL pattern, GET and POST, as `user` right after the password step: what got through."""
    login_form(client, user.email)
    through = []
    for name, url in urls({arg: [value] for arg, value in ANY_ARGS.items()}, sweep="two-factor gate"):
        if name in OPEN_WHILE_PENDING:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if not (response.status_code == 302 and response.url.startswith(step_url)):
                through.append(f"{method.upper()} {url} ({name}) -> {response.status_code}")
    return through


def test_ministry_without_a_device_is_sent_to_enrolment_after_the_password(client, ministry, login_form):
    response = login_form(client, ministry.email)
    assert response.status_code == 302 and response.url == f"{SETUP}?next=%2F"


@pytest.mark.parametrize("who", ["ministry", "admin"])
def test_a_required_role_without_a_device_reaches_no_page_but_enrolment(client, cast, login_form, who):
    assert sweep_gate(client, cast[who], login_form, SETUP) == []


def test_an_enrolled_user_before_the_code_reaches_no_page_but_the_code_step(client, ministry, login_form):
    give_totp(ministry)
    assert sweep_gate(client, ministry, login_form, VERIFY) == []


def test_the_pending_page_shows_no_menu_and_logout_still_works(client, ministry, login_form, browser):
    login_form(client, ministry.email)
    html = client.get(SETUP).content.decode()
    assert "メインメニュー" not in html and reverse("publish:round_list") not in html
    assert client.post("/accounts/logout/", **browser).url == "/accounts/login/"
    assert AuditLog.objects.filter(action=A.LOGOUT, actor=ministry).exists()


def test_enrolment_shows_a_local_qr_code_and_the_key_then_confirms_with_a_code(client, ministry, login_form, browser):
    login_form(client, ministry.email)
    page = client.get(SETUP)
    html = page.content.decode()
    assert f'src="{reverse("two_factor_setup_qr")}"' in html
    qr = client.get(reverse("two_factor_setup_qr"))
    assert qr["Content-Type"] == "image/svg+xml" and qr.content.startswith(b"<svg")
    assert b"<script" not in qr.content and b"style=" not in qr.content and b"http" not in qr.content.replace(
        b"http://www.w3.org/2000/svg", b"")
    key = shown_secret(html)
    assert TOTPDevice.objects.get(user=ministry, confirmed=False).key == key

    response = client.post(SETUP, {"code": totp(key), "next": "/"}, **browser)
    assert response.status_code == 302 and response.url == reverse("two_factor_recovery_codes")
    codes = client.get(response.url).context["codes"]
    assert len(codes) == 10
    assert client.get("/").status_code == 200
    row = AuditLog.objects.get(action=A.TWO_FACTOR_ENROL)
    assert row.actor == ministry and row.details == {"device": "totp", "recovery_codes": 10}
    assert row.ip == browser["REMOTE_ADDR"]
    # The confirmed key is never drawn or shown again.
    assert client.get(reverse("two_factor_setup_qr")).status_code == 404
    assert client.get(SETUP).url == reverse("account_profile")


def test_a_wrong_enrolment_code_is_refused_and_audited(client, ministry, login_form, browser):
    login_form(client, ministry.email)
    key = shown_secret(client.get(SETUP).content.decode())
    wrong = "000000" if totp(key) != "000000" else "111111"
    response = client.post(SETUP, {"code": wrong}, **browser)
    assert response.status_code == 200 and "確認コードが正しくありません" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=ministry, confirmed=True).exists()
    assert client.get("/").url.startswith(SETUP)
    row = AuditLog.objects.get(action=A.TWO_FACTOR_FAILED)
    assert row.details == {"stage": "enrol", "reason": "wrong_enrolment_code"}


def test_the_same_key_is_shown_until_enrolment_is_confirmed(client, ministry, login_form):
    login_form(client, ministry.email)
    assert shown_secret(client.get(SETUP).content.decode()) == shown_secret(client.get(SETUP).content.decode())


def test_officers_are_not_asked_to_enrol_by_default(client, sagamihara, login_form):
    assert login_form(client, sagamihara.email).url == "/"
    assert client.get("/").status_code == 200


def test_an_officer_may_enrol_and_is_then_asked_for_a_code(client, sagamihara, login_form, browser):
    signed_in(client, sagamihara)
    profile = client.get("/accounts/profile/").content.decode()
    assert "未登録" in profile and "任意" in profile
    key = shown_secret(client.get(SETUP).content.decode())
    assert client.post(SETUP, {"code": totp(key)}, **browser).status_code == 302
    client.post("/accounts/logout/", **browser)
    assert login_form(client, sagamihara.email).url == f"{VERIFY}?next=%2F"
    assert client.get("/").url.startswith(VERIFY)


def test_an_officer_may_remove_their_device_but_ministry_staff_may_not(client, sagamihara, ministry, login_form,
                                                                       browser):
    give_totp(sagamihara)
    signed_in(client, sagamihara)
    assert client.get(reverse("two_factor_remove")).status_code == 200  # a confirmation page first
    assert TOTPDevice.objects.filter(user=sagamihara).exists()
    client.post(reverse("two_factor_remove"), **browser)
    assert not TOTPDevice.objects.filter(user=sagamihara).exists()
    assert AuditLog.objects.get(action=A.TWO_FACTOR_REMOVED).actor == sagamihara
    client.post("/accounts/logout/", **browser)
    assert login_form(client, sagamihara.email).url == "/"

    signed_in(client, ministry)
    assert "二要素認証を解除する" not in client.get("/accounts/profile/").content.decode()
    response = client.post(reverse("two_factor_remove"), follow=True, **browser)
    assert "必須のため、解除できません" in response.content.decode()
    assert TOTPDevice.objects.filter(user=ministry, confirmed=True).exists()


def test_a_session_is_held_at_the_code_step_once_the_user_enrols_in_another_browser(sagamihara, login_form,
                                                                                    browser):
    """The step owed is read with the user at every request (survey.auth), never kept from an earlier one."""
    office, home = Client(), Client()
    assert login_form(office, sagamihara.email).url == "/"
    assert office.get("/").status_code == 200
    signed_in(home, sagamihara)
    key = shown_secret(home.get(SETUP).content.decode())
    assert home.post(SETUP, {"code": totp(key)}, **browser).status_code == 302
    assert office.get("/").url.startswith(VERIFY)
    assert office.get("/accounts/profile/").url.startswith(VERIFY)
