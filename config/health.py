"""/healthz and /readyz, for load balancers, systemd and monitoring.

- /healthz: the process answers. Touches nothing else (no database), so a node whose database
  is down is not restarted for it.
- /readyz: the node can serve: the database, Redis, at least one Celery worker answering a ping
  (the worker heartbeat), the private storage writable, and free disk above
  READY_MIN_FREE_DISK_MB on the private files' and the temporary files' file systems. 200 with
  every check "OK", else 503 naming what failed.

The checks are django-health-check's (Database, Redis, Celery Ping, Storage). Its psutil Disk
check measures the used percentage, which on a large disk leaves much or on a small one little
room; what a node needs is room for the next uploads and workbooks, in bytes, hence `FreeDisk`.
Redis and the worker are not checked at the embedded default (no REDIS_URL, tasks in-process).
The answer names checks, never hosts or ports (it is reachable without signing in).
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
from health_check.checks import Database, Storage
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@never_cache
def healthz(request):
    """The process is alive (nothing else is checked)."""
    return JsonResponse({"status": "ok"})


@dataclasses.dataclass
class FreeDisk(HealthCheck):
    """Free space of the file system holding `path` is at least `min_bytes`."""

    path: str
    min_bytes: int = dataclasses.field(repr=False)

    def run(self):
        path = Path(self.path)
        while not path.exists() and path != path.parent:  # a storage folder not created yet
            path = path.parent
        free = shutil.disk_usage(path).free
        if free < self.min_bytes:
            raise ServiceUnavailable(f"{free // 2**20} MiB free, below {self.min_bytes // 2**20} MiB")


def readiness_checks() -> dict[str, HealthCheck]:
    """The checks of /readyz by name (the names are what the answer shows)."""
    checks: dict[str, HealthCheck] = {"database": Database(), "storage": Storage(alias="private")}
    if settings.REDIS_URL:
        from health_check.contrib.redis import Redis
        from redis.asyncio import Redis as RedisClient

        checks["redis"] = Redis(client_factory=lambda: RedisClient.from_url(settings.REDIS_URL))
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        from health_check.contrib.celery import Ping

        from config.celery import app

        checks["worker"] = Ping(app=app, timeout=datetime.timedelta(seconds=2), limit=1)
    min_bytes = settings.READY_MIN_FREE_DISK_MB * 2**20
    if "FileSystemStorage" in settings.STORAGES["private"]["BACKEND"]:
        checks["disk_private"] = FreeDisk(path=str(settings.PRIVATE_STORAGE_ROOT), min_bytes=min_bytes)
    checks["disk_tmp"] = FreeDisk(path=settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir(), min_bytes=min_bytes)
    return checks


class ReadinessView(HealthCheckView):
    """django-health-check's view, answering JSON only with the check names above (503 on failure)."""

    async def get(self, request, *args, **kwargs):
        checks = readiness_checks()
        with self.get_executor() as executor:
            results = await asyncio.gather(*(check.get_result(executor) for check in checks.values()))
        report = {name: "OK" if not r.error else str(r.error) for name, r in zip(checks, results, strict=True)}
        ok = all(value == "OK" for value in report.values())
        return JsonResponse({"status": "ok" if ok else "unavailable", "checks": report}, status=200 if ok else 503)


readyz = ReadinessView.as_view()
