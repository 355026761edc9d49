"""Sessions: logging in and out, refused logins, lock-outs and ending every session of a user.

Every change is atomic, takes the acting user and writes its audit row in the same transaction.
"""

import time
import uuid

from axes.models import AccessAttempt
from django.contrib.auth import login, logout
from django.db import transaction

from survey.audit import Action, audit
from survey.middleware import LOGIN_TIME_KEY
from survey.models import User
from survey.models.accounts import normalise_email


def session_start(*, request, user: User) -> None:
    """Log `user` in (Django rotates the session key), stamp the login time, audit it."""
    login(request, user, backend="survey.auth.EmailBackend")
    request.session[LOGIN_TIME_KEY] = time.time()
    audit(Action.LOGIN, actor=user, request=request, organization=user.organization, target=user.email)


def session_end(*, request) -> None:
    """Audit the logout of the current user, then end the session."""
    user = request.user
    if user.is_authenticated:
        audit(Action.LOGOUT, actor=user, request=request, organization=user.organization, target=user.email)
    logout(request)


def login_failure_record(*, email: str, request, reason: str) -> None:
    """Audit a refused login: wrong_password, unknown_email, inactive or locked (axes counts them).

    An unknown address has no actor; the address stays in the details.
    """
    email = normalise_email(email)
    user = User.objects.select_related("organization").filter(email=email).first()
    if user is None:
        reason = "unknown_email" if reason == "wrong_password" else reason
    elif reason == "wrong_password" and not user.is_active:
        reason = "inactive"
    audit(Action.LOGIN_FAILED, actor=user, request=request,
          organization=user.organization if user else None, target=email, email=email, reason=reason)


@transaction.atomic
def lockout_clear(*, ip: str | None, username: str | None, acting_user: User, request=None) -> int:
    """Lift a lock-out: the failures of `username` from `ip`, or of every account from `ip`."""
    attempts = AccessAttempt.objects.filter(ip_address=ip)
    if username is not None:
        attempts = attempts.filter(username=username)
    cleared, _ = attempts.delete()
    user = User.objects.select_related("organization").filter(email=username).first() if username else None
    audit(Action.ACCOUNT_CHANGE, actor=acting_user, request=request,
          organization=user.organization if user else None, target=username or ip or "",
          change="lockout_cleared", locked_ip=ip, attempts=cleared)
    return cleared


@transaction.atomic
def user_sessions_end(*, user: User, acting_user: User | None, request=None) -> None:
    """End every session of `user` at once: a new salt changes the session auth hash."""
    user.session_key_salt = uuid.uuid4()
    user.save(update_fields=["session_key_salt"])
    audit(Action.SESSIONS_ENDED, actor=acting_user, request=request, organization=user.organization,
          target=user.email, user_id=user.pk)
