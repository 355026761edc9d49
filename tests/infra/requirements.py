"""Whether a test may skip for a missing service: decided here, and only here.

scripts/test (and so CI) starts PostgreSQL and Redis, installs Chromium and LibreOffice, and
sets REQUIRE_SERVICES=1: there a test that needs a missing service fails, so the suite cannot
pass by skipping (tests/conftest.py also turns any other skip into a failure). Without it, in
the quick loop (`.venv/bin/pytest tests/engine`, SQLite, no servers), such a test is skipped
with the reason.

    from tests.infra.requirements import require
    require("postgres")            # at the top of a test or fixture
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# The product spec and seeds sit beside the repository (../shared), wherever it is cloned.
SHARED_DIR = REPO_ROOT.parent / "shared"
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def services_required() -> bool:
    """True under scripts/test: a missing service is a failure, never a skip."""
    return os.environ.get("REQUIRE_SERVICES", "") == "1"


def _postgres() -> str | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return f"the database is {connection.vendor}, not PostgreSQL (DATABASE_URL unset: run scripts/test)"
    return None


def _redis() -> str | None:
    return None if os.environ.get("REDIS_URL") else "REDIS_URL is not set (run scripts/test)"


def _celery() -> str | None:
    # The real worker is another process: it needs Redis as its broker and PostgreSQL to see
    # the test database.
    return _redis() or _postgres()


def _chromium() -> str | None:
    return None if Path(CHROMIUM_PATH).exists() else f"{CHROMIUM_PATH} is missing (scripts/test installs chromium)"


def _libreoffice() -> str | None:
    return None if soffice_path() else "soffice is not installed (scripts/test installs libreoffice-calc-nogui)"


def _fonts() -> str | None:
    return None if shutil.which("fc-list") else "fontconfig is not installed (scripts/test installs fonts-noto-cjk)"


def _shared() -> str | None:
    return None if (SHARED_DIR / "seeds").is_dir() else f"{SHARED_DIR} (the spec and seeds beside the repo) is missing"


CHECKS: dict[str, Callable[[], str | None]] = {
    "postgres": _postgres, "redis": _redis, "celery": _celery, "chromium": _chromium,
    "libreoffice": _libreoffice, "fonts": _fonts, "shared": _shared,
}


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require(*services: str) -> None:
    """Skip the test when a service is missing, or fail it under REQUIRE_SERVICES=1."""
    for service in services:
        reason = CHECKS[service]()
        if reason is None:
            continue
        if services_required():
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
