"""The session clock: 「ログインを続ける」 renews the idle timeout without leaving the page."""
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from survey.middleware import session_seconds_left


@require_POST
def session_extend(request):
    """Renew the session (every request does: SESSION_SAVE_EVERY_REQUEST); say how long it now lasts.

    JSON, not a redirect to the login page: the caller is static/js/session-timeout.js, which
    tells the user their session already ended (401) rather than following a redirect.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False, "seconds_left": 0}, status=401)
    request.session.modified = True
    return JsonResponse({"signed_in": True, "seconds_left": session_seconds_left(request)})
