"""Every process that may run a job (web or Celery worker) has every runner registered once
Django is set up: the apps' AppConfig.ready() import the modules that declare them."""
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def _kinds_after_setup_in_a_fresh_process() -> set[str]:
    code = "import django, json; django.setup(); from survey import jobs; print(json.dumps(sorted(jobs._RUNNERS)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_every_job_kind_is_registered_by_django_setup_alone():
    kinds = _all_registered_kinds()
    assert {"aggregate_workbook", "reminders", "sheet_import"} <= kinds
    assert _kinds_after_setup_in_a_fresh_process() == kinds, "import the runner's module from its AppConfig.ready()"


def test_an_unknown_kind_is_a_lookup_error_not_a_silent_success():
    with pytest.raises(LookupError, match="no_such_kind"):
        jobs._load_runner("no_such_kind")
