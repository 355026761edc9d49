"""The rows a save reads and writes from SQL made once per process are the ORM's rows.

response_save inserts its version and audit row with survey.dbcopy.row_insert, reads the
response under its lock from survey.services.locks' own SQL and the live files from
survey.services.attachments.live_files': each must give exactly what the ORM gives.
"""
import threading

import pytest
from django.db import transaction
from django.forms.models import model_to_dict

from survey.dbcopy import row_insert
from survey.models import Attachment, AuditLog, Response, ResponseVersion
from survey.services import attachments, locks
from survey.services.responses import response_save
from tests.infra.requirements import require

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(round_, orgs):
    return round_.targets.select_related("round__survey", "organization").get(organization=orgs["141500"])


def columns(obj) -> dict:
    """Every column of a stored row but its id, as the ORM reads it back."""
    row = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(row, f.attname) for f in type(obj)._meta.concrete_fields if not f.primary_key}


def test_row_insert_stores_what_save_stores(target, sagamihara):
    response = response_save(target=target, answers={"1-1": "1"}, respondent={}, acting_user=sagamihara).version.response
    version = response.current_version
    made = {}
    for how in ("save", "row_insert"):
        copy = ResponseVersion(**{**model_to_dict(version, exclude=["id", "attachments"]), "response": response,
                                  "number": 10 if how == "save" else 11, "created_by": sagamihara,
                                  "acting_organization": target.organization, "answers": {"1-1": "2", "6": ["1"]},
                                  "created_at": version.created_at})
        audit = AuditLog(actor=sagamihara, actor_label="相模 <a@b>", action=AuditLog.Action.SAVE_DRAFT,
                         organization=target.organization, target="round:1/org:141500/v2", ip="192.0.2.1",
                         details={"source": "web", "cleared": ["4"], "proxy": False}, at=version.created_at)
        for obj in (copy, audit):
            obj.save(force_insert=True) if how == "save" else row_insert(obj)
            assert obj.pk is not None and not obj._state.adding
        made[how] = (columns(copy), columns(audit))
    (saved_version, saved_audit), (inserted_version, inserted_audit) = made["save"], made["row_insert"]
    assert saved_version.pop("number") == 10 and inserted_version.pop("number") == 11
    assert inserted_version == saved_version and inserted_audit == saved_audit


def test_the_locked_read_is_the_orm_row(target, sagamihara):
    response_save(target=target, answers={"1-1": "1"}, respondent={}, acting_user=sagamihara, submit=False)
    with transaction.atomic():
        locked = locks.response_locked(target)
    orm = Response.objects.get(round=target.round, organization=target.organization)
    assert columns(locked) == columns(orm) and locked.pk == orm.pk
    assert {f.attname: getattr(locked, f.attname) for f in Response._meta.concrete_fields} == \
        {f.attname: getattr(orm, f.attname) for f in Response._meta.concrete_fields}


def test_live_files_are_the_live_attachments_in_order(target, sagamihara):
    response = response_save(target=target, answers={"1-1": "1"}, respondent={}, acting_user=sagamihara).version.response
    from django.utils import timezone

    def attach(name, key, removed=False):
        return Attachment.objects.create(
            response=response, purpose="followup" if key else "procedure_document", followup_key=key,
            original_name=name, stored_path=f"attachments/{name}", size=1, sha256=name * 64,
            content_type="application/pdf", uploaded_by=sagamihara, removed_at=timezone.now() if removed else None)

    attach("a", "8-1:概要")
    attach("b", "")
    attach("c", "10:概要", removed=True)
    attach("d", "10:概要")
    files = attachments.live_files(response)
    live = list(attachments.live_attachments(response))
    assert files.ids == tuple(a.pk for a in live) and len(files.ids) == 3
    assert files.followup_keys == attachments.attached_keys(response) == {"8-1:概要", "10:概要"}
    assert attachments.live_files(None).ids == ()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_first_saves_make_one_response_and_two_versions(target, sagamihara):
    """The first save creates the response row (INSERT ... ON CONFLICT DO NOTHING): a concurrent
    first save waits for it and then numbers its version after it, without an error."""
    require("postgres")  # row locks: SQLite serialises writers
    barrier = threading.Barrier(2)
    errors = []

    def save(value):
        from django.db import connections

        try:
            barrier.wait()
            t = type(target).objects.select_related("round__survey", "organization").get(pk=target.pk)
            response_save(target=t, answers={"1-1": value}, respondent={}, acting_user=sagamihara)
        except Exception as exc:  # noqa: BLE001 (any error fails the test below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(v,)) for v in ("1", "2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    response = Response.objects.get()
    assert sorted(response.versions.values_list("number", flat=True)) == [1, 2] and response.revision == 2
    assert AuditLog.objects.filter(action=AuditLog.Action.SAVE_DRAFT).count() == 2
