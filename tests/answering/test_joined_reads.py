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


def test_version_history_equals_the_orms(round_, sagamihara):
    for answers in ({"3": "2"}, LONG_ANSWERS, {"3": "1"}):
        save(round_, "141500", sagamihara, answers, RESPONDENT)
    response = access.response_of(target_of(round_, "141500"))
    history = selectors.version_history(response)
    orm = list(ResponseVersion.objects.filter(response=response).select_related("created_by", "acting_organization")
               .order_by("-number"))
    light = ["answers", "respondent", "risk_rules", "cleared_items"]
    assert [values(v, light) for v in history] == [values(v, light) for v in orm]
    assert [(v.created_by, v.acting_organization, v.is_proxy) for v in history] == \
        [(v.created_by, v.acting_organization, False) for v in orm]
    # who acted comes without the password hash (the page shows only the name)
    assert all("password" in v.created_by.get_deferred_fields() for v in history)
