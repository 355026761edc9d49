"""CI runs the production smoke test: scripts/prod-smoke must pass end to end.

It starts its own PostgreSQL and Redis, two gunicorn nodes with production settings, two Celery
workers and beat, and drives them over HTTP (see the script). Several minutes on 2 cores.
"""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OWN_SERVICES = {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_SETTINGS_MODULE",
                "DJANGO_ALLOW_ASYNC_UNSAFE"}


@pytest.mark.ops
def test_production_stack_serves_officers_imports_and_workbooks_on_two_nodes():
    env = {k: v for k, v in os.environ.items() if k not in OWN_SERVICES}
    result = subprocess.run(["bash", "scripts/prod-smoke"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=1800)
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "[prod-smoke] PASSED" in result.stdout
    for text in ("officer submits", "a worker imported it", "a worker built it", "2 Celery workers answer"):
        assert text in result.stdout
