"""Judges pip-audit's JSON report of the lock (scripts/audit): fail on any known vulnerability.

    python3 scripts/lib/audit_report.py REPORT.json

Exit 1 and one line per vulnerability (package, version, id, fixed versions) when any is known.
A package the advisory service could not answer for is listed as not audited: a warning, or a
failure with PIP_AUDIT_STRICT=1 (set it where pypi.org's per-version JSON API is reachable; this
workplace's package mirror answers 404 there, so nothing can be audited on it).
"""
from __future__ import annotations

import json
import os
import sys


def judge(report: dict, *, strict: bool) -> tuple[int, list[str]]:
    """(exit code, lines to print) for a pip-audit JSON report."""
    lines, failed = [], False
    deps = report.get("dependencies", [])
    for dep in deps:
        for vuln in dep.get("vulns", []):
            failed = True
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed version"
            lines.append(f"VULNERABLE {dep['name']}=={dep.get('version', '?')}: {vuln['id']} (fixed in {fixed})")
    skipped = [dep["name"] for dep in deps if dep.get("skip_reason")]
    audited = len(deps) - len(skipped)
    if skipped:
        lines.append(f"{'ERROR' if strict else 'WARNING'}: {len(skipped)} of {len(deps)} packages could not be "
                     f"audited (advisory service unreachable for them): {', '.join(skipped[:8])}"
                     f"{' …' if len(skipped) > 8 else ''}")
        failed = failed or strict
    lines.append(f"pip-audit: {audited} packages audited, "
                 f"{sum(len(d.get('vulns', [])) for d in deps)} known vulnerabilities")
    return (1 if failed else 0), lines


def main(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        code, lines = judge(json.load(fh), strict=os.environ.get("PIP_AUDIT_STRICT", "") == "1")
    print("\n".join(lines), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
