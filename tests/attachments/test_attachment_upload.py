"""Uploading files: accepted by content, refused with the file's name and reason, duplicates reported."""
import pytest
from django.contrib.messages import get_messages

from survey.models import Attachment, AuditLog
from tests.attachments.conftest import DOCX, PDF, PNG, add, login, office_zip, upload

pytestmark = pytest.mark.django_db


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_officer_attaches_several_procedure_documents(round_, sagamihara):
    client = login(sagamihara)
    files = [("事務取扱要領.pdf", PDF), ("手順.docx", DOCX), ("図.png", PNG), ("メモ.txt", "概要です。".encode())]
    response = upload(client, round_, files)
    assert response.status_code == 302 and response.url.endswith("/edit/")
    stored = Attachment.objects.order_by("id")
    assert [a.original_name for a in stored] == [f[0] for f in files]
    assert [a.content_type for a in stored] == [
        "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "image/png", "text/plain"]
    assert all(a.uploaded_by == sagamihara and a.purpose == "procedure_document" for a in stored)
    assert "を添付しました" in _messages(response)[0]
    assert AuditLog.objects.filter(action="attach", actor=sagamihara).count() == 4


def test_files_are_judged_by_content_not_name(round_, sagamihara):
    files = [("偽物.pdf", b"MZ\x90\x00 not a pdf"), ("表.xlsx", DOCX), ("macro.docx", office_zip("word/document.xml",
             "word/vbaProject.bin")), ("古い.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20),
             ("空.txt", b""), ("bin.txt", b"abc\x00def"), ("ok.pdf", PDF)]
    response = upload(login(sagamihara), round_, files)
    text = " ".join(_messages(response))
    assert "「偽物.pdf」は受け付けられない形式です" in text
    assert "「表.xlsx」は拡張子と内容が一致しません" in text
    assert "「macro.docx」は受け付けられない形式です" in text
    assert "「古い.doc」は受け付けられない形式です" in text
    assert "「空.txt」は空のファイルです" in text
    assert "「bin.txt」は受け付けられない形式です" in text
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["ok.pdf"]


def test_a_file_over_the_size_limit_is_refused_by_name(round_, sagamihara, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    response = upload(login(sagamihara), round_, [("大きい.pdf", PDF + b"0" * 2000), ("小さい.pdf", PDF)])
    assert "「大きい.pdf」は大きすぎます（上限 0 MB）" in " ".join(_messages(response))
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["小さい.pdf"]


def test_the_same_file_twice_is_reported_not_stored(round_, sagamihara, private_root):
    add(round_, sagamihara, "要領.pdf", PDF)
    response = upload(login(sagamihara), round_, [("要領（再送）.pdf", PDF)])
    assert "「要領（再送）.pdf」は同じ内容のファイル（「要領.pdf」）が既に添付されているため" in " ".join(_messages(response))
    assert Attachment.objects.count() == 1
    assert len([p for p in private_root.rglob("*") if p.is_file()]) == 1


def test_the_same_file_may_serve_another_purpose(round_, sagamihara):
    add(round_, sagamihara, "要領.pdf", PDF)
    add(round_, sagamihara, "概要.pdf", PDF, purpose="followup", key="10:概要")
    assert Attachment.objects.count() == 2


def test_follow_up_without_attachments_is_refused(round_, sagamihara):
    response = upload(login(sagamihara), round_, [("a.pdf", PDF)], purpose="followup", key="2:予定年月")
    assert response.status_code == 404
    assert not Attachment.objects.exists()


def test_no_file_chosen_says_so(round_, sagamihara):
    client = login(sagamihara)
    response = client.post(f"/rounds/{round_.pk}/orgs/141500/attachments/upload/", {"purpose": "procedure_document"})
    assert "添付するファイルを選んでください。" in _messages(response)


def test_no_upload_after_the_deadline(round_, sagamihara):
    import datetime as dt

    from django.utils import timezone

    round_.deadline = timezone.now() - dt.timedelta(minutes=1)
    round_.save()
    response = upload(login(sagamihara), round_, [("a.pdf", PDF)])
    assert response.status_code == 302 and not Attachment.objects.exists()


def test_edit_page_offers_upload_under_the_outline_and_for_procedure_documents(round_, sagamihara):
    add(round_, sagamihara, "事務取扱要領.pdf", PDF)
    body = login(sagamihara).get(f"/rounds/{round_.pk}/orgs/141500/edit/").content.decode()
    assert 'data-testid="attachment-slot-10:概要"' in body and 'data-testid="attachment-slot-8-1:概要"' in body
    assert 'data-testid="procedure-documents"' in body and "事務取扱要領.pdf" in body
    assert body.count('data-testid="attachment-form"') == 3


def test_an_office_file_of_very_many_parts_is_refused_without_parsing_them(round_, sagamihara):
    """A 9 MB .docx of 110,000 empty parts kept zipfile busy for tens of seconds (and 60 MB) in the
    web process; the count in the zip's end record refuses it first."""
    import io
    import time
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<xml/>")
        archive.writestr("word/document.xml", "<xml/>")
        for n in range(110_000):
            archive.writestr(f"{n:x}", "")
    started = time.monotonic()
    response = upload(login(sagamihara), round_, [("部品だらけ.docx", buffer.getvalue())])
    assert time.monotonic() - started < 3.0
    assert "「部品だらけ.docx」は受け付けられない形式です" in " ".join(_messages(response))
    assert not Attachment.objects.exists()
