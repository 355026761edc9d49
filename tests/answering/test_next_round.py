"""Next round: officers start from last round's answers on a revised survey version.

The previous round is answered through the service; the next round is started from it on
survey/definitions/demo/linkage-2024.1-demo.toml (Q2 reworded, Q4 ③ removed, Q11 added).
"""
import datetime as dt

import pytest
from django.utils import timezone

from survey.engine import DEFINITIONS_DIR
from survey.models import AuditLog, Response, RoundStatus, VersionSource
from survey.services.next_round import response_carry_over, round_start_next
from survey.services.rounds import round_set_status, survey_version_load

from .conftest import (
    LONG_ANSWERS,
    RESPONDENT,
    confirm_url,
    edit_url,
    login,
    questionnaire_post,
    save,
    target_of,
)

pytestmark = pytest.mark.django_db

DEMO_FILE = DEFINITIONS_DIR / "demo" / "linkage-2024.1-demo.toml"
# 横浜市 chose Q4 ③, an option the revised version no longer has.
YOKOHAMA = {**LONG_ANSWERS, "4": "3"}
YOKOHAMA_RESPONDENT = {**RESPONDENT, "組織名": "14神奈川県横浜市"}


@pytest.fixture
def revised(db):
    return survey_version_load(DEMO_FILE)[0]


@pytest.fixture
def next_round(round_, revised, ministry, sagamihara, yokohama):
    """Last round answered by 相模原市 and 横浜市 (submitted); the next one, open, on the revised version."""
    save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True)
    save(round_, "141003", yokohama, YOKOHAMA, YOKOHAMA_RESPONDENT, submit=True)
    rnd = round_start_next(previous=round_, survey=revised, title="次回調査", scheme=round_.scheme,
                           deadline=timezone.now() + dt.timedelta(days=20), acting_user=ministry)
    return round_set_status(round=rnd, status=RoundStatus.OPEN, acting_user=ministry)


def response_in(rnd, code):
    return Response.objects.select_related("current_version").get(round=rnd, organization__code=code)


def test_officers_form_is_pre_filled_and_the_changed_item_marked(next_round, round_, sagamihara):
    page = login(sagamihara).get(edit_url(next_round))
    html = page.content.decode()
    assert page.status_code == 200
    response = response_in(next_round, "141500")
    previous = response_in(round_, "141500")
    assert response.carried_from_id == previous.submitted_version_id
    assert response.current_version.source == VersionSource.CARRYOVER
    assert response.current_version.answers == LONG_ANSWERS  # nothing of 相模原市's was removed
    assert response.current_version.respondent["担当部署名"] == RESPONDENT["担当部署名"]
    assert response.status == "draft"
    # pre-filled: the carried answers are checked in the form
    assert 'name="q_3" id="id_q_3_0" value="1" checked' in html
    assert "複数担当者で4情報を確認する。" in html
    assert 'data-testid="carryover-notice"' in html and "前回の回答を引き継いでいます" in html
    # marked: Q2 changed (変更あり), Q11 new, Q3 unchanged
    assert _legend(html, "2").count("変更あり") == 1 and _legend(html, "4").count("変更あり") == 1
    assert "新しい項目" in _legend(html, "11") and "変更あり" not in _legend(html, "3")
    assert 'name="q_11" id="id_q_11_0" value="1" checked' not in html  # the new item starts empty
    assert AuditLog.objects.filter(action="save_draft", actor=sagamihara, details__source="carryover").count() == 1


def _legend(html: str, item_id: str) -> str:
    start = html.index(f'id="item-{item_id}"')
    return html[start:html.index("</legend>", start)]


def test_an_answer_to_a_removed_option_is_cleared_and_the_officer_told(next_round, yokohama):
    html = login(yokohama).get(edit_url(next_round, "141003")).content.decode()
    draft = response_in(next_round, "141003").current_version
    assert "4" not in draft.answers and draft.answers["3"] == "1"
    assert 'data-testid="carryover-notices"' in html
    assert "Q4：前回選んだ「③本人以外（事業主等）からの届出は無い。」は今回の選択肢にないため、消去しました。" in html


def test_the_carried_draft_never_overwrites_what_the_officer_saved(next_round, sagamihara):
    save(next_round, "141500", sagamihara, {"1-1": "2"})
    login(sagamihara).get(edit_url(next_round))
    response = response_in(next_round, "141500")
    assert response.versions.count() == 1 and response.current_version.source == VersionSource.WEB
    assert response.current_version.answers == {"1-1": "2"} and response.carried_from_id is None
    assert response_carry_over(target=target_of(next_round, "141500"), acting_user=sagamihara) is None


def test_the_draft_is_carried_once(next_round, sagamihara):
    client = login(sagamihara)
    client.get(edit_url(next_round))
    client.get(edit_url(next_round))
    assert response_in(next_round, "141500").versions.count() == 1


