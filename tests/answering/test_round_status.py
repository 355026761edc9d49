"""The round status list: scoping, filters, pages, and the prefecture's 代理回答 switch."""
import pytest

from survey.models import AuditLog

from .conftest import LONG_ANSWERS, login, save

pytestmark = pytest.mark.django_db


def url(round_):
    return f"/rounds/{round_.pk}/"


def listed(response) -> set[str]:
    return {t.organization.code for t in response.context["page"]}


def test_ministry_sees_every_target(round_, ministry):
    assert listed(login(ministry).get(url(round_))) == {"140007", "141003", "141500", "142042", "130001", "131016"}


def test_prefecture_sees_only_its_prefecture(round_, kanagawa):
    assert listed(login(kanagawa).get(url(round_))) == {"140007", "141003", "141500", "142042"}


def test_municipality_sees_only_itself(round_, sagamihara):
    response = login(sagamihara).get(url(round_))
    assert listed(response) == {"141500"}
    assert "横浜市" not in response.content.decode()


def test_officer_of_a_round_without_them_gets_404(round_, sagamihara):
    round_.targets.filter(organization__code="141500").delete()
    assert login(sagamihara).get(url(round_)).status_code == 404


def test_counts_follow_the_scope(round_, kanagawa, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    counts = login(kanagawa).get(url(round_)).context["counts"]
    assert counts == {"targets": 4, "prefectures": 1, "municipalities": 3, "submitted": 1, "draft": 0,
                      "not_started": 3, "returned": 0, "approved": 0}


def test_filter_by_status(round_, ministry, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    assert listed(login(ministry).get(url(round_), {"status": "submitted"})) == {"141500"}
    assert "141500" not in listed(login(ministry).get(url(round_), {"status": "not_started"}))


def test_filter_by_prefecture_kind_and_text(round_, ministry):
    client = login(ministry)
    assert listed(client.get(url(round_), {"prefecture": "13"})) == {"130001", "131016"}
    assert listed(client.get(url(round_), {"kind": "designated_city"})) == {"141003", "141500"}
    assert listed(client.get(url(round_), {"q": "相模原"})) == {"141500"}


def test_prefecture_filter_is_not_offered_to_officers(round_, kanagawa):
    page = login(kanagawa).get(url(round_)).content.decode()
    assert 'name="prefecture"' not in page


def test_pages(round_, ministry, monkeypatch):
    monkeypatch.setattr("survey.views.answering.STATUS_PAGE_SIZE", 4)
    client = login(ministry)
    assert len(listed(client.get(url(round_)))) == 4
    assert len(listed(client.get(url(round_), {"page": 2}))) == 2


def test_prefecture_marks_a_municipality_as_delegated(round_, kanagawa):
    client = login(kanagawa)
    delegation = f"/rounds/{round_.pk}/orgs/141500/delegation/"
    assert "代理回答にする" in client.get(url(round_)).content.decode()
    confirm = client.get(delegation)
    assert "相模原市を代理回答の対象にしますか" in confirm.content.decode()
    response = client.post(delegation, {"delegated": "True"})
    assert response.status_code == 302
    assert round_.targets.get(organization__code="141500").delegated is True
    assert AuditLog.objects.filter(action=AuditLog.Action.DELEGATION, organization__code="141500").exists()
    client.post(delegation, {"delegated": "False"})
    assert round_.targets.get(organization__code="141500").delegated is False


def test_municipality_cannot_set_delegation(round_, sagamihara, yokohama):
    delegation = f"/rounds/{round_.pk}/orgs/141500/delegation/"
    assert login(sagamihara).post(delegation, {"delegated": "True"}).status_code == 403
    assert login(yokohama).post(delegation, {"delegated": "True"}).status_code == 404
    assert round_.targets.get(organization__code="141500").delegated is False


def test_other_prefecture_cannot_set_delegation(round_, tokyo):
    delegation = f"/rounds/{round_.pk}/orgs/141500/delegation/"
    assert login(tokyo).post(delegation, {"delegated": "True"}).status_code == 404


def test_status_list_is_never_cached(round_, kanagawa):
    assert "no-store" in login(kanagawa).get(url(round_))["Cache-Control"]
