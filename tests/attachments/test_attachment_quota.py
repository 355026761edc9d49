"""Bounded storage per organisation and round: a quota, a limit per request, removed files deleted.

The rule (survey/services/attachments.py): a removed file is deleted from storage when no
submitted version counted it; a file a submitted version counted stays (it is part of what was
submitted) and keeps counting towards the quota. The quota counts what is stored.
"""
import pytest
from django.contrib.messages import get_messages

from survey.models import Attachment, AuditLog
from tests.attachments.conftest import PDF, SHORT_ANSWERS, add, login, save, target_of, upload

pytestmark = pytest.mark.django_db


def _messages(response):
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def _stored(private_root):
    return [p for p in private_root.rglob("*") if p.is_file()]


def _pdf(n: int, size: int = 0) -> bytes:
    return PDF + f"%{n}\n".encode() + b"0" * size


@pytest.fixture
def remove(django_capture_on_commit_callbacks):
    """Remove through the service; the after-commit callbacks run as they would after a request."""
    from survey.services.attachments import attachment_remove

    def _remove(round_, user, attachment, code="141500"):
        with django_capture_on_commit_callbacks(execute=True):
            attachment_remove(target=target_of(round_, code), attachment=attachment, acting_user=user)

    return _remove


def test_officer_cannot_store_more_files_than_the_quota(round_, sagamihara, settings, private_root):
    settings.ATTACHMENT_QUOTA_FILES = 3
    client = login(sagamihara)
    upload(client, round_, [(f"資料{n}.pdf", _pdf(n)) for n in range(2)])
    response = upload(client, round_, [(f"資料{n}.pdf", _pdf(n)) for n in range(2, 5)])
    text = _messages(response)
    assert "「資料2.pdf」を添付しました" in text
    assert "「資料3.pdf」" in text and "上限" in text and "3 件" in text
    assert "現在 3 件" in text
    assert Attachment.objects.count() == 3
    assert len(_stored(private_root)) == 3


def test_officer_cannot_store_more_bytes_than_the_quota(round_, sagamihara, settings, private_root):
    settings.ATTACHMENT_QUOTA_BYTES = 3 * 1024 * 1024
    client = login(sagamihara)
    upload(client, round_, [("大1.pdf", _pdf(1, 2 * 1024 * 1024))])
    response = upload(client, round_, [("大2.pdf", _pdf(2, 2 * 1024 * 1024))])
    text = _messages(response)
    assert "「大2.pdf」" in text and "容量" in text and "容量 3.0 MB" in text and "現在 1 件・2.0 MB" in text
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["大1.pdf"]
    assert len(_stored(private_root)) == 1


def test_the_quota_is_per_organisation_and_round(round_, sagamihara, yokohama, settings):
    settings.ATTACHMENT_QUOTA_FILES = 1
    add(round_, sagamihara, "相模原.pdf", _pdf(1))
    add(round_, yokohama, "横浜.pdf", _pdf(1), code="141003")
    assert Attachment.objects.count() == 2


def test_one_request_may_not_carry_more_than_the_request_limit(round_, sagamihara, settings, private_root):
    settings.ATTACHMENT_REQUEST_MAX_BYTES = 1024 * 1024
    response = upload(login(sagamihara), round_, [(f"資料{n}.pdf", _pdf(n, 400 * 1024)) for n in range(4)])
    text = _messages(response)
    assert "一度に送信できる" in text and "1.0 MB" in text
    assert not Attachment.objects.exists() and not _stored(private_root)


def test_a_removed_file_no_submitted_version_counted_is_deleted_and_audited(round_, sagamihara, private_root, remove):
    a = add(round_, sagamihara, "要領.pdf")
    save(round_, "141500", sagamihara, SHORT_ANSWERS)  # a draft counted it: drafts keep nothing
    remove(round_, sagamihara, a)
    a.refresh_from_db()
    assert a.removed_at is not None and a.file_deleted_at is not None
    assert not _stored(private_root)
    row = AuditLog.objects.get(action="detach", details__attachment=a.pk)
    assert row.details["file"] == "deleted" and row.details["size"] == len(PDF)


def test_removal_frees_the_quota(round_, sagamihara, settings, remove):
    settings.ATTACHMENT_QUOTA_FILES = 1
    a = add(round_, sagamihara, "一つ目.pdf", _pdf(1))
    remove(round_, sagamihara, a)
    assert add(round_, sagamihara, "二つ目.pdf", _pdf(2)).original_name == "二つ目.pdf"


