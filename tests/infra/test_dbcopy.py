"""survey.dbcopy.copy_create takes plain values (str, int, aware datetimes, None) as they are
instead of through each field's get_db_prep_save: for every field of the models it writes and
for values of every kind, what it sends must be what get_db_prep_save gives."""
import datetime as dt
import enum

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.functional import lazy

from survey.dbcopy import _db_value, _plain_kind, copy_create
from survey.models import AuditLog, Job, Response, ResponseStatus, ResponseVersion

MODELS = [ResponseVersion, AuditLog, Response, Job]


class Colour(enum.IntEnum):
    RED = 1


VALUES = [
    None, "", "text", "日本語", ResponseStatus.SUBMITTED, lazy(lambda: "lazy", str)(), 0, 7, 2**40, True, False,
    Colour.RED, 3.0, dt.datetime(2026, 12, 1, 4, 5, 6, 789, tzinfo=dt.UTC), timezone.now(),
    dt.datetime(2026, 12, 1, 4, 5, 6), dt.date(2026, 12, 1), {"a": [1, "二"]}, [1, 2], "::1", "192.0.2.1",
]


def _prep(field, obj):
    return field.get_db_prep_save(field.pre_save(obj, True), connection)


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime:RuntimeWarning")
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_value_is_sent_as_get_db_prep_save_gives_it(model):
    taken = [(field, kind) for field in model._meta.concrete_fields if (kind := _plain_kind(field))]
    assert taken  # (the other fields go through get_db_prep_save itself)
    for field, kind in taken:
        for value in VALUES:
            obj = model()
            setattr(obj, field.attname, value)
            try:
                expected = _prep(field, obj)
            except Exception as exc:  # noqa: BLE001 - a value the field refuses is refused the same way
                with pytest.raises(type(exc)):
                    _db_value(obj, field, field.attname, kind)
                continue
            got = _db_value(obj, field, field.attname, kind)
            assert got == expected, (model.__name__, field.name, value)
            # The PostgreSQL backend wraps integers in psycopg's Int4/Int8 (int subclasses that
            # choose the binary type); COPY writes both as the same text.
            same_int = type(got) is int and isinstance(expected, int) and not isinstance(expected, bool)
            assert type(got) is type(expected) or same_int, (model.__name__, field.name, value)


def test_only_fields_that_pass_values_unchanged_are_taken_as_they_are():
    kinds = {f.name: _plain_kind(f) for f in AuditLog._meta.concrete_fields}
    assert kinds["ip"] == "" and kinds["details"] == "" and kinds["target"] == "text"
    assert kinds["actor"] == "int" and kinds["at"] == "datetime" and kinds["id"] == "int"
    assert {f.name: _plain_kind(f) for f in ResponseVersion._meta.concrete_fields}["answers"] == ""


def test_copied_rows_equal_the_rows_bulk_create_writes(admin_user):
    from survey.audit import audit_row

    admin = admin_user
    when = timezone.now()
    rows = [audit_row(AuditLog.Action.SUBMIT, actor=admin, organization=None, target=f"round:1/org:x/v{i}",
                      source="bulk_import", cleared=["7-1"], proxy=False) for i in range(3)]
    twins = [audit_row(AuditLog.Action.SUBMIT, actor=admin, organization=None, target=f"round:1/org:x/v{i}",
                       source="bulk_import", cleared=["7-1"], proxy=False) for i in range(3)]
    for row in rows + twins:
        row.at = when
    copy_create(rows)
    AuditLog.objects.bulk_create(twins)
    columns = [f.attname for f in AuditLog._meta.concrete_fields if f.attname != "id"]
    copied = list(AuditLog.objects.filter(pk__in=[r.pk for r in rows]).order_by("pk").values_list(*columns))
    created = list(AuditLog.objects.filter(pk__in=[r.pk for r in twins]).order_by("pk").values_list(*columns))
    assert copied == created
