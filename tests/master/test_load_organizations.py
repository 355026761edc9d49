"""load_organizations: loads the shipped list, is idempotent, reports added / renamed / retired."""
import io

import pytest
from django.core.management import CommandError, call_command

from survey.models import Organization


def run(*args):
    out = io.StringIO()
    call_command("load_organizations", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_default_list_loads_all_1788_and_a_second_run_changes_nothing():
    first = run()
    assert "追加 1788 件" in first
    assert Organization.objects.count() == 1788
    assert Organization.objects.filter(kind="prefecture").count() == 47
    assert Organization.objects.get(code="141500").display_name == "14神奈川県相模原市"
    assert Organization.objects.get(code="130001").display_name == "13東京都"
    assert "追加 0 件、名称等の変更 0 件、廃止 0 件、変更なし 1788 件" in run()


@pytest.mark.django_db
def test_a_merger_is_reported_as_rename_and_retirement(tmp_path):
    run()
    csv = tmp_path / "list.csv"
    rows = [line for line in open("survey/data/organizations.csv", encoding="utf-8").read().splitlines()]
    header, body = rows[0], rows[1:]
    body = [r for r in body if not r.startswith("142042")]  # 鎌倉市 merged away
    body = [r.replace("相模原市,サガミハラシ", "新相模原市,シンサガミハラシ") for r in body]
    csv.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    out = run(str(csv))
    assert "名称等の変更 1 件" in out and "廃止 1 件" in out
    assert "142042" in out
    kamakura = Organization.objects.get(code="142042")
    assert not kamakura.is_active and kamakura.retired_at is not None
    assert Organization.objects.get(code="141500").name == "新相模原市"


@pytest.mark.django_db
def test_a_list_with_errors_changes_nothing_and_names_each_row(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,prefecture_code,prefecture_name,name,kana,kind\n141501,14,神奈川県,相模原市,サガミハラシ,city\n",
                   encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        run(str(bad))
    assert "何も変更していません" in str(exc.value)
    assert "2行目" in str(exc.value)
    assert Organization.objects.count() == 0


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    out = io.StringIO()
    call_command("seed_demo", "--responses", "30", stdout=out)
    assert "sagamihara@demo.example.jp" in out.getvalue()
    from survey.models import Response, Round, User

    counts = (Round.objects.count(), Response.objects.count(), User.objects.count())
    call_command("seed_demo", "--responses", "30", stdout=io.StringIO())
    assert (Round.objects.count(), Response.objects.count(), User.objects.count()) == counts
    assert counts[1] == 30
