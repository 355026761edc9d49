"""The questionnaire pages' HTML, state by state, against stored expectations.

The edit, confirm and response pages are rendered for the states an officer meets (blank, a
draft with follow-ups, errors after 確認へ進む, a 409 conflict, a returned response with its
threads, a carried next-round draft with 変更あり marks, a prefecture answering for a delegated
municipality) and compared, whitespace and per-run values (tokens, ids, dates) normalised, with
the pages as they were rendered before the rendering was optimised (tests/answering/rendered/).
Hostile texts (markup in respondent fields, follow-ups and comments) must come out escaped.

After a deliberate change of these pages, regenerate the expectations and read their diff:
    RENDERED_UPDATE=1 scripts/test tests/answering/test_rendered_pages.py
"""
import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone

from survey.engine import DEFINITIONS_DIR
from survey.models import RoundStatus
from survey.services.next_round import round_start_next
from survey.services.review import Anchor, NewComment, response_return
from survey.services.rounds import round_set_status, survey_version_load

from .conftest import (
    LONG_ANSWERS,
    RESPONDENT,
    confirm_url,
    detail_url,
    edit_url,
    login,
    questionnaire_post,
    save,
    target_of,
)

pytestmark = pytest.mark.django_db

EXPECTED = Path(__file__).parent / "rendered"
HOSTILE = '<img src=x onerror="alert(1)">&amp;\'"'
HOSTILE_RESPONDENT = {**RESPONDENT, "担当部署名": f"福祉局{HOSTILE}"}
HOSTILE_ANSWERS = {**LONG_ANSWERS, "8-1:概要": f"確認する。{HOSTILE}\n二行目"}

# Values that differ from run to run (database ids, tokens, clocks), replaced before comparing.
VOLATILE = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'), 'name="csrfmiddlewaretoken" value="TOKEN"'),
    (re.compile(r'data-csrf-token="[^"]*"'), 'data-csrf-token="TOKEN"'),
    (re.compile(r'data-seconds-left="\d+"'), 'data-seconds-left="S"'),
    (re.compile(r"/rounds/\d+/"), "/rounds/N/"),
    (re.compile(r"/(threads|comments|attachments|versions)/\d+/"), r"/\1/N/"),
    (re.compile(r'data-keep-key="\d+:(\d+):\d+"'), r'data-keep-key="N:\1:N"'),
    (re.compile(r"(thread|reply|attachment)-(\d+)"), r"\1-N"),
    (re.compile(r'data-deadline="[^"]*"'), 'data-deadline="T"'),
    (re.compile(r'datetime="[^"]*"'), 'datetime="T"'),
    (re.compile(r'data-session-[a-z-]+="[^"]*"'), 'data-session="S"'),
    (re.compile(r"\d{4}年\d{1,2}月\d{1,2}日(（[^）]*）)?( ?\d{1,2}:\d{2})?"), "DATE"),
    (re.compile(r"令和\d+年\d{1,2}月\d{1,2}日"), "DATE"),
]


def normalised(html: str) -> str:
    """The page's <main> (plus the document head and menu), one tag per line, volatile values replaced."""
    for pattern, replacement in VOLATILE:
        html = pattern.sub(replacement, html)
    html = re.sub(r"\s+", " ", html).replace(" >", ">")  # a space before a tag's end means nothing
    html = re.sub(r">\s+<", "><", html).replace("><", ">\n<")
    return html.strip() + "\n"


