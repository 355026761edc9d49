"""Queries per request of the officer's round, pinned so that they cannot creep back.

The request kinds of the load bench's round (bench/load/profile_requests.py), for a municipal
officer and a prefecture officer (whose menu also shows the nearest round). Each request is made
once to warm up (the survey version's parsed definition, the session's first refresh), then
counted. The budgets are the counts measured when they were set: lower them when a change saves
a query, never raise them without saying why in the commit.
"""
import random

import pytest

from survey.synthetic import random_answers

from .conftest import RESPONDENT, confirm_url, detail_url, edit_url, login, questionnaire_post, save

pytestmark = pytest.mark.django_db

WHO = {"sagamihara": "141500", "kanagawa": "140007"}
BUDGET = {  # (municipal officer, prefecture officer)
    "home": (4, 8),
    "edit page": (4, 5),
    "save draft": (8, 8),
    "save to confirm": (8, 8),
    "confirm page": (4, 5),
    "submit": (8, 8),
    "response page": (7, 8),
    "profile": (4, 5),
}


def respondent_of(code):
    if code == "140007":
        return {**RESPONDENT, "組織区分": "都道府県", "組織名": "14神奈川県"}
    return RESPONDENT


class Round:
    """One officer's client and the round's pages, with the revision the next post starts from."""

    def __init__(self, round_, user, code):
        self.round, self.code, self.client = round_, code, login(user)
        save(round_, code, user, {"3": "2"}, respondent_of(code))
        self.revision = 1
        target = round_.targets.select_related("organization").get(organization__code=code)
        self.complete = random_answers(round_.survey.engine, target.organization.engine_kind, random.Random(10))

    def post(self, answers, **extra):
        body = questionnaire_post(self.round, self.code, answers, respondent_of(self.code), self.revision)
        return lambda: self._posted(self.client.post(edit_url(self.round, self.code), {**body, **extra}))

    def submit(self):
        return lambda: self._posted(self.client.post(confirm_url(self.round, self.code),
                                                     {"base_revision": self.revision}))

    def _posted(self, response):
        assert response.status_code == 302, response.status_code
        self.revision += 1
        return response

    def prepare(self, kind):
        """The request of `kind`, ready to be made (a post's body is built here, not counted)."""
        get = self.client.get
        made = {
            "home": lambda: get("/"),
            "edit page": lambda: get(edit_url(self.round, self.code)),
            "save draft": self.post({"3": "1"}),
            "save to confirm": self.post(self.complete, to_confirm="1"),
            "confirm page": lambda: get(confirm_url(self.round, self.code)),
            "submit": self.submit(),
            "response page": lambda: get(detail_url(self.round, self.code)),
            "profile": lambda: get("/accounts/profile/"),
        }
        return made[kind]


@pytest.mark.parametrize("kind", list(BUDGET))
@pytest.mark.parametrize("who", list(WHO))
def test_queries_per_request_stay_within_budget(request, round_, who, kind, django_assert_max_num_queries):
    me = Round(round_, request.getfixturevalue(who), WHO[who])
    for counted in (False, True):  # a warm-up request, then the counted one
        if kind == "submit":  # each submission needs a newer draft
            me.post(me.complete, to_confirm="1")()
        call = me.prepare(kind)
        if not counted:
            call()
            continue
        with django_assert_max_num_queries(BUDGET[kind][who == "kanagawa"]):
            response = call()
        assert response.status_code in (200, 302)


def test_a_first_save_creates_the_response_without_a_savepoint(round_, sagamihara, django_assert_max_num_queries):
    """The response row is made by the first save with INSERT ... ON CONFLICT DO NOTHING and then
    locked: 10 queries (an existing response's save: 8), where get_or_create in a savepoint took 17."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(sagamihara)
    client.get("/")  # the session's first refresh, not counted
    body = questionnaire_post(round_, WHO["sagamihara"], {"3": "1"}, respondent_of(WHO["sagamihara"]), 0)
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as captured:
        response = client.post(edit_url(round_, WHO["sagamihara"]), body)
    assert response.status_code == 302
    # one savepoint: the service's own transaction, inside the test's (get_or_create added two)
    assert len([q for q in captured.captured_queries if q["sql"].startswith("SAVEPOINT")]) == 1
