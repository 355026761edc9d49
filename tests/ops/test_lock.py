"""The dependency lock: made from pyproject.toml's dependencies, every file hashed, and a known
vulnerability fails the audit."""
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "lib"))

import audit_report  # noqa: E402
import lockfile  # noqa: E402


def _locked(path: Path) -> dict[str, str]:
    return {name.lower(): version for name, version in
            re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ \\;]+)", path.read_text(encoding="utf-8"), flags=re.M)}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_lock_was_made_from_the_current_pyproject():
    assert lockfile.stale_locks() == [], "run scripts/lock and commit requirements/"


@pytest.mark.parametrize("lock, groups", [("app.txt", ["dependencies"]), ("test.txt", ["dependencies", "test"])])
def test_every_pin_of_pyproject_is_locked_at_its_version(lock, groups):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = [*project["dependencies"], *(project["optional-dependencies"]["test"] if "test" in groups else [])]
    locked = {_norm(k): v for k, v in _locked(ROOT / "requirements" / lock).items()}
    for pin in pins:
        name, version = re.match(r"([A-Za-z0-9._-]+)(?:\[[^\]]+\])?==(.+)", pin).groups()
        assert locked.get(_norm(name)) == version, f"{pin} is locked at {locked.get(_norm(name))}"


def test_every_locked_package_carries_hashes():
    text = (ROOT / "requirements" / "test.txt").read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert len(blocks) > 40
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)


def test_a_known_vulnerability_fails_the_audit():
    report = {"dependencies": [
        {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-2025-1", "fix_versions": ["5.2.1"]}]},
        {"name": "celery", "version": "5.7.0", "vulns": []},
    ]}
    code, lines = audit_report.judge(report, strict=False)
    assert code == 1
    assert "VULNERABLE django==5.2.0: PYSEC-2025-1 (fixed in 5.2.1)" in lines


def test_packages_the_service_cannot_answer_for_warn_or_fail_when_strict():
    report = {"dependencies": [{"name": "celery", "skip_reason": "Dependency not found on PyPI"},
                               {"name": "django", "version": "5.2.19", "vulns": []}]}
    assert audit_report.judge(report, strict=False)[0] == 0
    assert audit_report.judge(report, strict=True)[0] == 1
    assert audit_report.judge({"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}]},
                              strict=True)[0] == 0
