"""Concurrent use at the embedded default, run as its own process (see test_sqlite_concurrency.py).

`python tests/embedded/sqlite_driver.py DB_FILE PRIVATE_DIR` sets up a fresh SQLite file database
with the settings a developer gets with no environment (in-process tasks, no Redis), then fires
at the same moment, from separate threads, export requests through the web views (each runs its
job in the request, as scripts/run does) and draft saves through the response service. Prints one
JSON line: the errors seen, the jobs' states and the versions saved. A bulk import of answer
sheets runs as a job meanwhile, in its own thread.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = 4
SAVERS = 4
SAVES_EACH = 5
IMPORTED_ORGS = ("130001", "131016")  # not among the savers' organisations
SHEETS_EACH = 4


def _setup(db_file: str, private_dir: str) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_SETTINGS_MODULE"):
        os.environ.pop(name, None)
    os.environ.update({"DATABASE_URL": f"sqlite:///{db_file}", "PRIVATE_STORAGE_ROOT": private_dir,
                       "DJANGO_SETTINGS_MODULE": "config.settings"})
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _cast():
    import datetime as dt

    from cast import CAST_ORGS, make_org
    from django.utils import timezone

    from survey.models import RoundTarget, User
    from survey.services.rounds import default_definition_path, round_create, survey_version_load

    orgs = [make_org(code) for code in CAST_ORGS]
    version, _ = survey_version_load(default_definition_path())
    rnd = round_create(survey=version, title="同時利用の確認", deadline=timezone.now() + dt.timedelta(days=7),
                       scheme="職業転換給付金制度（訓練手当）関係事務", organizations=orgs)
    ministry = User.objects.create(email="analyst@mhlw.example.jp", name="厚労 分析", role="ministry")
    User.objects.create(email="admin@portal.example.jp", name="管理 太郎", role="admin")
    officers = [User.objects.create(email=f"officer{i}@example.jp", name=f"担当 {i}", role="officer",
                                    organization=org) for i, org in enumerate(orgs)]
    targets = [RoundTarget.objects.get(round=rnd, organization=o.organization) for o in officers]
    return rnd, ministry, list(zip(officers, targets, strict=True))


def _export(rnd, user, barrier, errors):
    from cast import signed_in
    from django.db import connection
    from django.test import Client

    client = signed_in(Client(), user)
    try:
        barrier.wait()
        response = client.post(f"/aggregation/rounds/{rnd.pk}/exports/", {"format": "xlsx"})
        if response.status_code != 302 or "/exports/" not in response["Location"]:
            errors.append(f"export: HTTP {response.status_code} {response.get('Location', '')}")
    except Exception:
        errors.append("export: " + traceback.format_exc(limit=3))
    finally:
        connection.close()


def _sheets(rnd) -> list[tuple[str, bytes]]:
    """Filled answer sheets, as the portal writes them, with different answers each."""
    import random

    from sheets.conftest import respondent_for, sheet_for

    from survey.models import Organization
    from survey.synthetic import random_answers

    sheets = []
    for code in IMPORTED_ORGS:
        org = Organization.objects.get(code=code)
        for i in range(SHEETS_EACH):
            answers = random_answers(rnd.survey.engine, org.engine_kind, random.Random(i))
            sheets.append((f"{code}-{i}.xlsx", sheet_for(rnd, org, answers, respondent_for(org))))
    return sheets


def _import(sheets, barrier, errors):
    from django.db import connection

    from survey.models import User
    from survey.services.sheets.imports import sheets_import_job_create

    try:
        admin = User.objects.get(role="admin")
        barrier.wait()
        sheets_import_job_create(uploads=sheets, acting_user=admin)
    except Exception:
        errors.append("import: " + traceback.format_exc(limit=3))
    finally:
        connection.close()


def _save(officer, target, barrier, errors):
    from django.db import connection

    from survey.services.responses import response_save

    try:
        barrier.wait()
        for _ in range(SAVES_EACH):
            response_save(target=target, answers={}, respondent={}, acting_user=officer)
    except Exception:
        errors.append("save: " + traceback.format_exc(limit=3))
    finally:
        connection.close()


def _pages(rnd, officer, target) -> dict[str, str]:
    """The answering pages of a saved response (their target and response come in one SQL statement
    written for the database in use, survey.joined): HTTP status and the version shown."""
    import re

    from cast import signed_in
    from django.test import Client

    client = signed_in(Client(), officer)
    base = f"/rounds/{rnd.pk}/orgs/{target.organization.code}/"
    seen = {}
    for name, path in [("edit", base + "edit/"), ("confirm", base + "confirm/"), ("detail", base),
                       ("version 1", base + "versions/1/"), ("home", "/")]:
        response = client.get(path)
        shown = re.search(r"第(\d+)版", response.content.decode())
        seen[name] = f"{response.status_code} {shown.group(1) if shown else '-'}"
    return seen


def _submit(officer, target) -> dict:
    """A submission on SQLite (the writes one by one: survey.services.version_write's other path):
    the response counts the version, its facts and its audit row are stored."""
    import random

    from survey.models import AnswerFact, AuditLog
    from survey.services.responses import response_save
    from survey.synthetic import random_answers, random_respondent

    org = target.organization
    rng = random.Random(3)
    outcome = response_save(target=target, answers=random_answers(target.round.survey.engine, org.engine_kind, rng),
                            respondent=random_respondent(org.display_name, org.section_label, rng,
                                                         domain="example.jp"),
                            acting_user=officer, submit=True)
    response = outcome.version.response
    response.refresh_from_db()
    return {"counted": response.submitted_version_id == response.current_version_id == outcome.version.pk,
            "facts": AnswerFact.objects.filter(version=outcome.version).count() > 0
            and not AnswerFact.objects.filter(response=response).exclude(version=outcome.version).exists(),
            "audit": AuditLog.objects.filter(action="submit", target__endswith=f"/v{outcome.version.number}").count()}


def main(db_file: str, private_dir: str) -> None:
    _setup(db_file, private_dir)
    from django.db import connection

    from survey.models import Job, ResponseVersion

    rnd, ministry, officers = _cast()
    sheets = _sheets(rnd)
    connection.close()
    errors: list[str] = []
    savers = officers[:SAVERS]
    barrier = threading.Barrier(EXPORTS + len(savers) + 1)
    threads = [threading.Thread(target=_export, args=(rnd, ministry, barrier, errors)) for _ in range(EXPORTS)]
    threads += [threading.Thread(target=_save, args=(o, t, barrier, errors)) for o, t in savers]
    threads.append(threading.Thread(target=_import, args=(sheets, barrier, errors)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    print(json.dumps({
        "errors": errors,
        "pages": _pages(rnd, *officers[0]),
        "submitted": _submit(*officers[1]),
        "jobs": sorted(Job.objects.values_list("status", flat=True)),
        "versions": ResponseVersion.objects.count() - 1,  # but the submission
        "imported": ResponseVersion.objects.filter(source="bulk_import").count(),
        "journal_mode": connection.cursor().execute("PRAGMA journal_mode").fetchone()[0],
    }, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
