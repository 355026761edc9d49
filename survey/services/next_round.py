"""Next round: start a round from a previous one, and carry each organisation's answers over.

The ministry starts a round from an earlier one (`round_start_next`), on the same or a revised
survey version; the targets, with their 属性 and 代理回答, carry over. When an officer first
opens the new round's questionnaire, `response_carry_over` makes the first draft from the
organisation's approved, else last submitted, answers of the previous round (`carryover_base`),
matched by item id (survey.engine.carry_answers). The draft goes through the one submission
path (`response_save`, channel "carryover") and is made only while nothing has been saved in
the new round, so it never overwrites an officer's own work.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from survey import engine
from survey.audit import Action, audit
from survey.models import (
    Organization,
    Response,
    ResponseVersion,
    Round,
    RoundTarget,
    SurveyVersion,
    User,
    VersionSource,
)
from survey.services.locks import response_locked
from survey.services.responses import ResponseInvalid, response_save
from survey.services.rounds import round_create


class NotComparable(Exception):
    """The chosen survey version is another survey (another `code`), so items cannot be matched."""

    def __init__(self):
        super().__init__("前回と別の調査票は選べません。同じ調査票の版を選んでください。")


def revisions_of(survey: SurveyVersion):
    """The versions of the same survey (same code) a next round may use, newest first."""
    return SurveyVersion.objects.filter(code=survey.code).order_by("-loaded_at", "-pk")


def carryover_base(previous: Round, organization: Organization) -> ResponseVersion | None:
    """The version of `previous` an organisation starts from: approved, else last submitted.

    An approval concerns the submitted version and a new submission clears it
    (survey.services.review), so a 承認済 response's approved version is its submitted version;
    提出済 and 差し戻し中 responses give their last submitted version; drafts give nothing.
    """
    response = (Response.objects.select_related("submitted_version")
                .filter(round=previous, organization=organization).first())
    if response is None or response.submitted_version_id is None:
        return None
    return response.submitted_version


@transaction.atomic
def round_start_next(*, previous: Round, survey: SurveyVersion, title: str, deadline: datetime, scheme: str,
                     attribute: str = "", acting_user: User, request=None) -> Round:
    """A new round (準備中) started from `previous`, on `survey` (the same survey, any version).

    Its targets are the previous round's that are still active, with their 属性 and 代理回答.
    """
    if survey.code != previous.survey.code:
        raise NotComparable()
    targets = list(RoundTarget.objects.filter(round=previous, organization__is_active=True)
                   .select_related("organization"))
    rnd = round_create(survey=survey, title=title, deadline=deadline, scheme=scheme, attribute=attribute,
                       organizations=[t.organization for t in targets], open_now=False, acting_user=acting_user)
    rnd.previous_round = previous
    rnd.save(update_fields=["previous_round"])
    carried = {t.organization_id: t for t in targets}
    new_targets = list(rnd.targets.all())
    for target in new_targets:
        target.attribute = carried[target.organization_id].attribute
        target.delegated = carried[target.organization_id].delegated
    RoundTarget.objects.bulk_update(new_targets, ["attribute", "delegated"], batch_size=1000)
    audit(Action.ROUND_CHANGE, actor=acting_user, request=request, target=f"round:{rnd.pk}",
          started_from=previous.pk, survey=f"{survey.code} {survey.version}", targets=len(new_targets))
    return rnd


@dataclass
class CarryOutcome:
    """The carried draft and what the officer must be told about it."""

    version: ResponseVersion
    base: ResponseVersion
    notices: tuple[engine.CarryNotice, ...]


def carried_answers(target: RoundTarget, base: ResponseVersion) -> engine.Carried:
    """`base` (a version of the previous round) as answers of the target's round's version."""
    previous = target.round.previous_round
    return engine.carry_answers(previous.survey.engine, target.round.survey.engine,
                                target.organization.engine_kind, base.answers)


@transaction.atomic
def response_carry_over(*, target: RoundTarget, acting_user: User | None, request=None) -> CarryOutcome | None:
    """Make the first draft of `target` from the previous round's answers, through response_save.

    None when there is nothing to carry (no previous round, nothing counted there) or when the
    response already has a version: a carried draft never replaces anything saved.
    """
    previous = target.round.previous_round
    if previous is None or not target.accepts_answers:
        return None
    base = carryover_base(previous, target.organization)
    if base is None:
        return None
    response = response_locked(target)
    if response.current_version_id is not None:
        return None
    carried = carried_answers(target, base)
    fields = {f.label for f in target.round.survey.engine.respondent_fields if f.filled_by == "respondent"}
    respondent = {k: v for k, v in base.respondent.items() if k in fields}
    try:
        outcome = response_save(target=target, answers=carried.answers, respondent=respondent,
                                acting_user=acting_user, source=VersionSource.CARRYOVER, request=request)
    except ResponseInvalid:
        return None  # e.g. a respondent field the new version checks more strictly: start blank
    Response.objects.filter(pk=response.pk).update(carried_from=base)
    return CarryOutcome(version=outcome.version, base=base, notices=carried.notices)
