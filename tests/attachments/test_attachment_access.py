"""Downloading and removing files: who may, what the response carries, what the audit log records."""
import pytest

from survey.models import Attachment, AuditLog
from tests.attachments.conftest import PDF, add, login

pytestmark = pytest.mark.django_db


def _url(round_, a, code="141500"):
    return f"/rounds/{round_.pk}/orgs/{code}/attachments/{a.pk}/"


def _body(response):
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("reader", ["sagamihara", "kanagawa", "ministry", "admin"])
def test_readers_of_the_response_download_the_file(round_, cast, reader):
    a = add(round_, cast["sagamihara"], "事務取扱要領（相模原市）.pdf", PDF)
    response = login(cast[reader]).get(_url(round_, a))
    assert response.status_code == 200 and _body(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=utf-8''" in disposition
    assert "%E4%BA%8B%E5%8B%99" in disposition  # 事務, RFC 5987
    row = AuditLog.objects.get(action="download", actor=cast[reader])
    assert row.details["attachment"] == a.pk and row.organization.code == "141500"


@pytest.mark.parametrize("intruder", ["yokohama", "tokyo", "chiyoda"])
def test_other_organisations_get_404(round_, cast, intruder):
    a = add(round_, cast["sagamihara"])
    client = login(cast[intruder])
    assert client.get(_url(round_, a)).status_code == 404
    assert client.get(_url(round_, a) + "remove/").status_code == 404
    assert client.post(_url(round_, a) + "remove/").status_code == 404
    own_code_url = f"/rounds/{round_.pk}/orgs/{cast[intruder].organization.code}/attachments/{a.pk}/"
    assert client.get(own_code_url).status_code == 404  # the id alone does not reach another's file
    assert not AuditLog.objects.filter(action="download").exists()


def test_prefecture_reads_but_may_not_change_unless_delegated(round_, cast):
    from tests.attachments.conftest import upload

    a = add(round_, cast["sagamihara"])
    client = login(cast["kanagawa"])
    assert client.post(_url(round_, a) + "remove/").status_code == 403
    assert upload(client, round_, [("県.pdf", PDF + b"x")]).status_code == 403
    round_.targets.filter(organization__code="141500").update(delegated=True)
    assert upload(client, round_, [("県.pdf", PDF + b"x")]).status_code == 302
    assert client.post(_url(round_, a) + "remove/").status_code == 302
    assert Attachment.objects.get(pk=a.pk).removed_by == cast["kanagawa"]


def test_ministry_cannot_upload_or_remove(round_, cast):
    from tests.attachments.conftest import upload

    a = add(round_, cast["sagamihara"])
    client = login(cast["ministry"])
    assert upload(client, round_, [("x.pdf", PDF + b"y")]).status_code in (403, 404)
    assert client.post(_url(round_, a) + "remove/").status_code in (403, 404)


def test_removal_asks_first_then_keeps_the_row_and_deletes_the_file(round_, sagamihara, private_root,
                                                                   django_capture_on_commit_callbacks):
    a = add(round_, sagamihara, "要領.pdf")
    client = login(sagamihara)
    page = client.get(_url(round_, a) + "remove/")
    assert page.status_code == 200 and "要領.pdf" in page.content.decode() and "削除する" in page.content.decode()
    assert Attachment.objects.get(pk=a.pk).removed_at is None
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(round_, a) + "remove/")
    assert response.status_code == 302 and response.url.endswith("/edit/")
    a.refresh_from_db()
    assert a.removed_at is not None and a.removed_by == sagamihara
    assert not (private_root / a.stored_path).exists()  # no submitted version counted it
    assert AuditLog.objects.filter(action="detach", actor=sagamihara, details__attachment=a.pk).exists()
    assert client.get(_url(round_, a) + "remove/").status_code == 404  # already removed
    # the same content may be attached again once the first was removed
    assert add(round_, sagamihara, "要領.pdf").pk != a.pk


def test_detail_page_lists_files_with_name_size_who_and_when(round_, cast):
    from tests.attachments.conftest import SHORT_ANSWERS, save

    save(round_, "141500", cast["sagamihara"], SHORT_ANSWERS, submit=True)
    add(round_, cast["sagamihara"], "後から.pdf")
    body = login(cast["ministry"]).get(f"/rounds/{round_.pk}/orgs/141500/").content.decode()
    assert 'data-testid="attachments-table"' in body and "後から.pdf" in body
    assert "相模原 市郎" in body and "この版の保存後に添付されました" in body
