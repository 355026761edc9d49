"""A URL configuration for tests only: the portal's URLs plus views that fail on purpose.

Never imported by the portal itself; tests point ROOT_URLCONF here.
"""
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as portal_urlpatterns

SECRET_DETAIL = "secret-detail-7f3a 内部の詳細"


def raise_error(request):
    raise RuntimeError(SECRET_DETAIL)


def raise_permission(request):
    raise PermissionDenied("この画面はテスト用の権限が必要です。")


def raise_english_permission(request):
    raise PermissionDenied(SECRET_DETAIL.split()[0])


def use_cache(request):
    """Reads the Redis cache: fails when Redis cannot be reached."""
    from django.core.cache import cache
    from django.http import HttpResponse

    return HttpResponse(str(cache.get("test-only")))


def raise_suspicious(request):
    raise SuspiciousOperation(SECRET_DETAIL)


def lose_database(request):
    """PostgreSQL goes away after the view's work and before the session is saved (a restart
    mid-request): the session middleware's save then meets a dead connection."""
    import psycopg
    from django.db import connection
    from django.http import HttpResponse

    request.session["test-only"] = "changed"  # the session must be written after the view
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:  # as a restart would, from outside
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    return HttpResponse("done")


urlpatterns = portal_urlpatterns + [
    path("test-only/error/", raise_error),
    path("test-only/forbidden/", raise_permission),
    path("test-only/forbidden-english/", raise_english_permission),
    path("test-only/bad-request/", raise_suspicious),
    path("test-only/cache/", use_cache),
    path("test-only/lose-database/", lose_database),
]
