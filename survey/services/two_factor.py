"""Two-factor sign-in: enrolment, the code step, recovery codes, removal, reset and the policy.

Every change is atomic and writes its audit row in the same transaction. Codes are checked by
django-otp's devices (TOTPDevice, StaticDevice), which also slow down repeated wrong codes per
device; on top of that a user gets TWO_FACTOR_FAILURE_LIMIT wrong codes per window (counted
from the audit log, see survey.two_factor.retry_after). A wrong code also sends Django's
`user_login_failed` signal, so that a login rate limiter listening to it (django-axes) counts
it like a wrong password.
"""
import uuid
from dataclasses import dataclass

import django_otp
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from survey import access, two_factor
from survey.audit import Action, audit
from survey.models import PRIVILEGED_ROLES, Role, TwoFactorPolicy, User

TOTP_NAME = "認証アプリ"
RECOVERY_NAME = "リカバリーコード"


@dataclass
class VerifyOutcome:
    """The result of the code step: `ok`, else why not (`reason`) and until when (`retry_at`)."""

    ok: bool
    reason: str = ""
    retry_at: object = None
    recovery_used: bool = False
    recovery_left: int | None = None


def _audit(action, user: User, request, **details):
    audit(action, actor=user, request=request, organization=user.organization, target=user.email, **details)


def _session_verified(request, device) -> None:
    """Mark the session verified by `device` under a new session key (the privilege grew)."""
    django_otp.login(request, device)
    request.session.cycle_key()


def _failed(request, user: User, *, stage: str, reason: str, counted: bool = True) -> None:
    _audit(Action.TWO_FACTOR_FAILED, user, request, stage=stage, reason=reason)
    if counted:
        user_login_failed.send(sender=__name__, credentials={"username": user.email}, request=request)


# --- enrolment ---------------------------------------------------------------------------------


@transaction.atomic
def totp_enrolment_begin(*, user: User) -> TOTPDevice:
    """The unconfirmed device the enrolment page shows: the same one until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def totp_enrolment_confirm(*, user: User, code: str, request) -> list[str] | None:
    """Confirm the pending device with a code from the app: the session is verified and the new
    recovery codes returned (to be shown once). None when the code is wrong (audited)."""
    code = two_factor.normalise_code(code)
    with transaction.atomic():
        device = (TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False)
                  .order_by("pk").first())
        if device is None or two_factor.confirmed_totp(user) is not None:
            raise ValidationError("登録の手続きが見つかりません。もう一度最初から登録してください。",
                                  code="no_enrolment")
        if not (two_factor.TOTP_CODE.fullmatch(code) and device.verify_token(code)):
            _failed(request, user, stage=two_factor.ENROL, reason="wrong_enrolment_code", counted=False)
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = _recovery_codes_replace(user)
        _audit(Action.TWO_FACTOR_ENROL, user, request, device="totp", recovery_codes=len(codes))
    _session_verified(request, device)
    return codes


# --- the code step of sign-in ------------------------------------------------------------------


def second_factor_verify(*, user: User, code: str, request) -> VerifyOutcome:
    """Check a TOTP code (6 digits) or a recovery code (8 letters); on success verify the session."""
    code = two_factor.normalise_code(code)
    retry_at = two_factor.retry_after(user)
    if retry_at is not None:
        _failed(request, user, stage=two_factor.VERIFY, reason="limited", counted=False)
        return VerifyOutcome(ok=False, reason="limited", retry_at=retry_at)
    is_totp = bool(two_factor.TOTP_CODE.fullmatch(code))
    with transaction.atomic():
        model = TOTPDevice if is_totp else StaticDevice
        device = model.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        if device is not None:
            allowed, info = device.verify_is_allowed()
            if not allowed:
                _failed(request, user, stage=two_factor.VERIFY, reason="device_throttled", counted=False)
                return VerifyOutcome(ok=False, reason="device_throttled", retry_at=(info or {}).get("locked_until"))
        if device is None or not device.verify_token(code):
            _failed(request, user, stage=two_factor.VERIFY, reason=two_factor.WRONG_CODE)
            return VerifyOutcome(ok=False, reason=two_factor.WRONG_CODE)
        outcome = VerifyOutcome(ok=True, recovery_used=not is_totp)
        _audit(Action.TWO_FACTOR_VERIFIED, user, request, method="totp" if is_totp else "recovery_code")
        if not is_totp:
            outcome.recovery_left = device.token_set.count()
            _audit(Action.RECOVERY_CODE_USED, user, request, remaining=outcome.recovery_left)
    _session_verified(request, device)
    return outcome


# --- recovery codes, removal, reset ------------------------------------------------------------


def _recovery_codes_replace(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=token) for token in codes])
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User, request=None) -> list[str]:
    """New recovery codes for `user`; the earlier ones stop working."""
    if two_factor.confirmed_totp(user) is None:
        raise ValidationError("二要素認証が登録されていません。", code="not_enrolled")
    codes = _recovery_codes_replace(user)
    _audit(Action.RECOVERY_CODES_NEW, user, request, recovery_codes=len(codes))
    return codes


def _devices_delete(user: User) -> int:
    """Delete every device of `user` (their recovery codes with them); the number of devices."""
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        removed += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
    return removed


@transaction.atomic
def two_factor_remove(*, user: User, request=None) -> None:
    """The user's own removal of their second factor, where their role does not require one."""
    if two_factor.required_for_role(user.role):
        raise ValidationError("この役割では二要素認証が必須のため、解除できません。", code="required")
    if two_factor.confirmed_totp(user) is None:
        raise ValidationError("二要素認証が登録されていません。", code="not_enrolled")
    _devices_delete(user)
    _audit(Action.TWO_FACTOR_REMOVED, user, request)


@transaction.atomic
def two_factor_reset(*, user: User, acting_user: User, request=None) -> None:
    """An administrator removes `user`'s second factor (lost phone and codes): every session of
    the user ends, and the next sign-in asks for a new enrolment where the role requires one."""
    if not access.can_reset_two_factor(acting_user):
        raise PermissionDenied("二要素認証のリセットは管理者のみが行えます。")
    if user.pk == acting_user.pk:
        raise ValidationError("自分自身の二要素認証はリセットできません。別の管理者に依頼してください。",
                              code="self_reset")
    removed = _devices_delete(user)
    user.session_key_salt = uuid.uuid4()
    user.save(update_fields=["session_key_salt"])
    audit(Action.TWO_FACTOR_RESET, actor=acting_user, request=request, organization=user.organization,
          target=user.email, user_id=user.pk, devices_removed=removed, sessions_ended=True)


# --- the policy --------------------------------------------------------------------------------


@transaction.atomic
def two_factor_policy_set(*, role: str, required: bool, acting_user: User, request=None) -> bool:
    """Require (or not) a second factor of every user of `role`; True if the policy changed."""
    if not access.can_set_two_factor_policy(acting_user):
        raise PermissionDenied("二要素認証の方針は省庁職員または管理者のみが変更できます。")
    if role not in Role.values:
        raise ValidationError("役割が正しくありません。", code="invalid_role")
    if role in PRIVILEGED_ROLES and not required:
        raise ValidationError("省庁職員と管理者は、政府統一基準によりパスワードだけではログインできません（二要素認証は必須です）。",
                              code="privileged_role")
    before = two_factor.required_for_role(role)
    TwoFactorPolicy.objects.update_or_create(
        role=role, defaults={"required": required, "updated_at": timezone.now(), "updated_by": acting_user})
    if before == required:
        return False
    audit(Action.TWO_FACTOR_POLICY, actor=acting_user, request=request, target=role,
          role=role, required=required, before=before)
    return True
