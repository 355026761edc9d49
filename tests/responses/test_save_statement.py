"""A web save's writes in one statement (survey.services.version_write, PostgreSQL) store what the
same writes made one by one store (the path SQLite takes): the version, its audit row, the files
it counted, the response pointing at it and, for a submission, the response's facts.

Each way runs on the same state inside a savepoint that is rolled back afterwards; the new rows'
ids differ (the sequences move on), everything else must be equal.
"""
import datetime as dt

import pytest
from django.db import connection, transaction

from survey.models import (
    AnswerFact,
    Attachment,
    AuditLog,
    ResponseVersion,
    VersionSource,
)
from survey.services import attachments, locks
from survey.services.responses import response_save
from survey.services.version_write import _write_steps, version_write
from survey.services.versions import answers_check, version_audit_row, version_build
from tests.infra.requirements import require

from .test_response_save import LONG, respondent

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 7, 0, 0, 123456, tzinfo=dt.UTC)


@pytest.fixture
def target(round_, orgs):
    return round_.targets.select_related("round__survey", "organization").get(organization=orgs["141500"])


def attach(response, user, name, key, *, removed=False):
    from django.utils import timezone

    return Attachment.objects.create(
        response=response, purpose="followup" if key else "procedure_document", followup_key=key,
        original_name=name, stored_path=f"attachments/{name}", size=1, sha256=name * 64,
        content_type="application/pdf", uploaded_by=user, removed_at=timezone.now() if removed else None)


def fields(obj, new_pk, *, with_pk=False) -> dict:
    """The instance's column values (but its id), the new version's id as "new"."""
    return {f.attname: "new" if f.attname.endswith("version_id") and getattr(obj, f.attname) == new_pk
            else getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields if with_pk or not f.primary_key}


def columns(obj, new_pk) -> dict:
    """A stored row's columns but its id, as the ORM reads it back; the new version's id as "new"."""
    return fields(type(obj).objects.get(pk=obj.pk), new_pk)


def written(write, target, user, *, submit: bool, answers: dict) -> dict:
    """What `write` stores for one save of `answers` made as response_save makes it, then rolled back."""
    saved = transaction.savepoint()
    response = locks.response_writable(target)
    response.round, response.organization = target.round, target.organization
    files = attachments.live_files(response)
    checked = answers_check(target, answers, respondent(target.organization), complete=submit,
                            attached=files.followup_keys)
    version = version_build(response=response, number=response.revision + 1, checked=checked, submit=submit,
                            channel=VersionSource.WEB, acting_user=user, now=NOW)
    audit = version_audit_row(version, target=target, cleared=checked.cleared, reopened=not submit,
                              acting_user=user)
    audit.at = NOW
    write(response=response, version=version, audit=audit, files=files)
    new = version.pk
    found = {
        "version": columns(version, new), "audit": columns(audit, new),
        "response": columns(response, new),
        "in memory": fields(response, new, with_pk=True),
        "version in memory": (version.response_id, version.number, version._state.adding),
        "files": sorted(version.attachments.values_list("pk", flat=True)),
        "facts": sorted(("new" if f[2] == new else f[2], *f[:2], *f[3:]) for f in AnswerFact.objects.filter(
            response=response).values_list("round_id", "response_id", "version_id", "prefecture_code", "org_kind",
                                            "item", "option")),
    }
    transaction.savepoint_rollback(saved)
    return found


@pytest.mark.parametrize("submit", [False, True], ids=["draft", "submission"])
def test_the_one_statement_stores_what_the_separate_writes_store(target, sagamihara, submit):
    require("postgres")
    org = target.organization
    first = response_save(target=target, answers=LONG, respondent=respondent(org), acting_user=sagamihara,
                          submit=True)  # facts of an earlier submission, to be replaced
    response = first.version.response
    kept = [attach(response, sagamihara, "a", "8-1:概要"), attach(response, sagamihara, "b", "")]
    attach(response, sagamihara, "c", "10:概要", removed=True)
    answers = {**LONG, "8-1:概要": "", "6": ["2"], "9": "2"}
    answers.pop("8-1:概要")  # the attached file stands in for it
    with transaction.atomic():
        one = written(version_write, target, sagamihara, submit=submit, answers=answers)
        steps = written(_write_steps, target, sagamihara, submit=submit, answers=answers)
    assert one == steps
    assert one["files"] == sorted(a.pk for a in kept)
    assert one["response"]["current_version_id"] == "new"
    assert (one["response"]["submitted_version_id"] == "new") is submit
    assert (len(one["facts"]) > 0 and {f[0] for f in one["facts"]} == {"new"}) if submit else \
        {f[0] for f in one["facts"]} == {first.version.pk}
    assert one["version in memory"] == (response.pk, 2, False)
    assert one["audit"]["action"] == (AuditLog.Action.SUBMIT if submit else AuditLog.Action.REOPEN)


def test_a_save_writes_in_one_statement_after_its_reads(target, sagamihara):
    """A save of an existing response: the lock, the files, then one statement (PostgreSQL)."""
    require("postgres")
    from django.test.utils import CaptureQueriesContext

    response_save(target=target, answers={"1-1": "1"}, respondent={}, acting_user=sagamihara)
    for submit in (False, True):
        with CaptureQueriesContext(connection) as captured:
            outcome = response_save(target=target, answers=LONG, respondent=respondent(target.organization),
                                    acting_user=sagamihara, submit=submit)
        statements = [q["sql"].split()[0] for q in captured.captured_queries]
        assert statements == ["SAVEPOINT", "SELECT", "SELECT", "WITH", "RELEASE"], statements
        assert ResponseVersion.objects.get(pk=outcome.version.pk).number == outcome.version.number


@pytest.mark.django_db(transaction=True)
def test_a_save_waiting_for_the_lock_counts_the_file_attached_meanwhile(round_, orgs, sagamihara):
    """The live files are read once the lock is granted: a save that waited for another
    transaction's lock counts the file that transaction attached and committed (a files read
    joined to the locked read, or made before it, would not see it)."""
    require("postgres")  # row locks: SQLite serialises writers
    import threading
    import time

    from django.db import connections

    target = round_.targets.select_related("round__survey", "organization").get(organization=orgs["141500"])
    response = response_save(target=target, answers={"1-1": "1"}, respondent={}, acting_user=sagamihara).version.response
    locked, saved = threading.Event(), []

    def attach_while_locked():
        try:
            with transaction.atomic():
                locks.response_writable(target)
                locked.set()
                time.sleep(0.5)  # the save below is waiting for the lock meanwhile
                attach(response, sagamihara, "z", "8-1:概要")
        finally:
            connections.close_all()

    def save():
        try:
            locked.wait(5)
            t = type(target).objects.select_related("round__survey", "organization").get(pk=target.pk)
            outline_left_out = {k: v for k, v in LONG.items() if k != "8-1:概要"}  # the file stands in for it
            outcome = response_save(target=t, answers=outline_left_out, respondent=respondent(t.organization),
                                    acting_user=sagamihara, submit=True)
            saved.append((outcome.attached, list(outcome.version.attachments.values_list("original_name", flat=True))))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attach_while_locked), threading.Thread(target=save)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert saved == [(frozenset({"8-1:概要"}), ["z"])]
