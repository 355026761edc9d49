"""Japanese error pages (400, 403, CSRF failure, 404, 500, 503, 507), each with a way back.

The 500 page is rendered without context processors or database access: whatever broke the
request may break them too, and it shows no detail. When what broke it is the database or Redis
out of reach (a restart, a failover), the same handler answers 503 with Retry-After instead: the
state is temporary and the request may simply be sent again. When the file store is full (or
over its quota) it answers 507 and asks to tell the administrator. The other pages run with the
request, so the header shows who is signed in.
"""
import errno
import re
import sys

from django.db import InterfaceError, OperationalError
from django.http import (
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import requires_csrf_token

# A reason is shown only when it was written for users (our PermissionDenied messages are
# Japanese); anything else (Django's own English messages) could say more than it should.
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
CSRF_REASON = ("画面を開いてから時間がたったか、別の画面でログアウト・ログインしたため、"
               "送信を確認できませんでした。")


def back_url(request) -> str:
    """The page the user came from (Referer), when it is on this site; else ''."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return referer
    return ""


def _safe_back_url(request) -> str:
    try:
        return back_url(request)
    except Exception:  # a broken Host header must not break the error page itself
        return ""


def user_reason(exception) -> str:
    """The exception's message when it was written for users, else ''."""
    text = str(exception) if exception is not None else ""
    return text if _JAPANESE.search(text) else ""


@requires_csrf_token
def bad_request(request, exception=None):
    if service_unavailable_cause(exception):
        # Django reports a session it could not save as SessionInterrupted (a 400) even when the
        # database was out of reach (a restart mid-request): that is a 503, to try again.
        return _service_unavailable({"back_url": _safe_back_url(request)})
    html = loader.render_to_string("errors/400.html", {"back_url": _safe_back_url(request)}, request)
    return HttpResponseBadRequest(html)


@requires_csrf_token
def permission_denied(request, exception=None):
    context = {"back_url": _safe_back_url(request), "reason": user_reason(exception)}
    return HttpResponseForbidden(loader.render_to_string("errors/403.html", context, request))


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the form could not be accepted; say why and how to go on."""
    context = {"back_url": _safe_back_url(request), "reason": CSRF_REASON, "csrf": True}
    return HttpResponseForbidden(loader.render_to_string("errors/403.html", context, request))


@requires_csrf_token
def page_not_found(request, exception=None):
    html = loader.render_to_string("errors/404.html", {"back_url": _safe_back_url(request)}, request)
    return HttpResponseNotFound(html)


RETRY_AFTER_SECONDS = 30


def _service_unavailable_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean a backing service (PostgreSQL, Redis, the job queue) cannot be reached."""
    from kombu.exceptions import OperationalError as QueueError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError, QueueError)


def service_unavailable_cause(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from, says a backing service is out of reach."""
    kinds = _service_unavailable_errors()
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, kinds):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def storage_full_cause(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from, is a write refused for want of space."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def server_error(request):
    """No detail, no context processors, no database. 503 when the database or Redis is down,
    507 when the file store is full."""
    context = {"back_url": _safe_back_url(request)}
    exc = sys.exc_info()[1]
    if storage_full_cause(exc):
        return HttpResponse(loader.get_template("errors/507.html").render(context), status=507)
    if service_unavailable_cause(exc):
        return _service_unavailable(context)
    html = loader.get_template("errors/500.html").render(context)
    return HttpResponseServerError(html)


def _service_unavailable(context: dict) -> HttpResponse:
    """503 with Retry-After, rendered without context processors or database."""
    response = HttpResponse(loader.get_template("errors/503.html").render(context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
