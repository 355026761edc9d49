"""scripts/backup and scripts/restore: back up, wipe the database and the file store, restore,
and find every response version, stored file and snapshot hash identical."""
import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from sheets.conftest import VALID_ANSWERS, respondent_for, sheet_for

from survey.models import AuditLog, ResponseVersion
from tests.infra.requirements import require

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.ops, pytest.mark.django_db(transaction=True)]


def _env(root: Path) -> dict:
    parts = urlsplit(os.environ["DATABASE_URL"])
    url = urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    return {**os.environ, "DATABASE_URL": url, "PRIVATE_STORAGE_ROOT": str(root),
            "DJANGO_SETTINGS_MODULE": "config.settings"}


def _run(script: str, *args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", f"scripts/{script}", *map(str, args)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def _data(cast, round_, orgs):
    """Submitted answers, an imported sheet, attachments, an aggregate workbook and a snapshot."""
    from aggregation.services import export_start, snapshot_create
    from survey.services.attachments import attachments_add
    from survey.services.responses import response_save
    from survey.services.sheets.imports import sheets_import_job_create

    for code, user in (("141500", "sagamihara"), ("131016", "chiyoda")):
        target = round_.targets.get(organization=orgs[code])
        response_save(target=target, answers=VALID_ANSWERS, respondent=respondent_for(orgs[code]),
                      acting_user=cast[user], submit=True)
        attachments_add(target=target, purpose="procedure_document", files=[(f"{code}-要領.txt", code.encode() * 100)],
                        acting_user=cast[user])
    sheets_import_job_create(uploads=[("横浜市.xlsx", sheet_for(round_, orgs["141003"], VALID_ANSWERS,
                                                                 respondent_for(orgs["141003"])))],
                             acting_user=cast["admin"])
    snapshot = snapshot_create(round=round_, acting_user=cast["ministry"], label="確定版")
    export_start(round=round_, acting_user=cast["ministry"], snapshot=snapshot)


def _state(root: Path) -> dict:
    from aggregation.models import Snapshot
    from aggregation.services import snapshot_versions_hash

    return {
        "versions": list(ResponseVersion.objects.order_by("pk").values(
            "pk", "response_id", "number", "status", "answers", "respondent", "risk_level", "source",
            "file_sha256", "file_path", "created_at")),
        "files": {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                  for p in sorted(root.rglob("*")) if p.is_file()},
        "snapshots": [(s.pk, s.content_sha256, snapshot_versions_hash(s)) for s in Snapshot.objects.order_by("pk")],
        "audit_rows": AuditLog.objects.count(),
    }


def test_backup_wipe_restore_gives_back_every_version_file_and_snapshot(cast, round_, orgs, settings, tmp_path):
    require("postgres")
    root = tmp_path / "private"
    settings.PRIVATE_STORAGE_ROOT = root
    _data(cast, round_, orgs)
    before = _state(root)
    assert len(before["versions"]) == 3 and before["snapshots"] and len(before["files"]) >= 5
    assert before["snapshots"][0][1] == before["snapshots"][0][2]
    env = _env(root)

    made = _run("backup", tmp_path / "backups", env=env)
    assert made.returncode == 0, made.stderr
    backup_dir = Path(made.stdout.strip().splitlines()[-1])
    assert (backup_dir / "MANIFEST.json").is_file() and (backup_dir / "db.dump").is_file()

    refused = _run("restore", backup_dir, env=env)
    assert refused.returncode == 1 and "not empty" in refused.stderr

    with connection.cursor() as cursor:  # the machine is lost: no tables, no files
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    connection.close()
    shutil.rmtree(root)

    restored = _run("restore", backup_dir, env=env)
    assert restored.returncode == 0, restored.stderr
    assert _state(root) == before


def test_restore_refuses_a_backup_that_does_not_match_its_manifest(cast, round_, orgs, settings, tmp_path):
    require("postgres")
    root = tmp_path / "private"
    settings.PRIVATE_STORAGE_ROOT = root
    _data(cast, round_, orgs)
    env = _env(root)
    made = _run("backup", tmp_path / "backups", env=env)
    backup_dir = Path(made.stdout.strip().splitlines()[-1])
    stored = next(p for p in (backup_dir / "files").rglob("*") if p.is_file())
    stored.write_bytes(stored.read_bytes() + b"x")
    versions = ResponseVersion.objects.count()

    result = _run("restore", backup_dir, "--force", env=env)

    assert result.returncode == 1
    assert "changed: files/" in result.stderr
    assert ResponseVersion.objects.count() == versions  # nothing was touched