def test_a_file_a_submitted_version_counted_stays_and_still_counts(round_, sagamihara, settings, private_root, remove):
    settings.ATTACHMENT_QUOTA_FILES = 1
    a = add(round_, sagamihara, "提出時の要領.pdf")
    save(round_, "141500", sagamihara, SHORT_ANSWERS, submit=True)
    remove(round_, sagamihara, a)
    a.refresh_from_db()
    assert a.removed_at is not None and a.file_deleted_at is None
    assert (private_root / a.stored_path).is_file()
    assert AuditLog.objects.get(action="detach", details__attachment=a.pk).details["file"] == "kept_submitted"
    response = upload(login(sagamihara), round_, [("次の要領.pdf", _pdf(9))])
    assert "提出済みの版" in _messages(response)
    assert Attachment.objects.count() == 1


def test_a_deleted_file_is_gone_for_downloads_too(round_, sagamihara, remove):
    a = add(round_, sagamihara, "要領.pdf")
    remove(round_, sagamihara, a)
    response = login(sagamihara).get(f"/rounds/{round_.pk}/orgs/141500/attachments/{a.pk}/")
    assert response.status_code == 404


def test_the_quota_settings_fail_loudly(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import config.settings.base as base

    monkeypatch.setenv("ATTACHMENT_QUOTA_BYTES", "lots")
    with pytest.raises(ImproperlyConfigured, match="ATTACHMENT_QUOTA_BYTES"):
        importlib.reload(base)
    monkeypatch.delenv("ATTACHMENT_QUOTA_BYTES")
    importlib.reload(base)


def test_files_removed_before_deletion_existed_are_purged_by_the_command(round_, sagamihara, private_root,
                                                                         django_capture_on_commit_callbacks):
    from django.core.management import call_command
    from django.utils import timezone

    old = add(round_, sagamihara, "昔の削除.pdf", _pdf(1))
    Attachment.objects.filter(pk=old.pk).update(removed_at=timezone.now(), removed_by=sagamihara)  # as removal did
    kept = add(round_, sagamihara, "提出済み.pdf", _pdf(2))
    save(round_, "141500", sagamihara, SHORT_ANSWERS, submit=True)
    Attachment.objects.filter(pk=kept.pk).update(removed_at=timezone.now(), removed_by=sagamihara)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_removed_attachments")
    old.refresh_from_db()
    kept.refresh_from_db()
    assert old.file_deleted_at is not None and not (private_root / old.stored_path).exists()
    assert kept.file_deleted_at is None and (private_root / kept.stored_path).is_file()
    assert AuditLog.objects.get(action="detach", details__attachment=old.pk).details["purge"] is True


def test_the_edit_page_shows_use_and_quota(round_, sagamihara, settings):
    settings.ATTACHMENT_QUOTA_FILES = 7
    add(round_, sagamihara, "要領.pdf")
    body = login(sagamihara).get(f"/rounds/{round_.pk}/orgs/141500/edit/").content.decode()
    assert "この調査回の添付ファイル：現在 1 件・0.0 MB（上限 7 件・50.0 MB）" in body


def test_the_pages_one_read_of_the_files_agrees_with_the_quota_and_the_live_list(round_, sagamihara, remove):
    """The edit and confirmation pages read the files once (stored_files); what they show must be
    what the quota check (stored_usage) and the save (attached_keys) count."""
    from survey import access
    from survey.services.attachments import attached_keys, live_attachments, stored_files, stored_usage

    kept = add(round_, sagamihara, "提出済み.pdf", _pdf(2, 2000))
    save(round_, "141500", sagamihara, SHORT_ANSWERS, submit=True)
    deleted = add(round_, sagamihara, "削除.pdf", _pdf(1, 100))
    live = [add(round_, sagamihara, "今の要領.pdf", _pdf(3, 30)),
            add(round_, sagamihara, "概要.pdf", _pdf(4), purpose="followup", key="10:概要")]
    remove(round_, sagamihara, deleted)
    remove(round_, sagamihara, kept)
    response = access.response_of(target_of(round_, "141500"))
    files = stored_files(response)
    assert files.usage == stored_usage(response)
    assert (files.usage.files, files.usage.kept) == (3, 1)
    assert [a.pk for a in files.live] == [a.pk for a in live_attachments(response)] == [a.pk for a in live]
    assert files.followup_keys == attached_keys(response) == {"10:概要"}
    assert stored_files(None).live == () and stored_files(None).usage == stored_usage(None)
    # who uploaded comes with the name the pages show, never with the password hash
    assert {a.uploaded_by.name for a in files.live} == {sagamihara.name}
    assert all("password" in a.uploaded_by.get_deferred_fields() for a in files.live)
