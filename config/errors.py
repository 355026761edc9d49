"""Error reporting to a Sentry-compatible server (sentry-sdk), off unless SENTRY_DSN is set.

Point SENTRY_DSN at a self-hosted Sentry (or GlitchTip) inside the closed network. What is sent
is the exception, its stack and the request's method and URL path, never personal data:
send_default_pii is off (no user e-mail, IP or cookies), request bodies are never sent (they hold
answers) and neither are the stack frames' local variables.
"""
from __future__ import annotations

from config.env import envstr


def sentry_options(dsn: str) -> dict:
    """The arguments of sentry_sdk.init for `dsn` (tests check them)."""
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    return {
        "dsn": dsn,
        "environment": envstr("SENTRY_ENVIRONMENT", "production"),
        "release": envstr("SENTRY_RELEASE", "") or None,
        "integrations": [DjangoIntegration(), CeleryIntegration()],
        "send_default_pii": False,
        "max_request_body_size": "never",
        "include_local_variables": False,
        "traces_sample_rate": 0.0,
    }


def init_error_reporting() -> bool:
    """Start sentry-sdk when SENTRY_DSN is set; returns whether it did."""
    dsn = envstr("SENTRY_DSN", "")
    if not dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(**sentry_options(dsn))
    return True
