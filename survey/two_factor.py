"""Two-factor sign-in: the reads (who must use a second factor, which devices a user has).

Sign-in is two steps. The password step (survey.views.accounts.LoginView) logs the user in
with Django; django-otp's OTPMiddleware then tells whether the session was also verified with a
second factor (`request.user.is_verified()`). Until it is, survey.middleware.TwoFactorMiddleware
lets the user reach only the step still owed (`pending_step`):

- "verify": the user has a confirmed TOTP device: enter a code from the app or a recovery code;
- "enrol": the user has none but their role requires one: register an authenticator app first.

The second factor is a django-otp TOTPDevice (RFC 6238, 6 digits every 30 s) and the recovery
codes one StaticDevice of single-use tokens. Writes are in survey.services.two_factor.
"""
import base64
import datetime as dt
import re
import unicodedata

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from survey.models import PRIVILEGED_ROLES, AuditLog, Role, TwoFactorPolicy, User

VERIFY, ENROL = "verify", "enrol"
WRONG_CODE = "wrong_code"
TOTP_CODE = re.compile(r"[0-9]{6}")
RECOVERY_CODE = re.compile(r"[a-z2-7]{8}")


def normalise_code(text: str) -> str:
    """What people type, as the devices compare it: full-width digits (IME), spaces and hyphens,
    upper case are all accepted."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s\-]", "", text).lower()


def required_for_role(role: str) -> bool:
    """Whether users of `role` must sign in with a second factor (privileged roles always must)."""
    if role in PRIVILEGED_ROLES:
        return True
    return _required(role, TwoFactorPolicy.objects.filter(role=role).values_list("required", flat=True).first())


def _required(role: str, policy: bool | None) -> bool:
    """`required_for_role` from the role's policy row (`policy`: its `required`, None without a row)."""
    if role in PRIVILEGED_ROLES:
        return True
    return TwoFactorPolicy.default_for(role) if policy is None else policy


def policy_rows() -> list[dict]:
    """Every role with whether it must use a second factor and whether the policy may change that."""
    return [{"role": value, "label": label, "required": required_for_role(value),
             "fixed": value in PRIVILEGED_ROLES} for value, label in Role.choices]


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_device(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_codes_left(user: User) -> int:
    device = recovery_device(user)
    return device.token_set.count() if device else 0


def two_factor_status(user: User) -> dict:
    """What the account pages show: enrolled since when, required by the policy, codes left."""
    device = confirmed_totp(user)
    return {"enrolled": device is not None, "enrolled_at": device.created_at if device else None,
            "required": required_for_role(user.role),
            "recovery_codes_left": recovery_codes_left(user) if device else 0}


def with_two_factor_facts(users: QuerySet[User]) -> QuerySet[User]:
    """`users` annotated with what `pending_step` needs, so that the request's user (read by
    survey.auth.EmailBackend.get_user) brings it in its own query: `has_confirmed_totp` and
    `role_policy_required` (None when the role has no policy row)."""
    return users.annotate(
        has_confirmed_totp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        role_policy_required=Subquery(TwoFactorPolicy.objects.filter(role=OuterRef("role")).values("required")[:1]),
    )


def pending_step(user: User) -> str | None:
    """What an authenticated, not yet verified session still owes: VERIFY, ENROL or nothing.

    A user read through `with_two_factor_facts` (the request's user) is answered from the facts
    read with it at the start of the request; any other user from the database now."""
    has_totp = getattr(user, "has_confirmed_totp", None)
    if has_totp is None:
        has_totp = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    if has_totp:
        return VERIFY
    if hasattr(user, "role_policy_required"):
        required = _required(user.role, user.role_policy_required)
    else:
        required = required_for_role(user.role)
    return ENROL if required else None


def secret_base32(device: TOTPDevice) -> str:
    """The key as an authenticator app expects it typed: base32, in groups of four."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def retry_after(user: User) -> dt.datetime | None:
    """When `user` may try codes again (TWO_FACTOR_FAILURE_LIMIT wrong codes in the window), or None."""
    since = timezone.now() - dt.timedelta(seconds=settings.TWO_FACTOR_FAILURE_WINDOW)
    # Only wrong codes count, not the refusals while limited: the limit ends one window after
    # the last wrong code, however often the form is sent meanwhile.
    times = list(AuditLog.objects.filter(actor=user, action=AuditLog.Action.TWO_FACTOR_FAILED, at__gte=since,
                                         details__reason=WRONG_CODE).order_by("-at")
                 .values_list("at", flat=True)[:settings.TWO_FACTOR_FAILURE_LIMIT])
    if len(times) < settings.TWO_FACTOR_FAILURE_LIMIT:
        return None
    return times[-1] + dt.timedelta(seconds=settings.TWO_FACTOR_FAILURE_WINDOW)
