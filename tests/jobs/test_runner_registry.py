"""A Celery worker finds the runner of every job kind, not only those its process happened to import."""
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import aggregation
import survey
from survey import jobs

ROOT = Path(__file__).resolve().parents[2]


def _all_registered_kinds() -> set[str]:
    """Import every module of the project's apps so that every @job_runner is registered."""
    for package in (survey, aggregation):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" not in info.name and ".management" not in info.name:
                importlib.import_module(info.name)
    return set(jobs._RUNNERS)


def test_every_job_kind_is_loadable_in_a_fresh_worker_process():
    kinds = _all_registered_kinds()
    assert {"aggregate_workbook", "reminders"} <= kinds
    code = (
        "import django, json, sys; django.setup(); from survey import jobs; "
        "kinds = json.loads(sys.argv[1]); missing = []\n"
        "for k in kinds:\n"
        "    try: jobs._load_runner(k)\n"
        "    except Exception: missing.append(k)\n"
        "print(json.dumps(missing))"
    )
    out = subprocess.run([sys.executable, "-c", code, json.dumps(sorted(kinds))], cwd=ROOT, capture_output=True,
                         text=True, env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"},
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [], "add the module to survey.jobs.RUNNER_MODULES"
