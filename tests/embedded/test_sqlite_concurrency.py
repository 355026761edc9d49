"""The embedded default (SQLite file, tasks in-process) holds a small team's concurrent use.

Before WAL, immediate transactions and a busy timeout, four simultaneous export requests gave
three 500s (`database is locked` in survey/jobs.py job_create and _claim).
"""
import json
import subprocess
import sys
from pathlib import Path

DRIVER = Path(__file__).with_name("sqlite_driver.py")


def test_concurrent_exports_and_saves_on_sqlite_all_succeed(tmp_path):
    result = subprocess.run([sys.executable, str(DRIVER), str(tmp_path / "db.sqlite3"), str(tmp_path / "private")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["errors"] == []
    assert report["jobs"] == ["done"] * 5  # four exports and the import
    assert report["imported"] == 2 * 4
    assert report["versions"] == 4 * 5 + 2 * 4
    assert report["journal_mode"] == "wal"
    # a submission on SQLite, whose writes go one by one (no data-modifying CTEs)
    assert report["submitted"] == {"counted": True, "facts": True, "audit": 1}
    # the answering pages on SQLite (their target and response: survey.joined's SQL)
    assert report["pages"] == {"edit": "200 -", "confirm": "200 -", "detail": "200 5", "version 1": "200 1",
                               "home": "200 -"}
