"""Session limits, the two-factor step, and cache headers for pages with personal data."""
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

LOGIN_TIME_KEY = "portal_login_at"


def session_seconds_left(request) -> int:
    """Seconds until this session ends if the user does nothing: the idle limit (renewed by every
    request), or what is left of the 12-hour limit if that comes first."""
    started = request.session.get(LOGIN_TIME_KEY) or time.time()
    absolute = settings.SESSION_ABSOLUTE_AGE - (time.time() - started)
    return max(0, int(min(settings.SESSION_COOKIE_AGE, absolute)))


class SessionLimitsMiddleware:
    """Ends a session 12 hours after login whatever the activity.

    The 30-minute idle limit is the session cookie's age, renewed on every request
    (SESSION_SAVE_EVERY_REQUEST); a deactivated user's sessions end through
    ModelBackend.get_user, and rotating User.session_key_salt ends all of a user's sessions.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(LOGIN_TIME_KEY)
            if started is None or time.time() - started > settings.SESSION_ABSOLUTE_AGE:
                logout(request)
                return redirect(f"{reverse('login')}?expired=1")
        return self.get_response(request)


def two_factor_exempt(view):
    """Mark a view as reachable while the sign-in still owes its second factor (the code and
    enrolment pages themselves, logout)."""
    view.two_factor_exempt = True
    return view


def two_factor_step_url(step: str, next_url: str = "") -> str:
    """The page of the second-factor step still owed, keeping where the user was going."""
    url = reverse("two_factor_verify" if step == "verify" else "two_factor_setup")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


class TwoFactorMiddleware:
    """Until a session is verified with a second factor, only the step it owes can be reached.

    A user with a confirmed authenticator app must enter a code (or a recovery code); a user
    without one whose role requires it must enrol first. Everything else, whatever the URL,
    redirects to that step. Runs after django-otp's OTPMiddleware (`user.is_verified()`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from survey.two_factor import pending_step

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return None
        step = pending_step(user)
        request.two_factor_step = step
        if step is None or getattr(view_func, "two_factor_exempt", False):
            return None
        return redirect(two_factor_step_url(step, request.get_full_path() if request.method == "GET" else ""))


class NoStoreMiddleware:
    """Every page of an authenticated user may show personal data: never store it in a cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response
