"""Session limits, the two-factor step, and cache headers for pages with personal data."""
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

LOGIN_TIME_KEY = "portal_login_at"
RENEWED_KEY = "portal_renewed_at"  # when the idle limit was last renewed (the session last saved for it)


def session_seconds_left(request) -> int:
    """Seconds until this session ends if the user does nothing: the idle limit (counted from its
    last renewal, see `session_renew`), or what is left of the 12-hour limit if that comes first."""
    now = time.time()
    started = request.session.get(LOGIN_TIME_KEY) or now
    renewed = request.session.get(RENEWED_KEY) or now
    absolute = settings.SESSION_ABSOLUTE_AGE - (now - started)
    idle = settings.SESSION_COOKIE_AGE - int(now - renewed)
    return max(0, int(min(idle, absolute)))


def session_renew(request) -> None:
    """Renew the idle limit now: the session is saved at the end of the request, with its expiry
    SESSION_COOKIE_AGE from now, and the time kept for `session_seconds_left`."""
    request.session[RENEWED_KEY] = time.time()


def renew_interval() -> int:
    """Seconds between two renewals of the idle limit: SESSION_RENEW_SECONDS, but never more than
    a thirtieth of the limit itself (one minute of 30; a short limit, as in tests, renews every time)."""
    return min(settings.SESSION_RENEW_SECONDS, settings.SESSION_COOKIE_AGE // 30)


class SessionLimitsMiddleware:
    """Ends a session 12 hours after login whatever the activity, and renews the idle limit.

    The 30-minute idle limit is the session's expiry in the database (SESSION_COOKIE_AGE from its
    last save). Saving the session on every request cost a transaction per page; instead a
    request renews it when the last renewal is `renew_interval()` old or more, so the session
    ends between SESSION_COOKIE_AGE - renew_interval() and SESSION_COOKIE_AGE after the user's
    last request, never later, and the pages' warning counts from the same renewal
    (`session_seconds_left`). A deactivated user's sessions end through ModelBackend.get_user,
    and rotating User.session_key_salt ends all of a user's sessions.
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
            renewed = request.session.get(RENEWED_KEY)
            if renewed is None or time.time() - renewed >= renew_interval():
                session_renew(request)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.session.modified:
            session_renew(request)  # saved anyway (a login, a message): the expiry is renewed too
        return response


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
