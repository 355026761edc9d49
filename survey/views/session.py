"""The session clock: 「ログインを続ける」 renews the idle timeout without leaving the page."""
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from survey.middleware import session_renew, session_seconds_left


@require_POST
def session_extend(request):
    """Renew the session now (other requests do at most once a minute); say how long it now lasts.

    JSON, not a redirect to the login page: the caller is static/js/session-timeout.js, which
    tells the user their session already ended (401) rather than following a redirect.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False, "seconds_left": 0}, status=401)
    session_renew(request)
    return JsonResponse({"signed_in": True, "seconds_left": session_seconds_left(request)})
