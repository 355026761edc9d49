"""Where the answer sheet is offered: downloads for whoever may read the response, the upload for
those who may write it before the deadline, the zip for the ministry, the bulk import for
administrators."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from survey.services.responses import response_save

from .conftest import VALID_ANSWERS, login, respondent_for

pytestmark = pytest.mark.django_db


def _urls(round_, code="141500"):
    kwargs = {"round_id": round_.pk, "org_code": code}
    download = reverse("sheet_download", kwargs=kwargs)
    return download, download + "?with=answers", reverse("sheet_upload", kwargs=kwargs)


def _save_draft(round_, orgs, user):
    target = round_.targets.select_related("round__survey", "organization").get(organization=orgs["141500"])
    response_save(target=target, answers=VALID_ANSWERS, respondent=respondent_for(orgs["141500"]), acting_user=user)


def _page(client, user, url):
    return login(client, user).get(url).content.decode()


def test_officer_home_offers_download_and_upload(client, cast, round_, orgs):
    blank, filled, upload = _urls(round_)
    page = _page(client, cast["sagamihara"], "/")
    assert "回答シート（Excel）をダウンロード" in page and blank in page
    assert "回答シートをアップロード" in page and upload in page
    assert filled not in page  # nothing answered yet
    _save_draft(round_, orgs, cast["sagamihara"])
    assert filled in _page(client, cast["sagamihara"], "/")


def test_no_upload_after_the_deadline(client, cast, round_, orgs):
    _save_draft(round_, orgs, cast["sagamihara"])
    round_.deadline = timezone.now() - dt.timedelta(hours=1)
    round_.save()
    blank, filled, upload = _urls(round_)
    detail = reverse("response_detail", kwargs={"round_id": round_.pk, "org_code": "141500"})
    home = _page(client, cast["sagamihara"], "/")  # the round is listed under 終了した調査
    assert detail in home
    assert upload not in home and "回答シートをアップロード" not in home
    page = _page(client, cast["sagamihara"], detail)
    assert blank in page and filled in page
    assert upload not in page and "回答シートをアップロード" not in page


def test_response_page_offers_the_upload_only_to_those_who_can_write(client, cast, round_, orgs):
    _save_draft(round_, orgs, cast["sagamihara"])
    blank, filled, upload = _urls(round_)
    detail = reverse("response_detail", kwargs={"round_id": round_.pk, "org_code": "141500"})
    own = _page(client, cast["sagamihara"], detail)
    assert blank in own and filled in own and upload in own
    for reader in ("kanagawa", "ministry", "admin"):
        page = _page(client, cast[reader], detail)
        assert blank in page and filled in page, reader
        assert upload not in page, reader


def test_edit_page_links_to_the_sheet(client, cast, round_):
    _, filled, upload = _urls(round_)
    page = _page(client, cast["sagamihara"], reverse("response_edit", kwargs={"round_id": round_.pk,
                                                                             "org_code": "141500"}))
    assert filled in page and upload in page


@pytest.mark.parametrize("who", ["ministry", "admin"])
def test_round_status_offers_the_zip_of_every_sheet_to_the_ministry(client, cast, round_, who):
    page = _page(client, cast[who], reverse("round_status", kwargs={"round_id": round_.pk}))
    assert "全団体の回答シートを一括作成（zip）" in page
    assert reverse("sheets_export", kwargs={"round_id": round_.pk}) in page


def test_round_status_has_no_zip_for_a_prefecture(client, cast, round_):
    page = _page(client, cast["kanagawa"], reverse("round_status", kwargs={"round_id": round_.pk}))
    assert reverse("sheets_export", kwargs={"round_id": round_.pk}) not in page


def test_bulk_import_is_in_the_administrators_menu_only(client, cast, round_):
    assert reverse("sheet_imports") in _page(client, cast["admin"], "/")
    assert "回答シートの一括取込" in _page(client, cast["admin"], "/")
    client.logout()
    assert reverse("sheet_imports") not in _page(client, cast["ministry"], "/")
