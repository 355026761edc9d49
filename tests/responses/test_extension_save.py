"""The one submission path honours an organisation's extension: 相模原市 (extended) saves after
the round's deadline, 横浜市 (not extended) cannot, whether the round is still open or closed."""
import datetime as dt

import pytest
from django.utils import timezone

from survey.models import ResponseVersion, RoundStatus
from survey.selectors import accepts_answers_from, effective_deadline
from survey.services.responses import RoundClosed, response_save
from survey.services.rounds import target_extend


def _target(round_, code):
    return round_.targets.select_related("round__survey", "organization").get(organization__code=code)


@pytest.fixture
def past_deadline(round_, ministry):
    """The round's deadline passed an hour ago; 相模原市 was given two more days."""
    round_.deadline = timezone.now() - dt.timedelta(hours=1)
    round_.save()
    target_extend(target=_target(round_, "141500"), deadline=timezone.now() + dt.timedelta(days=2),
                  reason="災害対応のため", acting_user=ministry)
    return round_


@pytest.mark.parametrize("status", [RoundStatus.OPEN, RoundStatus.CLOSED])
def test_extended_organisation_saves_after_the_round_deadline_and_the_other_cannot(past_deadline, sagamihara,
                                                                                    yokohama, status):
    past_deadline.status = status
    past_deadline.save()
    outcome = response_save(target=_target(past_deadline, "141500"), answers={"1-1": "1"}, respondent={},
                            acting_user=sagamihara)
    assert outcome.version.number == 1
    with pytest.raises(RoundClosed):
        response_save(target=_target(past_deadline, "141003"), answers={"1-1": "1"}, respondent={},
                      acting_user=yokohama)
    assert ResponseVersion.objects.filter(response__organization__code="141003").count() == 0


def test_nobody_saves_once_the_round_is_finalised(past_deadline, sagamihara):
    past_deadline.status = RoundStatus.FINALISED
    past_deadline.save()
    with pytest.raises(RoundClosed):
        response_save(target=_target(past_deadline, "141500"), answers={"1-1": "1"}, respondent={},
                      acting_user=sagamihara)


def test_an_extension_passed_closes_the_organisation_too(round_, ministry, sagamihara):
    target = _target(round_, "141500")
    target_extend(target=target, deadline=round_.deadline + dt.timedelta(days=1), reason="延長",
                  acting_user=ministry)
    round_.deadline = timezone.now() - dt.timedelta(days=3)  # and the extension a day later: passed too
    round_.save()
    target = _target(round_, "141500")
    target.extended_deadline = timezone.now() - dt.timedelta(days=2)
    target.save()
    with pytest.raises(RoundClosed):
        response_save(target=_target(round_, "141500"), answers={"1-1": "1"}, respondent={}, acting_user=sagamihara)


def test_selectors_give_each_organisation_its_deadline(past_deadline, orgs):
    extended = _target(past_deadline, "141500").extended_deadline
    assert effective_deadline(round=past_deadline, organization=orgs["141500"]) == extended
    assert effective_deadline(round=past_deadline, organization=orgs["141003"]) == past_deadline.deadline
    assert accepts_answers_from(round=past_deadline, organization=orgs["141500"])
    assert not accepts_answers_from(round=past_deadline, organization=orgs["141003"])


def test_a_later_round_deadline_supersedes_an_earlier_extension(round_, ministry, orgs):
    target_extend(target=_target(round_, "141500"), deadline=round_.deadline + dt.timedelta(days=1),
                  reason="延長", acting_user=ministry)
    round_.deadline += dt.timedelta(days=5)
    round_.save()
    target = _target(round_, "141500")
    assert not target.is_extended and target.effective_deadline == round_.deadline
