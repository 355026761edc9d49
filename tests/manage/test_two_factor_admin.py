"""An administrator resets a user's second factor; the ministry or an administrator sets the policy."""
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from survey.models import AuditLog, TwoFactorPolicy
from survey.services.two_factor import two_factor_policy_set
from tests.cast import give_totp, signed_in

pytestmark = pytest.mark.django_db
A = AuditLog.Action
SETUP = "/accounts/two-factor/setup/"
POLICY = "/manage/two-factor/"


def reset_url(user):
    return reverse("manage_user_reset_two_factor", args=[user.pk])


def test_admin_reset_ends_the_sessions_and_forces_a_new_enrolment(client, admin_user, ministry, login_form, browser):
    victim = signed_in(Client(), ministry)  # enrolled and verified
    StaticDevice.objects.create(user=ministry, name="リカバリーコード").token_set.create(token="abcdefgh")
    admin = signed_in(client, admin_user)
    page = admin.get(reverse("manage_user_detail", args=[ministry.pk])).content.decode()
    assert reset_url(ministry) in page and "登録済み" in page

    assert admin.get(reset_url(ministry)).status_code == 200  # the confirmation does nothing yet
    assert TOTPDevice.objects.filter(user=ministry).exists()
    response = admin.post(reset_url(ministry), **browser)
    assert response.url == reverse("manage_user_detail", args=[ministry.pk])

    assert not TOTPDevice.objects.filter(user=ministry).exists()
    assert not StaticDevice.objects.filter(user=ministry).exists()
    assert victim.get("/").url.startswith("/accounts/login/")
    row = AuditLog.objects.get(action=A.TWO_FACTOR_RESET)
    assert row.actor == admin_user and row.target == ministry.email and row.ip == browser["REMOTE_ADDR"]
    assert row.details == {"user_id": ministry.pk, "devices_removed": 2, "sessions_ended": True}

    fresh = Client()
    assert login_form(fresh, ministry.email).url == f"{SETUP}?next=%2F"
    assert fresh.get("/").url.startswith(SETUP)


@pytest.mark.parametrize("who", ["ministry", "kanagawa", "sagamihara"])
def test_only_administrators_may_reset(client, cast, who):
    give_totp(cast["yokohama"])
    signed_in(client, cast[who])
    for method in ("get", "post"):
        assert getattr(client, method)(reset_url(cast["yokohama"])).status_code == 403
    assert TOTPDevice.objects.filter(user=cast["yokohama"]).exists()


def test_an_administrator_cannot_reset_their_own_second_factor(client, admin_user):
    signed_in(client, admin_user)
    response = client.post(reset_url(admin_user), follow=True)
    assert "自分自身の二要素認証はリセットできません" in response.content.decode()
    assert TOTPDevice.objects.filter(user=admin_user).exists()
    assert not AuditLog.objects.filter(action=A.TWO_FACTOR_RESET).exists()


def test_default_policy_requires_ministry_and_administrators_only(client, ministry):
    rows = signed_in(client, ministry).get(POLICY).context["rows"]
    assert {row["role"]: row["required"] for row in rows} == {"officer": False, "ministry": True, "admin": True}


def test_ministry_requires_officers_too_and_officers_must_then_enrol(client, ministry, sagamihara, login_form,
                                                                     browser):
    response = signed_in(client, ministry).post(POLICY, {"officer": "on"}, **browser)
    assert response.url == POLICY
    row = AuditLog.objects.get(action=A.TWO_FACTOR_POLICY)
    assert row.actor == ministry and row.details == {"role": "officer", "required": True, "before": False}

    officer = Client()
    assert login_form(officer, sagamihara.email).url == f"{SETUP}?next=%2F"
    assert officer.get("/").url.startswith(SETUP)

    signed_in(client, ministry).post(POLICY, {}, **browser)  # optional again
    assert TwoFactorPolicy.objects.get(role="officer").required is False
    assert officer.get("/").status_code == 200


def test_an_officer_already_signed_in_is_held_once_officers_are_required(client, admin_user, sagamihara):
    officer = signed_in(Client(), sagamihara)
    assert officer.get("/").status_code == 200
    signed_in(client, admin_user).post(POLICY, {"officer": "on"})
    assert officer.get("/").url.startswith(SETUP)


def test_ministry_and_administrators_cannot_be_made_optional(client, admin_user):
    signed_in(client, admin_user).post(POLICY, {"officer": "", "ministry": "", "admin": ""})
    assert not AuditLog.objects.filter(action=A.TWO_FACTOR_POLICY).exists()
    with pytest.raises(ValidationError) as caught:
        two_factor_policy_set(role="ministry", required=False, acting_user=admin_user)
    assert caught.value.code == "privileged_role"
    rows = client.get(POLICY).context["rows"]
    assert all(row["required"] for row in rows if row["role"] != "officer")


@pytest.mark.parametrize("who", ["kanagawa", "sagamihara"])
def test_officers_cannot_see_or_change_the_policy(client, cast, who):
    signed_in(client, cast[who])
    assert client.get(POLICY).status_code == 403
    assert client.post(POLICY, {"officer": "on"}).status_code == 403
    assert not TwoFactorPolicy.objects.exists()
