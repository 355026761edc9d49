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


# --- filters from the address bar: never a 500 -------------------------------------------------

OUT_OF_RANGE = "の範囲で指定してください"


@pytest.mark.parametrize("params", [
    {"date_to": "9999-12-31"},
    {"date_from": "0001-01-01"},
    {"date_from": "0001-01-01", "date_to": "9999-12-31"},
    {"date_from": "1899-12-31"},
    {"date_to": "2200-01-01"},
])
def test_dates_out_of_range_are_explained_in_japanese(admin, cast, params):
    audit(A.LOGIN, actor=cast["sagamihara"])
    response = admin.get("/manage/audit/", params)
    assert response.status_code == 200
    assert OUT_OF_RANGE in response.content.decode() and not response.context["form"].is_valid()


@pytest.mark.parametrize("params", [
    {"date_from": "2026-02-30"},
    {"date_to": "not-a-date"},
    {"date_from": "99999-01-01"},
    {"date_to": "2026-13-01"},
    {"date_from": "2026-01-01\x00"},
    {"action": "no_such_action"},
    {"actor": "\x00"},
    {"organization": "相模原\x00"},
    {"actor": "x" * 5000},
])
def test_malformed_filters_are_explained_not_a_500(admin, cast, params):
    audit(A.LOGIN, actor=cast["sagamihara"])
    response = admin.get("/manage/audit/", params)
    assert response.status_code == 200
    form = response.context["form"]
    assert not form.is_valid()
    for errors in form.errors.values():
        for message in errors:
            assert message in response.content.decode()
            assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_an_invalid_filter_shows_no_rows_rather_than_all(admin, cast):
    audit(A.LOGIN, actor=cast["sagamihara"])
    assert _rows(admin, date_to="9999-12-31") == []
    assert _rows(admin, date_from="2025-02-01", date_to="2025-01-01") == []


@pytest.mark.parametrize("page", ["99999999999999999999999999", "-1", "0", "abc", "1e308", "NaN", "１", ""])
def test_any_page_number_gives_a_page(admin, cast, page):
    audit(A.LOGIN, actor=cast["sagamihara"])
    response = admin.get("/manage/audit/", {"page": page})
    assert response.status_code == 200 and len(response.context["page"]) == 1


def test_the_widest_valid_range_still_finds_today(admin, cast):
    row = audit(A.LOGIN, actor=cast["sagamihara"])
    assert row in _rows(admin, date_from="2000-01-01", date_to="2099-12-31")
