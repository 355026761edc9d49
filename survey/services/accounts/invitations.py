"""Invitations and passwords: creating an account without a password, mailing its set-password
link after commit, resending it, setting the password and activating.

Identifiers come only from the database (pk) or uuid4; e-mail uniqueness is enforced by the
database (case-insensitive constraint), so concurrent requests cannot create two accounts
for one address.
"""

import unicodedata
from functools import partial

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from survey.access import role_requires_organization
from survey.audit import Action, audit
from survey.mailtext import render_mail_text
from survey.models import Organization, Role, User
from survey.models.accounts import normalise_email
from survey.services.accounts.sessions import session_start


def activation_path(user: User) -> str:
    """The set-password link's path for `user` (valid until a password is set or it expires)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("account_activate", kwargs={"uidb64": uidb64, "token": token})


def invitation_send(user_id: int) -> None:
    """Send the invitation mail with a fresh set-password link (called after commit)."""
    user = User.objects.select_related("organization").get(pk=user_id)
    base = settings.PORTAL_BASE_URL.rstrip("/")
    context = {
        "user": user,
        "organization": user.organization,
        "portal_url": base + "/",
        "activation_url": base + activation_path(user),
        "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    subject = render_mail_text("accounts/email/invitation_subject.txt", context).strip()
    body = render_mail_text("accounts/email/invitation.txt", context)
    send_mail(subject, body, None, [user.email])


def _schedule_invitation(user: User) -> None:
    # robust: one failing mail must not keep the others of a CSV import from being sent.
    transaction.on_commit(partial(invitation_send, user.pk), robust=True)


def _invite_errors(email: str, name: str, role: str, organization: Organization | None) -> dict:
    errors: dict[str, list[ValidationError]] = {}

    def add(field_name, message, code):
        errors.setdefault(field_name, []).append(ValidationError(message, code=code))

    try:
        validate_email(email)
    except ValidationError:
        add("email", "メールアドレスの形式が正しくありません。", "invalid_email")
    if not name.strip():
        add("name", "氏名を入力してください。", "name_required")
    if role not in Role.values:
        add("role", "役割が正しくありません。", "invalid_role")
    if role_requires_organization(role) and organization is None:
        add("organization", "団体担当者には所属団体が必要です。", "organization_required")
    if not role_requires_organization(role) and organization is not None:
        add("organization", "省庁職員・管理者には所属団体を設定できません。", "organization_not_allowed")
    if organization is not None and not organization.is_active:
        add("organization", f"{organization.display_name}は廃止された団体です。", "organization_retired")
    return errors


def _email_taken() -> ValidationError:
    return ValidationError(
        {"email": ValidationError("このメールアドレスはすでに登録されています。", code="email_taken")}
    )


@transaction.atomic
def user_invite(*, email: str, name: str, role: str, organization: Organization | None,
                acting_user: User | None, request=None, source: str = "web") -> User:
    """Create an account without a usable password and mail its set-password link after commit.

    Raises ValidationError (dict by field, each error with a code); `email_taken` when the
    address exists already, also when another request registered it at the same moment.
    """
    email = normalise_email(unicodedata.normalize("NFKC", email or ""))
    errors = _invite_errors(email, name or "", role, organization)
    if errors:
        raise ValidationError(errors)
    if User.objects.filter(email__iexact=email).exists():
        raise _email_taken()
    user = User(email=email, name=name.strip(), role=role, organization=organization)
    user.set_unusable_password()
    try:
        with transaction.atomic():  # a savepoint: the unique constraint decides races
            user.save()
    except IntegrityError:
        raise _email_taken() from None
    audit(Action.ACCOUNT_CREATE, actor=acting_user, request=request, organization=organization,
          target=email, user_id=user.pk, role=role, source=source)
    _schedule_invitation(user)
    return user


@transaction.atomic
def invitation_resend(*, user: User, acting_user: User, request=None) -> None:
    """Send a new invitation; links sent before stop working (the unusable password changes)."""
    if user.has_usable_password():
        raise ValidationError("この利用者はすでにパスワードを設定済みです。", code="already_active")
    if not user.is_active:
        raise ValidationError("無効化されたアカウントには招待を送れません。", code="inactive")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    audit(Action.ACCOUNT_CHANGE, actor=acting_user, request=request, organization=user.organization,
          target=user.email, user_id=user.pk, change="invitation_resent")
    _schedule_invitation(user)


@transaction.atomic
def password_set(*, user: User, password: str, request=None) -> None:
    """Set the password (first one = activation, or a reset); lifts the account's lock-outs."""
    kind = "reset" if user.has_usable_password() else "activation"
    user.set_password(password)
    user.save(update_fields=["password"])
    AccessAttempt.objects.filter(username=normalise_email(user.email)).delete()
    audit(Action.PASSWORD_SET, actor=user, request=request, organization=user.organization,
          target=user.email, kind=kind)


@transaction.atomic
def account_activate(*, user: User, password: str, request) -> None:
    """First password from the invitation link, then log the user in."""
    password_set(user=user, password=password, request=request)
    session_start(request=request, user=user)