def test_carries_the_last_submitted_version_not_a_later_draft(next_round, round_, sagamihara):
    save(round_, "141500", sagamihara, {**LONG_ANSWERS, "9": "4"})  # a draft after the submission
    login(sagamihara).get(edit_url(next_round))
    assert response_in(next_round, "141500").current_version.answers["9"] == "1"


def test_an_organisation_that_never_submitted_starts_blank(next_round, round_, kanagawa):
    save(round_, "140007", kanagawa, {"1-2": "1"}, {"組織区分": "都道府県"})  # a draft only
    page = login(kanagawa).get(edit_url(next_round, "140007"))
    assert page.status_code == 200 and 'data-testid="carryover-notice"' not in page.content.decode()
    assert not Response.objects.filter(round=next_round, organization__code="140007").exists()
    assert "変更あり" in _legend(page.content.decode(), "2")  # the marks show all the same


def test_confirmation_highlights_the_officers_own_changes_against_last_time(next_round, sagamihara):
    client = login(sagamihara)
    client.get(edit_url(next_round))
    answers = {**LONG_ANSWERS, "9": "2", "11": "1"}
    body = questionnaire_post(next_round, "141500", answers, RESPONDENT, 1, action="to_confirm")
    assert client.post(edit_url(next_round), body).status_code == 302
    html = client.get(confirm_url(next_round)).content.decode()
    assert 'data-testid="own-changes"' in html and "2件の回答が前回と異なります" in html
    assert 'data-testid="own-change-9"' in html and "前回：①複数職員で確認している。" in html
    assert 'data-testid="own-change-11"' in html and "前回：（前回なし）" in html
    assert 'data-testid="own-change-3"' not in html and 'data-testid="own-change-2"' not in html


def test_a_round_without_a_previous_one_shows_no_carryover(round_, sagamihara):
    html = login(sagamihara).get(edit_url(round_)).content.decode()
    assert "変更あり" not in html and 'data-testid="carryover-notice"' not in html
    assert not Response.objects.filter(round=round_).exists()


def test_an_approved_response_carries_its_approved_version(round_, revised, ministry, sagamihara, kanagawa):
    from survey.services.review import response_approve

    save(round_, "141500", sagamihara, {**LONG_ANSWERS, "9": "2"}, submit=True)
    approved = response_approve(target=target_of(round_, "141500"), acting_user=kanagawa)
    assert approved.review == "approved"
    rnd = round_start_next(previous=round_, survey=revised, title="次回", scheme=round_.scheme,
                           deadline=timezone.now() + dt.timedelta(days=20), acting_user=ministry)
    round_set_status(round=rnd, status=RoundStatus.OPEN, acting_user=ministry)
    outcome = response_carry_over(target=target_of(rnd, "141500"), acting_user=sagamihara)
    assert outcome.base.pk == approved.submitted_version_id and outcome.version.answers["9"] == "2"


def test_a_returned_response_carries_its_last_submitted_version(round_, revised, ministry, sagamihara, kanagawa):
    from survey.services.review import Anchor, NewComment, response_return

    save(round_, "141500", sagamihara, {**LONG_ANSWERS, "9": "3"}, submit=True)
    response_return(target=target_of(round_, "141500"), acting_user=kanagawa,
                    comments=[NewComment(Anchor("item", "9"), "Q9 を確認してください。")])
    rnd = round_start_next(previous=round_, survey=revised, title="次回", scheme=round_.scheme,
                           deadline=timezone.now() + dt.timedelta(days=20), acting_user=ministry)
    round_set_status(round=rnd, status=RoundStatus.OPEN, acting_user=ministry)
    outcome = response_carry_over(target=target_of(rnd, "141500"), acting_user=sagamihara)
    assert outcome.version.answers["9"] == "3"


def test_a_first_sheet_download_with_answers_carries_the_answers_over(next_round, sagamihara, ministry):
    from survey.workbook import read_answer_sheet

    signed = login(ministry).get(f"/rounds/{next_round.pk}/orgs/141500/sheet.xlsx?with=answers")
    assert signed.status_code == 200 and not Response.objects.filter(round=next_round).exists()  # reading only
    sheet = login(sagamihara).get(f"/rounds/{next_round.pk}/orgs/141500/sheet.xlsx?with=answers")
    assert sheet.status_code == 200
    assert response_in(next_round, "141500").current_version.source == VersionSource.CARRYOVER
    result = read_answer_sheet(b"".join(sheet.streaming_content) if sheet.streaming else sheet.content,
                               "x.xlsx", next_round.survey.engine, resolve_org=lambda name: "141500",
                               org_kind_of=lambda code: "municipality", complete=False)
    assert result.answers == LONG_ANSWERS
