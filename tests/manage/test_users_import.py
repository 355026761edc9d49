"""The officers' CSV import page: upload, preview, confirm."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from survey.models import User

pytestmark = pytest.mark.django_db
CSV = "団体コード,氏名,メールアドレス\n141500,相模原 一郎,ichiro@example.jp\n141003,横浜 二郎,jiro@example.jp\n"


@pytest.fixture
def admin(client, admin_user, login_as):
    return login_as(client, admin_user)


def _upload(client, text, encoding="cp932"):
    return client.post("/manage/users/import/", {"file": SimpleUploadedFile("officers.csv", text.encode(encoding))})


def test_upload_shows_a_preview_and_creates_nothing(admin, orgs):
    body = _upload(admin, CSV).content.decode()
    assert "2件のアカウントを作成し" in body and "14神奈川県相模原市" in body
    assert not User.objects.filter(email__in=["ichiro@example.jp", "jiro@example.jp"]).exists()


def test_confirmation_creates_the_previewed_officers(admin, orgs):
    token = _upload(admin, CSV).context["confirm"].initial["token"]
    response = admin.post("/manage/users/import/confirm/", {"token": token})
    assert "2件のアカウントを作成し" in response.content.decode()
    assert User.objects.filter(email__in=["ichiro@example.jp", "jiro@example.jp"]).count() == 2


def test_a_confirmation_works_only_once(admin, orgs):
    token = _upload(admin, CSV).context["confirm"].initial["token"]
    admin.post("/manage/users/import/confirm/", {"token": token})
    response = admin.post("/manage/users/import/confirm/", {"token": token}, follow=True)
    assert "もう一度ファイルをアップロードしてください" in response.content.decode()
    assert User.objects.filter(email="ichiro@example.jp").count() == 1


def test_errors_are_listed_with_rows_and_there_is_no_confirm_button(admin, orgs):
    response = _upload(admin, CSV + "999999,架空 太郎,taro@example.jp\n141003,横浜 三郎,bad\n", "utf-8")
    body = response.content.decode()
    assert response.context["confirm"] is None
    assert "4行目: 団体コード「999999」は団体マスタにありません。" in body
    assert "5行目: メールアドレス「bad」の形式が正しくありません。" in body
    assert "1件も登録していません" in body


def test_the_file_field_has_a_label(admin):
    body = admin.get("/manage/users/import/").content.decode()
    assert 'for="id_file"' in body and "CSVファイル" in body
