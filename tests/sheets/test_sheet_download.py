"""Officers download their own organisation's answer sheet, and only that (or their prefecture's)."""
import pytest
from django.urls import reverse

from survey.models import AuditLog
from survey.services.responses import response_save
from survey.workbook import read_answer_sheet

from .conftest import VALID_ANSWERS, login, respondent_for

pytestmark = pytest.mark.django_db


def _url(round_, code, **query):
    url = reverse("sheet_download", kwargs={"round_id": round_.pk, "org_code": code})
    return url + ("?with=answers" if query.get("with_answers") else "")


def _read(round_, data):
    from survey.services.sheets import org_resolver

    return read_answer_sheet(data, "sheet.xlsx", round_.survey.engine, resolve_org=org_resolver())


def test_officer_downloads_own_blank_sheet(client, cast, round_):
    response = login(client, cast["sagamihara"]).get(_url(round_, "141500"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in response["Content-Disposition"]
    result = _read(round_, response.content)
    assert (result.org_code, result.round_id) == ("141500", round_.pk)
    assert result.answers == {}
    row = AuditLog.objects.get(action=AuditLog.Action.DOWNLOAD)
    assert row.actor == cast["sagamihara"] and row.organization.code == "141500"


def test_officer_downloads_sheet_with_current_answers(client, cast, round_, orgs):
    target = round_.targets.get(organization=orgs["141500"])
    response_save(target=target, answers=VALID_ANSWERS, respondent=respondent_for(orgs["141500"]),
                  acting_user=cast["sagamihara"])
    response = login(client, cast["sagamihara"]).get(_url(round_, "141500", with_answers=True))
    result = _read(round_, response.content)
    assert result.answers == VALID_ANSWERS
    assert result.respondent["担当部署名"] == "福祉部 生活福祉課"


@pytest.mark.parametrize("intruder", ["yokohama", "chiyoda", "tokyo"])
def test_officer_cannot_download_another_organisations_sheet(client, cast, round_, intruder):
    response = login(client, cast[intruder]).get(_url(round_, "141500"))
    assert response.status_code == 404
    assert not AuditLog.objects.filter(action=AuditLog.Action.DOWNLOAD).exists()


def test_prefecture_and_ministry_may_download_a_municipality_sheet(client, cast, round_):
    for name in ("kanagawa", "ministry", "admin"):
        assert login(client, cast[name]).get(_url(round_, "141500")).status_code == 200


def test_anonymous_is_sent_to_login(client, round_):
    response = client.get(_url(round_, "141500"))
    assert response.status_code == 302 and "login" in response["Location"]
