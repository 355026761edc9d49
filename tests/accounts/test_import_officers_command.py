"""manage.py import_officers FILE [--dry-run]."""
import io

import pytest
from django.core.management import CommandError, call_command

from survey.models import User

pytestmark = pytest.mark.django_db
CSV = "団体コード,氏名,メールアドレス\n141500,相模原 一郎,ichiro@example.jp\n"


def _file(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "officers.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_dry_run_reports_and_creates_nothing(orgs, tmp_path):
    out = io.StringIO()
    call_command("import_officers", str(_file(tmp_path, CSV)), "--dry-run", stdout=out)
    assert "作成予定 1件" in out.getvalue() and not User.objects.filter(email="ichiro@example.jp").exists()


def test_import_creates_the_officers(orgs, tmp_path):
    out = io.StringIO()
    call_command("import_officers", str(_file(tmp_path, CSV, "cp932")), stdout=out)
    assert "1件を作成" in out.getvalue()
    assert User.objects.get(email="ichiro@example.jp").organization == orgs["141500"]


def test_errors_are_listed_and_the_command_fails(orgs, tmp_path):
    err = io.StringIO()
    with pytest.raises(CommandError, match="1件も登録していません"):
        call_command("import_officers", str(_file(tmp_path, CSV + "999999,架空,x@example.jp\n")), stderr=err)
    assert "3行目: 団体コード「999999」は団体マスタにありません。" in err.getvalue()
    assert not User.objects.filter(email="ichiro@example.jp").exists()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="ファイルを読めません"):
        call_command("import_officers", str(tmp_path / "nothing.csv"))
