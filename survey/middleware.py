"""Session limits and cache headers for pages with personal data."""
import time

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
