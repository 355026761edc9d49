"""JSON log lines and one line per request, without answers or personal data.

`JsonFormatter` writes each record as one JSON object: time, level, logger, message, the
request id of the request being served (if any) and a fixed list of extra fields. Nothing else
of a record is written: Django's own records carry the whole request object, which holds POST
data (answers) and cookies.

`RequestLogMiddleware` (first in MIDDLEWARE) gives every request an id (the client's or the
proxy's X-Request-ID when it is well formed, else a new one), echoes it in the response, and
logs one line when the response is ready: request id, user id, organisation code, method, path
(no query string; a password-reset token in the path is masked), status and duration. Never
names, e-mail addresses, answers, query strings or IP addresses.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import functools
import json
import logging
import re
import time
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,99}")
SECRET_KWARGS = {"uidb64", "token"}  # URL arguments that must not reach a log
FIELDS = ("request_id", "user_id", "org", "method", "path", "status", "duration_ms", "job_id", "status_code")

logger = logging.getLogger("portal.request")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with only the whitelisted fields of a record."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            data["request_id"] = request_id
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def request_id_from(header: str | None) -> str:
    """The client's request id when well formed (8-100 safe characters), else a new one."""
    if header and REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


@functools.lru_cache(maxsize=4096)
def _org_code(org_id: int) -> str:
    from survey.models import Organization

    return Organization.objects.filter(pk=org_id).values_list("code", flat=True).first() or ""


def _who(request) -> tuple[int | None, str | None]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None, None
    org_id = getattr(user, "organization_id", None)
    if org_id is None:
        return user.pk, None
    cached = user._state.fields_cache.get("organization")
    return user.pk, cached.code if cached is not None else _org_code(org_id)


def _path(request) -> str:
    match = getattr(request, "resolver_match", None)
    path = request.path
    if match is not None:
        for name in SECRET_KWARGS & set(match.kwargs):
            path = path.replace(str(match.kwargs[name]), "***")
    return path


class RequestLogMiddleware:
    """Request id in and out, and one log line per request (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        token = request_id_var.set(request_id)
        request.request_id = request_id
        start = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            user_id, org = _who(request)
            logger.info("request", extra={"request_id": request_id,
                "user_id": user_id, "org": org, "method": request.method, "path": _path(request),
                "status": response.status_code, "duration_ms": round((time.perf_counter() - start) * 1000, 1),
            })
            return response
        finally:
            request_id_var.reset(token)


def logging_config(*, fmt: str, level: str, requests: bool) -> dict:
    """settings.LOGGING: every record to stderr as `fmt` ("json" or "text"); request lines if `requests`."""
    if fmt not in {"json", "text"}:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {fmt!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "config.logs.JsonFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": fmt}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "portal.request": {"level": "INFO" if requests else "WARNING"},
            "celery": {"level": "INFO" if requests else level},
        },
    }
