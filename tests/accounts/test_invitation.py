"""Inviting an account: no usable password until the invitation link is used; mail after commit."""
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from survey.models import AuditLog, Role, User
from survey.services.accounts import invitation_resend, user_invite

pytestmark = pytest.mark.django_db


def _invite(orgs, admin_user, email="new.officer@city.sagamihara.example.jp", **kwargs):
    fields = dict(email=email, name="相模原 新人", role=Role.OFFICER, organization=orgs["141500"],
                  acting_user=admin_user)
    return user_invite(**{**fields, **kwargs})


def test_invited_user_exists_but_cannot_log_in_before_setting_a_password(orgs, admin_user, client, login_form):
    user = _invite(orgs, admin_user)
    assert user.is_active and not user.has_usable_password()
    login_form(client, user.email, "")
    assert "_auth_user_id" not in client.session


def test_invitation_mail_is_sent_only_after_commit(orgs, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _invite(orgs, admin_user)
    assert mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_invitation_mail_is_japanese_with_organisation_portal_and_link(orgs, admin_user, settings,
                                                                       django_capture_on_commit_callbacks):
    settings.PORTAL_BASE_URL = "https://portal.example.go.jp"
    with django_capture_on_commit_callbacks(execute=True):
        user = _invite(orgs, admin_user)
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert "14神奈川県相模原市" in message.subject
    assert "相模原 新人 様" in message.body and "14神奈川県相模原市" in message.body
    assert "https://portal.example.go.jp/accounts/activate/" in message.body
    assert "https://portal.example.go.jp/\n" in message.body
    assert "パスワードを設定" in message.body


def test_invitation_is_audited(orgs, admin_user):
    user = _invite(orgs, admin_user)
    row = AuditLog.objects.get(action=AuditLog.Action.ACCOUNT_CREATE)
    assert row.actor == admin_user and row.organization == orgs["141500"]
    assert row.target == user.email and row.details["user_id"] == user.pk


def test_email_is_stored_in_lower_case(orgs, admin_user):
    assert _invite(orgs, admin_user, email=" New.Officer@City.Example.JP ").email == "new.officer@city.example.jp"


def test_an_address_already_registered_is_refused_whatever_its_case(orgs, admin_user, sagamihara):
    with pytest.raises(ValidationError) as exc:
        _invite(orgs, admin_user, email=sagamihara.email.upper())
    assert exc.value.error_dict["email"][0].code == "email_taken"
    assert User.objects.filter(email__iexact=sagamihara.email).count() == 1


def test_the_database_refuses_the_same_address_in_another_case(sagamihara):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email=sagamihara.email.upper(), name="重複", role=Role.MINISTRY)


@pytest.mark.parametrize("role, org_code, field, code", [
    (Role.OFFICER, None, "organization", "organization_required"),
    (Role.MINISTRY, "141500", "organization", "organization_not_allowed"),
    ("boss", None, "role", "invalid_role"),
])
def test_role_and_organisation_must_fit(orgs, admin_user, role, org_code, field, code):
    with pytest.raises(ValidationError) as exc:
        _invite(orgs, admin_user, role=role, organization=orgs[org_code] if org_code else None)
    assert [e.code for e in exc.value.error_dict[field]] == [code]


def test_every_problem_is_reported_at_once(orgs, admin_user):
    with pytest.raises(ValidationError) as exc:
        _invite(orgs, admin_user, email="not-an-address", name=" ", organization=None)
    assert set(exc.value.error_dict) == {"email", "name", "organization"}


def test_retired_organisation_cannot_get_new_accounts(orgs, admin_user):
    orgs["142042"].is_active = False
    orgs["142042"].save()
    with pytest.raises(ValidationError) as exc:
        _invite(orgs, admin_user, organization=orgs["142042"])
    assert exc.value.error_dict["organization"][0].code == "organization_retired"


def test_resending_an_invitation_makes_the_earlier_link_useless(orgs, admin_user, client,
                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = _invite(orgs, admin_user)
    first_link = _link(mail.outbox[0].body)
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(user=user, acting_user=admin_user)
    second_link = _link(mail.outbox[1].body)
    assert "この招待リンクは無効です" in client.get(first_link, follow=True).content.decode()
    assert "パスワードを設定して利用を開始する" in client.get(second_link, follow=True).content.decode()


def test_no_invitation_is_resent_to_an_account_with_a_password(sagamihara, admin_user):
    with pytest.raises(ValidationError) as exc:
        invitation_resend(user=sagamihara, acting_user=admin_user)
    assert exc.value.code == "already_active"


def _link(body: str) -> str:
    url = next(line for line in body.splitlines() if "/accounts/activate/" in line)
    return url[url.index("/accounts/"):]
