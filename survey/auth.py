"""Authentication: e-mail + password, with a per-account limit on wrong passwords.

The limit lives in the backend so that every path through django.contrib.auth.authenticate()
is throttled, not only the login page. The login form asks `login_throttled` first as well,
only to show a message that says why the login was refused.
"""
import datetime as dt

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from survey.models import LoginFailure


class LoginThrottled(PermissionDenied):
    """Too many wrong passwords for this account in the window: refuse even a correct one."""


def normalise_email(email: str) -> str:
    """E-mail addresses are stored and compared in lower case."""
    return (email or "").strip().lower()


def recent_failures(email: str) -> int:
    """Wrong passwords for `email` within LOGIN_FAILURE_WINDOW seconds."""
    since = timezone.now() - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    return LoginFailure.objects.filter(email=normalise_email(email), at__gte=since).count()


def login_throttled(email: str) -> bool:
    """True once LOGIN_FAILURE_LIMIT wrong passwords were given in the window."""
    return recent_failures(email) >= settings.LOGIN_FAILURE_LIMIT


class ThrottledEmailBackend(ModelBackend):
    """ModelBackend keyed on the lower-cased e-mail; records failures and refuses when throttled.

    get_user (inherited) refuses inactive users, so deactivating an account ends its sessions.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        from survey.services.accounts import login_failure_record

        email = normalise_email(username if username is not None else kwargs.get("email", ""))
        if not email or password is None:
            return None
        if login_throttled(email):
            login_failure_record(email=email, request=request, reason="throttled")
            raise LoginThrottled
        user = super().authenticate(request, username=email, password=password)
        if user is None:
            login_failure_record(email=email, request=request, reason="wrong_password")
        return user
