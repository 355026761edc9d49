"""An officer's upload of their organisation's returned sheet: a new draft version.

The sheet is read as a draft (`complete=False`): a partly filled sheet is taken, and what must
still be answered before submission is reported with it. Malformed values, answers to items the
branching skips and identity problems are errors: nothing is stored but the report.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from survey import engine, storage, workbook
from survey.audit import Action, audit
from survey.models import Response, ResponseVersion, RoundTarget, User, VersionSource
from survey.services.attachments import attached_keys
from survey.services.responses import (
    DuplicateFile,
    ResponseInvalid,
    RoundClosed,
    SaveOutcome,
    response_save,
)
from survey.services.versions import file_version

from .common import (
    SHEETS_FOLDER,
    SheetRejected,
    as_dicts,
    engine_issues,
    file_suffix,
    org_lookups,
    problem,
    read_one,
    too_large_problem,
)


@dataclass
class UploadOutcome:
    """The saved draft, the reader's warnings, and what is `missing` before it can be submitted."""

    saved: SaveOutcome
    warnings: list[dict]
    missing: list[dict] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


def _read_checked(data: bytes, filename: str, rnd) -> workbook.SheetResult:
    """The reader's result for one uploaded file, read as a draft; SheetRejected for a file with errors."""
    if len(data) > settings.UPLOAD_MAX_BYTES:
        raise SheetRejected([too_large_problem()])
    result = read_one(data, filename, rnd.survey.engine, org_lookups(rnd, fixed=True), complete=False)
    if not result.ok:
        raise SheetRejected(as_dicts(result.errors))
    return result


def _identity_problems(result: workbook.SheetResult, target: RoundTarget) -> list[dict]:
    org = target.organization
    problems = []
    if result.org_code != org.code:
        name = result.org_display_name or result.org_code or "不明な団体"
        problems.append(problem("other_organization", f"このシートは{name}の回答シートです。"
                                f"{org.display_name}の回答シートをアップロードしてください。", value=name))
    if result.round_id is not None and result.round_id != target.round_id:
        problems.append(problem("other_round", "このシートは別の調査回の回答シートです。"
                                "この調査回の回答シートをダウンロードし直してください。", value=str(result.round_id)))
    return problems


def still_missing(target: RoundTarget, version: ResponseVersion, result: workbook.SheetResult) -> list[dict]:
    """What must be answered before `version` can be submitted, by the sheet's cell where known.

    Checked on the saved draft, as the confirmation page checks it; the reader's `missing`
    gives the cells.
    """
    cells = {(m.code, m.item, m.field): m for m in result.missing}
    issues = engine.validate(target.round.survey.engine, target.organization.engine_kind, version.answers,
                             version.respondent, complete=True, attached=attached_keys(version.response))
    found = []
    for issue in issues:
        if issue.severity == engine.WARNING:
            continue
        located = cells.get((issue.code, issue.item, issue.field))
        found.append(located.as_dict() if located else problem(issue.code, issue.message, item=issue.item,
                                                               field=issue.field))
    return found


def _duplicate_check(target: RoundTarget, sha: str) -> None:
    """Refuse, before storing anything, a file that response_save would refuse (a draft's rule)."""
    response = Response.objects.filter(round_id=target.round_id, organization_id=target.organization_id).first()
    existing = file_version(response, sha, submit=False)
    if existing is not None:
        raise DuplicateFile(existing)


def sheet_upload(*, target: RoundTarget, data: bytes, filename: str, acting_user: User, request=None) -> UploadOutcome:
    """Read an officer's returned sheet and save it as a new draft version of their response.

    Raises RoundClosed (after the deadline; nothing is read), SheetRejected (nothing stored) or
    DuplicateFile (this file is already a version).
    """
    if not target.accepts_answers:
        raise RoundClosed()
    result = _read_checked(data, filename, target.round)
    problems = _identity_problems(result, target)
    if problems:
        raise SheetRejected(problems)
    sha = hashlib.sha256(data).hexdigest()
    _duplicate_check(target, sha)
    path = storage.private_save(data, folder=SHEETS_FOLDER, suffix=file_suffix(filename))
    try:
        saved = _save_draft(target, result, acting_user=acting_user, filename=filename[:255], sha=sha, path=path,
                            request=request)
    except ResponseInvalid as exc:
        storage.private_delete(path)
        raise SheetRejected(engine_issues(exc.issues)) from exc
    except BaseException:
        storage.private_delete(path)
        raise
    return UploadOutcome(saved=saved, warnings=as_dicts(result.warnings) + engine_issues(saved.warnings),
                         missing=still_missing(target, saved.version, result))


@transaction.atomic
def _save_draft(target: RoundTarget, result, *, acting_user: User, filename: str, sha: str, path: str,
                request) -> SaveOutcome:
    saved = response_save(target=target, answers=result.answers, respondent=result.respondent,
                          acting_user=acting_user, submit=False, source=VersionSource.SHEET_UPLOAD,
                          file_name=filename, file_sha256=sha, file_path=path, request=request)
    audit(Action.UPLOAD, actor=acting_user, request=request, organization=target.organization,
          target=f"round:{target.round_id}/org:{target.organization.code}/v{saved.version.number}",
          file_name=filename, sha256=sha)
    return saved
