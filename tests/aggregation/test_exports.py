"""Export pages, the job, the download and snapshots, tried as every member of the cast."""
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from aggregation.models import Snapshot
from aggregation.services import EXPORT_KIND, export_start, snapshot_create
from survey.middleware import LOGIN_TIME_KEY
from survey.models import AuditLog, Job
from tests.aggregation.conftest import KNOWN, org_info
from tests.cast import (  # noqa: F401  (fixtures)
    admin_user,
    kanagawa,
    ministry,
    orgs,
    sagamihara,
    survey_version,
    tokyo,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[LOGIN_TIME_KEY] = __import__("time").time()
    session.save()
    return client


def start(client, rnd, **data):
    """POST the export form; the task runs eagerly at commit in the tests."""
    response = client.post(f"/aggregation/rounds/{rnd.pk}/exports/", {"format": "xlsx", **data})
    assert response.status_code == 302, response.status_code
    return Job.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def download(client, job) -> bytes:
    response = client.get(f"/aggregation/exports/{job.pk}/download/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def codes_in(data: bytes) -> list[str]:
    ws = openpyxl.load_workbook(io.BytesIO(data))["回答一覧"]
    return [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]


def test_ministry_exports_the_whole_country_as_a_job(agg_round, ministry, django_capture_on_commit_callbacks):  # noqa: F811
    client = login(ministry)
    with django_capture_on_commit_callbacks(execute=True):
        job = start(client, agg_round)
    job.refresh_from_db()
    assert job.kind == EXPORT_KIND and job.status == Job.Status.DONE, job.messages
    assert job.progress == job.total == len(KNOWN)
    figures = job.result["figures"]
    assert figures["targets"] == len(KNOWN) and figures["snapshot_id"] is None and len(figures["content_sha256"]) == 64
    assert codes_in(download(client, job)) == sorted(KNOWN)
    actions = list(AuditLog.objects.filter(actor=ministry).values_list("action", flat=True))
    assert "export" in actions and "download" in actions
    status = client.get(f"/jobs/{job.pk}/status.json").json()
    assert status["status"] == "done" and status["download_url"].endswith("/download/")


def test_export_from_a_snapshot_records_its_hash(agg_round, ministry, django_capture_on_commit_callbacks):  # noqa: F811
    snapshot = snapshot_create(round=agg_round, acting_user=ministry, label="締切")
    with django_capture_on_commit_callbacks(execute=True):
        job = start(login(ministry), agg_round, snapshot=snapshot.pk)
    job.refresh_from_db()
    figures = job.result["figures"]
    assert figures["snapshot_id"] == snapshot.pk and figures["verified"] is True
    assert figures["content_sha256"] == snapshot.content_sha256


def test_csv_export_downloads_with_a_bom(agg_round, admin_user, django_capture_on_commit_callbacks):  # noqa: F811
    client = login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        job = start(client, agg_round, format="csv")
    data = download(client, job)
    assert data.startswith(b"\xef\xbb\xbf") and data.decode("utf-8-sig").count("\r\n") == len(KNOWN) + 1


def test_prefecture_officer_exports_only_their_prefecture(agg_round, kanagawa, django_capture_on_commit_callbacks):  # noqa: F811
    client = login(kanagawa)
    page = client.get(f"/aggregation/rounds/{agg_round.pk}/exports/")
    assert page.status_code == 200 and "都道府県コード 14" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        job = start(client, agg_round, prefecture="13")  # a widened request is ignored
    assert job.params["prefecture"] == "14"
    codes = codes_in(download(client, job))
    assert codes == sorted(c for c in KNOWN if org_info(c)[0] == "14")


def test_officer_cannot_export_another_prefecture_from_a_snapshot_either(agg_round, kanagawa, ministry,  # noqa: F811
                                                                        django_capture_on_commit_callbacks):
    snapshot = snapshot_create(round=agg_round, acting_user=ministry, label="締切")
    with django_capture_on_commit_callbacks(execute=True):
        job = start(login(kanagawa), agg_round, snapshot=snapshot.pk)
    assert all(org_info(c)[0] == "14" for c in codes_in(download(login(kanagawa), job)))


def test_municipal_officer_cannot_export(agg_round, sagamihara):  # noqa: F811
    client = login(sagamihara)
    assert client.get(f"/aggregation/rounds/{agg_round.pk}/exports/").status_code == 403
    assert client.post(f"/aggregation/rounds/{agg_round.pk}/exports/", {"format": "xlsx"}).status_code == 403
    assert not Job.objects.filter(kind=EXPORT_KIND).exists()


def test_nobody_else_downloads_a_prefecture_export(agg_round, kanagawa, tokyo, sagamihara, ministry,  # noqa: F811
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = export_start(round=agg_round, acting_user=kanagawa, prefecture="14")
    for user in (tokyo, sagamihara):
        client = login(user)
        for url in (f"/aggregation/exports/{job.pk}/", f"/jobs/{job.pk}/status.json",
                    f"/aggregation/exports/{job.pk}/download/"):
            assert client.get(url).status_code == 404, (user, url)
    assert login(ministry).get(f"/aggregation/exports/{job.pk}/download/").status_code == 200


def test_a_ministry_export_is_not_for_a_prefecture_officer(agg_round, kanagawa, ministry,  # noqa: F811
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = export_start(round=agg_round, acting_user=ministry)
    assert login(kanagawa).get(f"/aggregation/exports/{job.pk}/download/").status_code == 404


def test_anonymous_is_sent_to_login(agg_round):
    assert Client().get(f"/aggregation/rounds/{agg_round.pk}/exports/").status_code == 302


# --- snapshots -------------------------------------------------------------------------------------


def test_snapshot_needs_confirmation_then_freezes(agg_round, ministry):  # noqa: F811
    client = login(ministry)
    page = client.get(f"/aggregation/rounds/{agg_round.pk}/snapshots/new/")
    submitted = sum(1 for state, _, _ in KNOWN.values() if state == "submitted")
    assert page.status_code == 200 and f">{submitted}<" in page.content.decode()
    refused = client.post(f"/aggregation/rounds/{agg_round.pk}/snapshots/new/", {"label": "締切", "confirm": ""})
    assert refused.status_code == 400 and not Snapshot.objects.exists()
    done = client.post(f"/aggregation/rounds/{agg_round.pk}/snapshots/new/", {"label": "締切", "confirm": "確定する"})
    assert done.status_code == 302
    snapshot = Snapshot.objects.get()
    assert snapshot.label == "締切" and snapshot.response_count == submitted
    listing = client.get(f"/aggregation/rounds/{agg_round.pk}/snapshots/").content.decode()
    assert snapshot.content_sha256 in listing
    checked = client.post(f"/aggregation/snapshots/{snapshot.pk}/check/", follow=True).content.decode()
    assert "一致しました" in checked


@pytest.mark.parametrize("who", ["kanagawa", "sagamihara"])
def test_only_ministry_and_admin_freeze(agg_round, who, request):
    client = login(request.getfixturevalue(who))
    assert client.get(f"/aggregation/rounds/{agg_round.pk}/snapshots/").status_code == 403
    assert client.post(f"/aggregation/rounds/{agg_round.pk}/snapshots/new/", {"confirm": "確定する"}).status_code == 403
    assert not Snapshot.objects.exists()


# --- the command -----------------------------------------------------------------------------------


def test_command_writes_the_workbook_of_a_round_and_of_a_snapshot(tmp_path, agg_round, ministry):  # noqa: F811
    out = io.StringIO()
    call_command("export_aggregate_workbook", str(tmp_path / "live.xlsx"), "--round", str(agg_round.pk), stdout=out,
                 stderr=io.StringIO())
    assert "作成しました" in out.getvalue()
    assert codes_in((tmp_path / "live.xlsx").read_bytes()) == sorted(KNOWN)
    snapshot = snapshot_create(round=agg_round, acting_user=ministry, label="締切")
    out = io.StringIO()
    call_command("export_aggregate_workbook", str(tmp_path / "snap.xlsx"), "--snapshot", str(snapshot.pk), stdout=out,
                 stderr=io.StringIO())
    assert snapshot.content_sha256 in out.getvalue()
    call_command("export_aggregate_workbook", str(tmp_path / "default.csv"), stdout=io.StringIO(),
                 stderr=io.StringIO())
    assert (tmp_path / "default.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_command_errors_are_clear(tmp_path, agg_round, ministry, survey_version):  # noqa: F811
    from tests.aggregation.conftest import build_round

    other = build_round(survey_version, title="別の調査回", known={"130001": ("none", {}, [])}, later={})
    snapshot = snapshot_create(round=agg_round, acting_user=ministry, label="締切")
    cases = [
        (["--round", "999999"], "調査回 ID 999999 はありません"),
        (["--snapshot", "999999"], "確定集計 ID 999999 はありません"),
        (["--round", str(other.pk), "--snapshot", str(snapshot.pk)], f"調査回 ID {agg_round.pk} のもの"),
    ]
    for args, message in cases:
        with pytest.raises(CommandError, match=message):
            call_command("export_aggregate_workbook", str(tmp_path / "x.xlsx"), *args, stdout=io.StringIO())
    with pytest.raises(CommandError, match="拡張子"):
        call_command("export_aggregate_workbook", str(tmp_path / "x.txt"), stdout=io.StringIO())


@pytest.mark.parametrize("value", ["²", "1.0", "abc", "999999"])
def test_an_export_from_an_unknown_or_malformed_snapshot_is_not_found(agg_round, ministry, value):  # noqa: F811
    response = login(ministry).post(f"/aggregation/rounds/{agg_round.pk}/exports/", {"snapshot": value, "format": "xlsx"})
    assert response.status_code == 404
    assert not Job.objects.filter(kind=EXPORT_KIND).exists()
