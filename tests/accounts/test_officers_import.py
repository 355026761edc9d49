"""The officers' CSV import: validate everything first, then create all or nothing."""
import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from survey.models import AuditLog, User
from survey.services.accounts import officers_import, officers_import_csv

pytestmark = pytest.mark.django_db

GOOD = "団体コード,氏名,メールアドレス\n141500,相模原 一郎,ichiro@city.sagamihara.example.jp\n" \
       "141003,横浜 二郎,jiro@city.yokohama.example.jp\n"


def _run(text, admin_user, *, encoding="utf-8", dry_run=False):
    return officers_import_csv(data=text.encode(encoding), acting_user=admin_user, dry_run=dry_run)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_file_in_utf8_with_or_without_bom_or_cp932_is_read(orgs, admin_user, encoding):
    result = _run(GOOD, admin_user, encoding=encoding)
    assert result.ok and len(result.created) == 2
    assert User.objects.get(email="ichiro@city.sagamihara.example.jp").organization == orgs["141500"]


def test_english_headers_are_accepted(orgs, admin_user):
    result = _run("Code,Name,Email\n141500,相模原 一郎,ichiro@example.jp\n", admin_user)
    assert result.ok and result.created[0].name == "相模原 一郎"


def test_created_officers_are_invited_after_commit(orgs, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = _run(GOOD, admin_user)
    assert mail.outbox == [] and len(callbacks) == 2
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in result.created)
    assert AuditLog.objects.filter(action=AuditLog.Action.ACCOUNT_CREATE, details__source="csv").count() == 2


def test_every_error_is_reported_with_its_row_and_nothing_is_created(orgs, admin_user):
    orgs["142042"].is_active = False
    orgs["142042"].save()
    text = ("団体コード,氏名,メールアドレス\n"
            "141500,相模原 一郎,ichiro@example.jp\n"     # 2: fine
            "999999,架空 太郎,taro@example.jp\n"          # 3: unknown code
            "142042,鎌倉 花子,hanako@example.jp\n"        # 4: retired organisation
            "141003,横浜 二郎,not-an-address\n"           # 5: bad e-mail
            "141003,横浜 三郎,ICHIRO@example.jp\n"        # 6: duplicate of row 2
            "141003,,saburo@example.jp\n")                # 7: no name
    result = _run(text, admin_user)
    assert [(e.line, e.code) for e in result.errors] == [
        (3, "unknown_code"), (4, "retired_code"), (5, "invalid_email"), (6, "duplicate_email"),
        (7, "name_required")]
    assert "2行目と重複しています" in str(result.errors[3]) and str(result.errors[0]).startswith("3行目: ")
    assert "廃止された団体" in result.errors[1].message
    assert result.created == [] and not User.objects.filter(email="ichiro@example.jp").exists()


def test_address_already_registered_is_skipped_not_an_error(orgs, admin_user, sagamihara):
    text = f"団体コード,氏名,メールアドレス\n141500,相模原 市郎,{sagamihara.email.upper()}\n141500,新人,new@example.jp\n"
    result = _run(text, admin_user)
    assert result.ok and [r.line for r in result.skipped] == [2]
    assert [u.email for u in result.created] == ["new@example.jp"]


def test_dry_run_creates_nothing(orgs, admin_user):
    result = _run(GOOD, admin_user, dry_run=True)
    assert result.ok and len(result.to_create) == 2 and result.created == []
    assert not User.objects.filter(email__endswith="example.jp", name__startswith="相模原 一").exists()


def test_code_that_lost_its_leading_zero_in_excel_is_restored(orgs, admin_user, db):
    from survey.models import Organization

    Organization.objects.create(code="011002", prefecture_code="01", prefecture_name="北海道", name="札幌市",
                                kind="designated_city")
    result = _run("団体コード,氏名,メールアドレス\n11002,札幌 太郎,taro@city.sapporo.example.jp\n", admin_user)
    assert result.ok and result.created[0].organization.code == "011002"


@pytest.mark.parametrize("data, code", [
    (b"", "empty"),
    ("氏名,メールアドレス\n相模原,a@example.jp\n".encode(), "missing_columns"),
    ("団体コード,氏名,メールアドレス\n".encode(), "no_rows"),
    (b"\xff\xfe\x00\xd8garbage\x81", "unknown_encoding"),
])
def test_unreadable_files_are_reported_in_japanese(orgs, admin_user, data, code):
    result = officers_import_csv(data=data, acting_user=admin_user)
    assert [e.code for e in result.errors] == [code] and result.errors[0].line is None


def test_a_failure_while_creating_keeps_nothing(orgs, admin_user, monkeypatch):
    real = officers_import.user_invite

    def second_fails(**kwargs):
        if kwargs["email"].startswith("jiro"):
            raise ValidationError({"email": ValidationError("このメールアドレスはすでに登録されています。",
                                                            code="email_taken")})
        return real(**kwargs)

    # officers_import calls the user_invite it imported: patch that one.
    monkeypatch.setattr(officers_import, "user_invite", second_fails)
    result = _run(GOOD, admin_user)
    assert [e.code for e in result.errors] == ["create_failed"] and result.errors[0].line == 3
    assert result.created == [] and not User.objects.filter(email__startswith="ichiro").exists()
