"""The audit log viewer: filters, pages, and no way to change anything."""
import datetime as dt

import pytest
from django.utils import timezone

from survey.audit import audit
from survey.models import AuditLog

pytestmark = pytest.mark.django_db
A = AuditLog.Action


@pytest.fixture
def admin(client, admin_user, login_as):
    return login_as(client, admin_user)


def _rows(client, **params):
    return list(client.get("/manage/audit/", params).context["page"])


def test_filter_by_action_actor_and_organisation(admin, cast):
    audit(A.LOGIN, actor=cast["sagamihara"], organization=cast["sagamihara"].organization)
    audit(A.LOGIN, actor=cast["tokyo"], organization=cast["tokyo"].organization)
    audit(A.LOGOUT, actor=cast["tokyo"], organization=cast["tokyo"].organization)
    assert {r.actor for r in _rows(admin, action="logout")} == {cast["tokyo"]}
    assert {r.action for r in _rows(admin, actor="相模原")} == {"login"}
    assert {r.actor for r in _rows(admin, organization="130001")} == {cast["tokyo"]}


def test_filter_by_date_in_japan_time(admin, cast):
    row = audit(A.LOGIN, actor=cast["sagamihara"])
    # Rows cannot be updated, so the dates are checked around today's row.
    today = timezone.localdate(row.at)
    assert row in _rows(admin, date_from=today.isoformat(), date_to=today.isoformat())
    assert row not in _rows(admin, date_from=(today + dt.timedelta(days=1)).isoformat())
    assert row not in _rows(admin, date_to=(today - dt.timedelta(days=1)).isoformat())


def test_reversed_dates_are_explained(admin):
    body = admin.get("/manage/audit/", {"date_from": "2025-02-01", "date_to": "2025-01-01"}).content.decode()
    assert "終了日は開始日以降の日付にしてください。" in body


def test_pages_of_100(admin, cast):
    AuditLog.objects.bulk_create([AuditLog(action=A.LOGIN, actor_label=f"u{i}") for i in range(150)])
    page = admin.get("/manage/audit/", {"action": "login"}).context["page"]
    assert len(page) == 100 and page.paginator.num_pages == 2
    assert "action=login&amp;page=2" in admin.get("/manage/audit/", {"action": "login"}).content.decode()


def test_the_viewer_is_read_only(admin, cast):
    audit(A.LOGIN, actor=cast["sagamihara"])
    assert admin.post("/manage/audit/").status_code == 405
    assert AuditLog.objects.count() >= 1
