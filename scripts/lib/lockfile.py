"""The dependency lock (requirements/*.txt) and the pyproject.toml it was made from.

    python3 scripts/lib/lockfile.py digest     # prints the digest of pyproject's dependencies
    python3 scripts/lib/lockfile.py check      # exit 1 when a lock was made from other dependencies

scripts/lock writes "# pyproject-dependencies-sha256: <digest>" at the top of each lock file;
scripts/bootstrap refuses to install from a lock whose digest is not the current one, so that a
dependency added to pyproject.toml is never silently left out (run scripts/lock, commit both).
"""
from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCKS = [ROOT / "requirements" / "app.txt", ROOT / "requirements" / "test.txt"]
MARKER = "# pyproject-dependencies-sha256: "


def digest() -> str:
    """SHA-256 over what the lock depends on: requires-python, dependencies and the extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    source = {"requires-python": project.get("requires-python", ""),
              "dependencies": sorted(project.get("dependencies", [])),
              "optional-dependencies": {k: sorted(v) for k, v in project.get("optional-dependencies", {}).items()}}
    return hashlib.sha256(json.dumps(source, sort_keys=True).encode()).hexdigest()


def stale_locks() -> list[str]:
    """Lock files missing or made from other dependencies than pyproject.toml's."""
    expected = MARKER + digest()
    stale = []
    for path in LOCKS:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        if expected not in lines[:5]:
            stale.append(str(path.relative_to(ROOT)))
    return stale


def main(argv: list[str]) -> int:
    if argv == ["digest"]:
        print(digest())
        return 0
    if argv == ["check"]:
        stale = stale_locks()
        if stale:
            print(f"{', '.join(stale)}: not made from the dependencies in pyproject.toml. "
                  "Run scripts/lock and commit requirements/ with pyproject.toml.", file=sys.stderr)
            return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
