"""Signing in with a second factor: the password step, then a TOTP code or a recovery code.

Codes are computed here from the key (tests.cast.totp, RFC 6238 written from the RFC), never
with django-otp's own helpers.
"""
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_login_failed
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from survey.models import AuditLog
from tests.cast import CAST_TOTP_KEY, PASSWORD, give_totp, hotp, signed_in, totp

pytestmark = pytest.mark.django_db
A = AuditLog.Action
VERIFY = "/accounts/two-factor/verify/"


def test_the_cast_code_helper_gives_rfc_6238_appendix_b_values():
    # RFC 6238 Appendix B, SHA-1, 8 digits, key "12345678901234567890".
    vectors = {59: "94287082", 1111111109: "07081804", 1111111111: "14050471", 1234567890: "89005924",
               2000000000: "69279037", 20000000000: "65353130"}
    assert {t: totp(CAST_TOTP_KEY, t, digits=8) for t in vectors} == vectors


def wrong_code() -> str:
    """Six digits that are none of the codes the device accepts around now."""
    now = int(time.time() // 30)
    valid = {hotp(bytes.fromhex(CAST_TOTP_KEY), step) for step in range(now - 2, now + 3)}
    return next(code for code in ("000000", "111111", "222222") if code not in valid)


@pytest.fixture
def enrolled_ministry(ministry):
    give_totp(ministry)
    return ministry


@pytest.fixture
def no_device_delay(settings):
    """Without django-otp's per-device delay, so that a right code may follow a wrong one at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0


def verify(client, code, browser, **data):
    return client.post(VERIFY, {"code": code, **data}, **browser)


def test_password_step_leads_to_the_code_step_not_in(client, enrolled_ministry, login_form):
    response = login_form(client, enrolled_ministry.email)
    assert response.status_code == 302 and response.url == f"{VERIFY}?next=%2F"
    assert client.session[SESSION_KEY] == str(enrolled_ministry.pk)
    assert DEVICE_ID_SESSION_KEY not in client.session
    home = client.get("/")
    assert home.status_code == 302 and home.url == f"{VERIFY}?next=%2F"


def test_a_valid_totp_code_signs_in_under_a_new_session_key(client, enrolled_ministry, login_form, browser):
    login_form(client, enrolled_ministry.email)
    key_after_password = client.session.session_key
    response = verify(client, totp(CAST_TOTP_KEY), browser, next="/")
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").status_code == 200
    assert client.session.session_key != key_after_password
    row = AuditLog.objects.get(action=A.TWO_FACTOR_VERIFIED)
    assert row.actor == enrolled_ministry and row.details == {"method": "totp"}
    assert row.ip == browser["REMOTE_ADDR"]


def test_the_code_step_keeps_where_the_user_was_going(client, enrolled_ministry, browser):
    client.post("/accounts/login/?next=/manage/two-factor/", {"username": enrolled_ministry.email,
                                                             "password": PASSWORD}, **browser)
    response = verify(client, totp(CAST_TOTP_KEY), browser, next="/manage/two-factor/")
    assert response.url == "/manage/two-factor/"
    assert verify(client, "123456", browser, next="https://evil.example/").url == "/"


def test_a_code_typed_with_full_width_digits_and_a_space_is_accepted(client, enrolled_ministry, login_form,
                                                                        browser):
    login_form(client, enrolled_ministry.email)
    code = totp(CAST_TOTP_KEY)
    typed = (code[:3] + " " + code[3:]).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert verify(client, typed, browser).status_code == 302
    assert client.get("/").status_code == 200


def test_a_wrong_code_fails_and_is_audited(client, enrolled_ministry, login_form, browser):
    login_form(client, enrolled_ministry.email)
    response = verify(client, wrong_code(), browser)
    assert response.status_code == 200
    assert "確認コードが正しくありません" in response.content.decode()
    assert client.get("/").status_code == 302
    row = AuditLog.objects.get(action=A.TWO_FACTOR_FAILED)
    assert row.actor == enrolled_ministry and row.details == {"stage": "verify", "reason": "wrong_code"}
    assert row.ip == browser["REMOTE_ADDR"] and row.user_agent == browser["HTTP_USER_AGENT"]


def test_a_code_is_accepted_only_once(client, enrolled_ministry, login_form, browser):
    code = totp(CAST_TOTP_KEY)
    login_form(client, enrolled_ministry.email)
    assert verify(client, code, browser).status_code == 302
    client.post("/accounts/logout/", **browser)
    login_form(client, enrolled_ministry.email)
    response = verify(client, code, browser)
    assert response.status_code == 200 and client.get("/").status_code == 302


def test_a_wrong_code_slows_the_next_try_on_that_device(client, enrolled_ministry, login_form, browser, settings):
    """django-otp's own per-device delay (factor × 1, 2, 4 … s): a right code at once after is refused."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a minute, so that a slow machine cannot make this pass by waiting
    login_form(client, enrolled_ministry.email)
    verify(client, wrong_code(), browser)
    response = verify(client, totp(CAST_TOTP_KEY), browser)
    assert response.status_code == 200 and "少し時間をおいて" in response.content.decode()
    assert AuditLog.objects.filter(action=A.TWO_FACTOR_FAILED, details__reason="device_throttled").count() == 1


def test_wrong_codes_are_limited_per_user_and_say_until_when(client, enrolled_ministry, login_form, browser,
                                                            settings, no_device_delay):
    settings.TWO_FACTOR_FAILURE_LIMIT = 3
    login_form(client, enrolled_ministry.email)
    for code in (wrong_code(), "abcdefgh", wrong_code()):  # TOTP and recovery guesses count alike
        verify(client, code, browser)
    response = verify(client, totp(CAST_TOTP_KEY), browser)
    assert response.status_code == 200
    assert "確認コードの誤りが続いたため" in response.content.decode() and "まで確認できません" in response.content.decode()
    assert client.get("/").status_code == 302
    reasons = list(AuditLog.objects.filter(action=A.TWO_FACTOR_FAILED).values_list("details__reason", flat=True))
    assert sorted(reasons) == ["limited", "wrong_code", "wrong_code", "wrong_code"]


def test_a_wrong_code_is_reported_to_login_rate_limiters(client, enrolled_ministry, login_form, browser):
    """A limiter listening to user_login_failed (django-axes) counts wrong codes like wrong passwords."""
    seen = []

    def receiver(sender, credentials, request, **kwargs):
        seen.append((credentials.get("username"), request.META["REMOTE_ADDR"]))

    login_form(client, enrolled_ministry.email)
    user_login_failed.connect(receiver)
    try:
        verify(client, wrong_code(), browser)
    finally:
        user_login_failed.disconnect(receiver)
    assert seen == [(enrolled_ministry.email, browser["REMOTE_ADDR"])]


def _recovery_codes(client, browser) -> list[str]:
    response = client.post("/accounts/two-factor/recovery-codes/new/", **browser)
    assert response.url == "/accounts/two-factor/recovery-codes/"
    return client.get(response.url).context["codes"]


def test_a_recovery_code_works_once(client, enrolled_ministry, login_form, browser, no_device_delay):
    codes = _recovery_codes(signed_in(client, enrolled_ministry), browser)
    assert len(codes) == 10 and len(set(codes)) == 10
    client.post("/accounts/logout/", **browser)

    login_form(client, enrolled_ministry.email)
    response = verify(client, codes[0].upper(), browser)
    assert response.status_code == 302 and client.get("/").status_code == 200
    used = AuditLog.objects.get(action=A.RECOVERY_CODE_USED)
    assert used.actor == enrolled_ministry and used.details == {"remaining": 9}
    client.post("/accounts/logout/", **browser)

    login_form(client, enrolled_ministry.email)
    assert verify(client, codes[0], browser).status_code == 200
    assert client.get("/").status_code == 302
    assert verify(client, codes[1], browser).status_code == 302


def test_regenerating_recovery_codes_makes_the_old_ones_useless(client, enrolled_ministry, login_form, browser,
                                                               no_device_delay):
    signed_in(client, enrolled_ministry)
    old = _recovery_codes(client, browser)
    new = _recovery_codes(client, browser)
    assert not set(old) & set(new)
    assert StaticDevice.objects.get(user=enrolled_ministry).token_set.count() == 10
    assert AuditLog.objects.filter(action=A.RECOVERY_CODES_NEW, actor=enrolled_ministry).count() == 2
    client.post("/accounts/logout/", **browser)
    login_form(client, enrolled_ministry.email)
    assert verify(client, old[0], browser).status_code == 200
    assert verify(client, new[0], browser).status_code == 302


def test_recovery_codes_are_shown_once(client, enrolled_ministry, browser):
    signed_in(client, enrolled_ministry)
    codes = _recovery_codes(client, browser)
    again = client.get("/accounts/two-factor/recovery-codes/")
    assert again.status_code == 200 and not any(code in again.content.decode() for code in codes)


def test_the_verified_session_still_ends_12_hours_after_the_password(client, enrolled_ministry, login_form,
                                                                    browser):
    login_form(client, enrolled_ministry.email)
    verify(client, totp(CAST_TOTP_KEY), browser)
    session = client.session
    session["portal_login_at"] = time.time() - 12 * 3600 - 1
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/accounts/login/?expired=1"
