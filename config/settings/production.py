"""Production: PostgreSQL, Redis, Celery workers, gunicorn behind a TLS-terminating proxy.

Every secret and host comes from the environment; a missing one stops the process at start.
"""
from config.env import envbool, envint, envlist, envstr
from config.logs import logging_config

from .base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = envstr("SECRET_KEY")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production")

# Hashed, compressed static files, collected at deploy time (manage.py collectstatic).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "config.staticfiles.StaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

# One JSON object per log line, one line per request (config/logs.py).
LOGGING = logging_config(fmt=envstr("LOG_FORMAT", "json"), level=envstr("LOG_LEVEL", "WARNING"),
                         requests=envbool("LOG_REQUESTS", default=True))