def check(name: str, response, status: int = 200) -> None:
    assert response.status_code == status
    html = response.content.decode()
    assert "<img src=x" not in html and 'onerror="alert' not in html
    got = normalised(html)
    path = EXPECTED / f"{name}.html"
    if os.environ.get("RENDERED_UPDATE"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"no stored expectation {path.name}: run with RENDERED_UPDATE=1 and read the diff"
    expected = path.read_text(encoding="utf-8")
    if got != expected:
        if os.environ.get("RENDERED_KEEP"):
            Path(os.environ["RENDERED_KEEP"], path.name).write_text(got, encoding="utf-8")
        import difflib

        diff = "".join(list(difflib.unified_diff(expected.splitlines(True), got.splitlines(True), "expected", "got"))[:80])
        pytest.fail(f"{name}: the page differs from {path.name}:\n{diff}")


def test_blank_questionnaire(round_, sagamihara):
    client = login(sagamihara)
    check("edit_blank", client.get(edit_url(round_)))


def test_draft_with_followups_edit_confirm_and_response_page(round_, sagamihara):
    save(round_, "141500", sagamihara, HOSTILE_ANSWERS, HOSTILE_RESPONDENT)
    client = login(sagamihara)
    check("edit_draft", client.get(edit_url(round_)))
    check("confirm_draft", client.get(confirm_url(round_)))
    check("detail_draft", client.get(detail_url(round_)))


def test_errors_after_a_failed_confirm(round_, sagamihara):
    client = login(sagamihara)
    answers = {"1-1": "1", "2": "3", "3": "1", "8-1": "1"}
    body = questionnaire_post(round_, "141500", answers, {**HOSTILE_RESPONDENT, "電話番号": "abc"}, 0, "to_confirm")
    check("edit_format_errors", client.post(edit_url(round_), body), status=400)
    body = questionnaire_post(round_, "141500", answers, HOSTILE_RESPONDENT, 0, "to_confirm")
    check("edit_errors_after_confirm", client.post(edit_url(round_), body), status=400)


def test_conflict(round_, sagamihara):
    first, second = login(sagamihara), login(sagamihara)
    first.post(edit_url(round_), questionnaire_post(round_, "141500", {"3": "1", "4": "2"}, RESPONDENT, 0))
    body = questionnaire_post(round_, "141500", {"3": "2", "6": ["1"], "1-1": "1"}, HOSTILE_RESPONDENT, 0)
    check("edit_conflict", second.post(edit_url(round_), body), status=409)


def test_returned_response_with_threads(round_, sagamihara, kanagawa):
    save(round_, "141500", sagamihara, HOSTILE_ANSWERS, HOSTILE_RESPONDENT, submit=True)
    response_return(target=target_of(round_, "141500"), acting_user=kanagawa, comments=[
        NewComment(anchor=Anchor("item", "7-2"), body=f"7-2 を確認してください。{HOSTILE}"),
        NewComment(anchor=Anchor("field", "電話番号"), body="電話番号を確認してください。"),
        NewComment(anchor=Anchor("response"), body="全体として確認してください。"),
    ])
    client = login(sagamihara)
    check("edit_returned", client.get(edit_url(round_)))
    check("detail_returned", client.get(detail_url(round_)))


def test_carried_next_round_draft(round_, ministry, sagamihara):
    revised = survey_version_load(DEFINITIONS_DIR / "demo" / "linkage-2024.1-demo.toml")[0]
    save(round_, "141500", sagamihara, HOSTILE_ANSWERS, HOSTILE_RESPONDENT, submit=True)
    rnd = round_start_next(previous=round_, survey=revised, title="次回調査", scheme=round_.scheme,
                           deadline=timezone.now() + dt.timedelta(days=20), acting_user=ministry)
    rnd = round_set_status(round=rnd, status=RoundStatus.OPEN, acting_user=ministry)
    client = login(sagamihara)
    check("edit_carried", client.get(edit_url(rnd)))
    body = questionnaire_post(rnd, "141500", {**LONG_ANSWERS, "3": "1", "4": "2"}, RESPONDENT, 1, "to_confirm")
    assert client.post(edit_url(rnd), body).status_code in (302, 400)
    check("confirm_carried", client.get(confirm_url(rnd)))


def test_prefecture_answering_for_a_delegated_municipality(round_, kanagawa):
    target = target_of(round_, "141500")
    target.delegated = True
    target.save()
    client = login(kanagawa)
    check("edit_proxy_blank", client.get(edit_url(round_)))
    client.post(edit_url(round_), questionnaire_post(round_, "141500", HOSTILE_ANSWERS, HOSTILE_RESPONDENT, 0))
    check("edit_proxy_draft", client.get(edit_url(round_)))


def test_review_page_of_a_returned_response(round_, sagamihara, kanagawa):
    save(round_, "141500", sagamihara, HOSTILE_ANSWERS, HOSTILE_RESPONDENT, submit=True)
    response_return(target=target_of(round_, "141500"), acting_user=kanagawa, comments=[
        NewComment(anchor=Anchor("item", "7-2"), body=f"7-2 を確認してください。{HOSTILE}"),
    ])
    check("review_returned", login(kanagawa).get(f"/rounds/{round_.pk}/orgs/141500/review/"))


def test_attached_files_on_the_edit_confirm_and_response_pages(round_, sagamihara):
    from survey.services.attachments import attachments_add
    from tests.attachments.conftest import PDF

    save(round_, "141500", sagamihara, LONG_ANSWERS, HOSTILE_RESPONDENT)
    target = target_of(round_, "141500")
    for n, (purpose, key, name) in enumerate([("followup", "10:概要", f"{HOSTILE}.pdf"),
                                              ("followup", "10:概要", "二つ目.pdf"), ("procedure_document", "", "要領.pdf")]):
        assert attachments_add(target=target, purpose=purpose, followup_key=key, files=[(name, PDF + b"%" * n)],
                               acting_user=sagamihara).added
    client = login(sagamihara)
    check("edit_files", client.get(edit_url(round_)))
    check("confirm_files", client.get(confirm_url(round_)))
    check("detail_files", client.get(detail_url(round_)))


def test_history_with_proxy_versions_on_the_response_and_an_old_version(round_, sagamihara, kanagawa):
    save(round_, "141500", sagamihara, {"3": "2"}, HOSTILE_RESPONDENT)
    target = target_of(round_, "141500")
    target.delegated = True
    target.save()
    save(round_, "141500", kanagawa, HOSTILE_ANSWERS, HOSTILE_RESPONDENT)
    save(round_, "141500", sagamihara, LONG_ANSWERS, HOSTILE_RESPONDENT, submit=True)
    save(round_, "141500", sagamihara, HOSTILE_ANSWERS, HOSTILE_RESPONDENT)
    client = login(sagamihara)
    check("detail_history", client.get(detail_url(round_)))
    old = client.get(detail_url(round_) + "versions/2/")
    check("detail_history_old_version", old)
    # the stored pages hide ids and version numbers in URLs: the links go to their own version
    links = re.findall(r'href="/rounds/\d+/orgs/141500/versions/(\d+)/">第(\d+)版</a>', old.content.decode())
    assert links == [("4", "4"), ("3", "3"), ("1", "1")]
