"""The batch writer of bulk imports writes exactly the rows response_save would."""
import pytest

from survey.models import AnswerFact, AuditLog, Response, ResponseVersion, VersionSource
from survey.services.responses import response_save
from survey.services.sheets import FileOutcome
from survey.services.sheets.batch import DUPLICATE, IMPORTED, REJECTED, Pending, submit_many

from .conftest import VALID_ANSWERS, respondent_for

pytestmark = pytest.mark.django_db
FIELDS = ["number", "status", "answers", "respondent", "risk_level", "risk_rules", "source", "created_by_id",
          "acting_organization_id", "cleared_items"]


def _pending(round_, org, answers, sha):
    target = round_.targets.select_related("organization", "round__survey").get(organization=org)
    out = FileOutcome(file=f"{org.code}.xlsx", status=REJECTED, organization=org.code, answers=answers,
                      respondent=respondent_for(org))
    return Pending(out=out, target=target, name=f"{org.code}.xlsx", data=b"", sha=sha)


def _state(org):
    version = ResponseVersion.objects.get(response__organization=org)
    response = Response.objects.get(organization=org)
    facts = sorted(AnswerFact.objects.filter(response=response).values_list("item", "option", "org_kind", "prefecture_code"))
    audit = AuditLog.objects.get(organization=org)
    values = {f: getattr(version, f) for f in FIELDS}
    values["respondent"] = {k: v for k, v in values["respondent"].items() if k != "組織名"}
    return (values, facts,
            (response.status, response.revision, response.risk_level, response.current_version_id == version.pk,
             response.submitted_version_id == version.pk),
            (audit.action, audit.actor_id, audit.details, audit.target.rsplit("/", 1)[-1]))


def test_batch_rows_equal_response_saves(round_, orgs, cast):
    answers = {**VALID_ANSWERS, "1-2": "1"}  # 1-2 is not asked of a municipality: cleared by both
    kamakura, yokohama = orgs["142042"], orgs["141003"]
    response_save(target=round_.targets.get(organization=kamakura), answers=answers,
                  respondent=respondent_for(kamakura), acting_user=cast["admin"], submit=True,
                  source=VersionSource.BULK_IMPORT, file_sha256="a" * 64)
    pending = _pending(round_, yokohama, answers, "b" * 64)
    submit_many([pending], acting_user=cast["admin"])
    assert pending.out.status == IMPORTED and pending.out.version == 1
    ours, theirs = _state(yokohama), _state(kamakura)
    assert ours[0] == theirs[0] and ours[2] == theirs[2] and ours[3] == theirs[3]
    assert [f[:2] for f in ours[1]] == [f[:2] for f in theirs[1]]


def test_batch_numbers_resends_and_refuses_duplicates_and_invalid(round_, orgs, cast):
    org = orgs["141500"]
    first = _pending(round_, org, VALID_ANSWERS, "c" * 64)
    second = _pending(round_, org, {**VALID_ANSWERS, "9": "2"}, "d" * 64)
    again = _pending(round_, org, VALID_ANSWERS, "c" * 64)
    invalid = _pending(round_, orgs["142042"], {"1-1": "2"}, "e" * 64)
    submit_many([first, second, again, invalid], acting_user=None)
    assert [(p.out.status, p.out.version) for p in (first, second, again, invalid)] == [
        (IMPORTED, 1), (IMPORTED, 2), (DUPLICATE, None), (REJECTED, None)]
    response = Response.objects.get(organization=org)
    assert response.current_version.number == 2 and response.current_version.answers["9"] == "2"
    assert set(AnswerFact.objects.filter(response=response).values_list("version__number", flat=True)) == {2}
    assert invalid.out.errors and not Response.objects.filter(organization=orgs["142042"]).exists()
