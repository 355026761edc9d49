"""scripts/test cannot pass by skipping: with REQUIRE_SERVICES=1 a missing service, or any skip,
fails the test (tests/infra/requirements.py and the report hooks in tests/conftest.py)."""
import os
import subprocess
import sys

import pytest

from tests.infra import requirements
from tests.infra.requirements import REPO_ROOT, require


@pytest.fixture
def no_chromium(monkeypatch, tmp_path):
    monkeypatch.setattr(requirements, "CHROMIUM_PATH", str(tmp_path / "no-chromium"))


def test_a_missing_service_fails_when_services_are_required(no_chromium, monkeypatch):
    monkeypatch.setenv("REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="REQUIRE_SERVICES=1 but .*no-chromium is missing"):
        require("chromium")


def test_a_missing_service_skips_in_the_quick_loop(no_chromium, monkeypatch):
    monkeypatch.delenv("REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium is missing"):
        require("chromium")


def test_the_shared_folder_is_found_beside_the_repository():
    assert requirements.SHARED_DIR == REPO_ROOT.parent / "shared"
    require("shared")


def _run_probe(require_services: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REQUIRE_SERVICES": require_services}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/infra/skip_probe.py"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_any_skip_fails_the_run_when_services_are_required():
    strict = _run_probe("1")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "skipped under REQUIRE_SERVICES=1 (scripts/test): Skipped: a probe that always skips" in strict.stdout
    loose = _run_probe("")
    assert loose.returncode == 0, loose.stdout + loose.stderr
    assert "1 skipped" in loose.stdout
