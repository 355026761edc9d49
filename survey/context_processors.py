from django.conf import settings

from survey.middleware import session_seconds_left


def portal(request):
    """Values every page needs: the portal's name, and for a signed-in user the session's clock
    (read by static/js/session-timeout.js to warn before the idle timeout)."""
    context = {"PORTAL_NAME": "調査回答ポータル"}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["session_seconds_left"] = session_seconds_left(request)
        context["session_warning_seconds"] = settings.SESSION_WARNING_SECONDS
    return context
