"""The one-statement reads (survey/joined.py) give the instances the ORM gives: every column's
value (JSON decoded, dates aware), the related objects attached, None where nothing was found."""
import pytest

from survey import access, selectors
from survey.models import Response, ResponseVersion, RoundTarget

from .conftest import LONG_ANSWERS, RESPONDENT, save, target_of

pytestmark = pytest.mark.django_db


def values(obj, leave_out=()):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields if f.name not in leave_out}


def test_target_and_response_equal_the_orms(round_, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS, RESPONDENT, submit=True)
    save(round_, "141500", sagamihara, {"3": "2"}, RESPONDENT)
    target, response = access.target_and_response_for_user(sagamihara, round_.pk, "141500")
    orm = RoundTarget.objects.select_related("round__survey", "organization").get(pk=target.pk)
    assert values(target) == values(orm)
    assert values(target.round) == values(orm.round)
    assert values(target.round.survey, ["definition"]) == values(orm.round.survey, ["definition"])
    assert values(target.organization) == values(orm.organization)
    stored = Response.objects.select_related("current_version", "submitted_version").get(pk=response.pk)
    assert values(response) == values(stored)
    assert values(response.current_version) == values(stored.current_version)
    assert values(response.submitted_version) == values(stored.submitted_version)
    assert response.current_version.answers == {"3": "2"} and response.submitted_version.number == 1
    assert target.round.survey.engine is orm.round.survey.engine  # the definition, read once per process


def test_no_response_yet_and_unknown_target(round_, sagamihara):
    target, response = access.target_and_response_for_user(sagamihara, round_.pk, "141500")
    assert response is None and target == target_of(round_, "141500")
    with pytest.raises(access.Http404):
        access.target_and_response_for_user(sagamihara, round_.pk, "999999")


def test_version_history_equals_the_orms(round_, sagamihara, kanagawa, django_assert_num_queries):
    for answers in ({"3": "2"}, LONG_ANSWERS, {"3": "1"}):
        save(round_, "141500", sagamihara, answers, RESPONDENT)
    save(round_, "141500", kanagawa, {"3": "2"}, RESPONDENT)  # a proxy version: the prefecture acted
    response = access.response_of(target_of(round_, "141500"))
    with django_assert_num_queries(1):
        history = selectors.version_history(response)
    orm = list(ResponseVersion.objects.filter(response=response).select_related("created_by", "acting_organization")
               .order_by("-number"))

    def kept(v):
        return {f: getattr(v, ResponseVersion._meta.get_field(f).attname) for f in selectors.HISTORY_VERSION_FIELDS}

    with django_assert_num_queries(0):  # what the history reads is all the table and the shown version use
        seen = [(kept(v), v.is_proxy, v.actor_name, v.acting_name, v.acting_prefecture_name) for v in history]
        actors = [selectors.version_actors(v) for v in history]
        names = [(u.name, o and (o.name, o.prefecture_name)) for u, o in actors]
    assert seen == [(kept(v), v.is_proxy, v.created_by.name, v.acting_organization and v.acting_organization.name,
                     v.acting_organization and v.acting_organization.prefecture_name) for v in orm]
    assert [v.is_proxy for v in history] == [True, False, False, False]
    assert actors == [(v.created_by, v.acting_organization) for v in orm]  # the same rows (compared by pk)
    assert names == [(v.created_by.name, v.acting_organization and (v.acting_organization.name,
                                                                    v.acting_organization.prefecture_name))
                     for v in orm]
    # the rest is deferred (read only if asked for): the answers; who acted comes without the password hash
    assert all("answers" in v.get_deferred_fields() for v in history)
    assert all("password" in u.get_deferred_fields() for u, _ in actors)
    assert [v.answers for v in history] == [v.answers for v in orm]
