"""Authentication: e-mail + password, behind django-axes' lock-outs (see survey/lockouts.py).

AUTHENTICATION_BACKENDS runs LockoutBackend first, so every path through
django.contrib.auth.authenticate() is refused while its account+address or its address is
locked, even with the right password; EmailBackend then checks the password. Both audit the
failures they see, so a refused attempt is never silent.
"""
from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth.backends import ModelBackend

from survey.models.accounts import normalise_email


def _email(username, kwargs) -> str:
    return normalise_email(username if username is not None else kwargs.get("email", ""))


class LockoutBackend(AxesStandaloneBackend):
    """axes' check, first in AUTHENTICATION_BACKENDS; a refusal while locked is audited."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except AxesBackendPermissionDenied:
            from survey.services.accounts import login_failure_record

            login_failure_record(email=_email(username, kwargs), request=request, reason="locked")
            raise


class EmailBackend(ModelBackend):
    """ModelBackend keyed on the lower-cased e-mail; audits wrong passwords (axes counts them).

    get_user refuses inactive users, so deactivating an account ends its sessions.
    """

    def get_user(self, user_id):
        """The request's user, read once per request with what every request asks of it: the
        organisation (scope checks) and the facts of the second-factor step still owed
        (survey.two_factor.pending_step), in the same query, so that they are as fresh as the
        user row itself."""
        from survey.models import User
        from survey.two_factor import with_two_factor_facts

        user = with_two_factor_facts(User._default_manager.select_related("organization").filter(pk=user_id)).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def authenticate(self, request, username=None, password=None, **kwargs):
        from survey.services.accounts import login_failure_record

        email = _email(username, kwargs)
        if not email or password is None:
            return None
        user = super().authenticate(request, username=email, password=password)
        if user is None:
            login_failure_record(email=email, request=request, reason="wrong_password")
        return user
