"""The batch form of the submission path (versions_create_many) writes exactly the rows response_save would."""
import pytest

from survey.models import AnswerFact, AuditLog, Response, ResponseVersion, VersionSource
from survey.services.responses import response_save
from survey.services.versions import CREATED, DUPLICATE, REJECTED, NewVersion, versions_create_many

from .conftest import VALID_ANSWERS, respondent_for

pytestmark = pytest.mark.django_db
FIELDS = ["number", "status", "answers", "respondent", "risk_level", "risk_rules", "source", "created_by_id",
          "acting_organization_id", "cleared_items"]


def _pending(round_, org, answers, sha):
    target = round_.targets.select_related("organization", "round__survey").get(organization=org)
    return NewVersion(target=target, answers=answers, respondent=respondent_for(org), file_name=f"{org.code}.xlsx",
                      file_sha256=sha)


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
    versions_create_many([pending], acting_user=cast["admin"], channel=VersionSource.BULK_IMPORT)
    assert pending.outcome == CREATED and pending.version.number == 1
    ours, theirs = _state(yokohama), _state(kamakura)
    assert ours[0] == theirs[0] and ours[2] == theirs[2] and ours[3] == theirs[3]
    assert [f[:2] for f in ours[1]] == [f[:2] for f in theirs[1]]


def test_batch_numbers_resends_and_refuses_duplicates_and_invalid(round_, orgs, cast):
    org = orgs["141500"]
    first = _pending(round_, org, VALID_ANSWERS, "c" * 64)
    second = _pending(round_, org, {**VALID_ANSWERS, "9": "2"}, "d" * 64)
    again = _pending(round_, org, VALID_ANSWERS, "c" * 64)
    invalid = _pending(round_, orgs["142042"], {"1-1": "2"}, "e" * 64)
    versions_create_many([first, second, again, invalid], acting_user=None, channel=VersionSource.BULK_IMPORT)
    assert [(p.outcome, p.version and p.version.number, p.duplicate_of) for p in (first, second, again, invalid)] == [
        (CREATED, 1, None), (CREATED, 2, None), (DUPLICATE, None, 1), (REJECTED, None, None)]
    response = Response.objects.get(organization=org)
    assert response.current_version.number == 2 and response.current_version.answers["9"] == "2"
    assert set(AnswerFact.objects.filter(response=response).values_list("version__number", flat=True)) == {2}
    assert invalid.errors and not Response.objects.filter(organization=orgs["142042"]).exists()


def test_a_file_kept_only_as_a_draft_is_not_a_duplicate(round_, orgs, cast):
    org = orgs["141500"]
    response_save(target=round_.targets.get(organization=org), answers=VALID_ANSWERS, respondent=respondent_for(org),
                  acting_user=cast["sagamihara"], source=VersionSource.SHEET_UPLOAD, file_sha256="f" * 64)
    item = _pending(round_, org, VALID_ANSWERS, "f" * 64)
    versions_create_many([item], acting_user=cast["admin"], channel=VersionSource.BULK_IMPORT)
    assert (item.outcome, item.version.number, item.version.status) == (CREATED, 2, "submitted")
    again = _pending(round_, org, VALID_ANSWERS, "f" * 64)
    versions_create_many([again], acting_user=cast["admin"], channel=VersionSource.BULK_IMPORT)
    assert (again.outcome, again.duplicate_of) == (DUPLICATE, 2)


def test_an_attached_outline_counts_and_is_linked_as_response_save_does(round_, orgs, cast, settings, tmp_path):
    from survey.services.attachments import attachments_add

    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    answers = {**VALID_ANSWERS, "10": "2"}  # a case: its outline is a text or an attached file
    for code, user in (("141500", cast["sagamihara"]), ("141003", cast["yokohama"])):
        target = round_.targets.get(organization=orgs[code])
        attachments_add(target=target, purpose="followup", followup_key="10:概要", acting_user=user,
                        files=[("事例の概要.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n%" + code.encode())])
    response_save(target=round_.targets.get(organization=orgs["141500"]), answers=answers,
                  respondent=respondent_for(orgs["141500"]), acting_user=cast["admin"], submit=True,
                  source=VersionSource.BULK_IMPORT)
    item = _pending(round_, orgs["141003"], answers, "")
    versions_create_many([item], acting_user=cast["admin"], channel=VersionSource.BULK_IMPORT)
    assert item.outcome == CREATED, item.errors
    saved = Response.objects.get(organization=orgs["141500"]).submitted_version
    assert [a.original_name for a in item.version.attachments.all()] == ["事例の概要.pdf"]
    assert [a.original_name for a in saved.attachments.all()] == ["事例の概要.pdf"]
    assert item.version.risk_level == saved.risk_level and item.version.answers == saved.answers


def test_missing_responses_are_created_as_bulk_create_makes_them(round_, orgs):
    """responses_create_missing (one INSERT from arrays on PostgreSQL) gives the rows that
    bulk_create(ignore_conflicts=True) of new instances gives, and leaves existing ones alone."""
    from django.forms.models import model_to_dict

    from survey.services.versions import responses_create_missing

    mine, theirs, existing = (round_.targets.select_related("organization").get(organization=orgs[code])
                              for code in ("141500", "141003", "142042"))
    Response.objects.create(round=round_, organization=existing.organization, prefecture_code="14",
                            org_kind="municipality", revision=7, risk_level="high")
    responses_create_missing({(round_.pk, t.organization_id): t for t in (mine, existing)})
    Response.objects.bulk_create([Response(round_id=round_.pk, organization_id=theirs.organization_id,
                                           prefecture_code=theirs.organization.prefecture_code,
                                           org_kind=theirs.organization.kind)], ignore_conflicts=True)

    def row(target):
        found = model_to_dict(Response.objects.get(round=round_, organization=target.organization),
                              exclude=["id", "organization", "updated_at"])
        return found

    made, expected = row(mine), row(theirs)
    assert made == {**expected, "prefecture_code": mine.organization.prefecture_code, "org_kind": mine.organization.kind}
    assert row(existing)["revision"] == 7 and row(existing)["risk_level"] == "high"
    assert Response.objects.filter(round=round_).count() == 3
