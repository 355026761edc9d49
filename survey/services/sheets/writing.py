"""Writing answer sheets: one organisation's download, and the zip of every target (a job)."""
from __future__ import annotations

import zipfile

from django.db import transaction
from django.utils import timezone

from survey import storage, workbook
from survey.audit import Action, audit
from survey.jobs import JobContext, job_create, job_runner
from survey.models import Job, ResponseVersion, Round, RoundTarget, User

from .common import RESULTS_FOLDER, TEMPLATE_VERSION

EXPORT_KIND = "sheet_export"


def sheet_context(target: RoundTarget) -> workbook.SheetContext:
    """What the writer needs to know about the round and the organisation."""
    rnd, org = target.round, target.organization
    return workbook.SheetContext(
        round_id=rnd.pk, round_title=rnd.title, org_code=org.code, org_display_name=org.display_name,
        org_section=org.section_label, org_kind=org.engine_kind, scheme=rnd.scheme,
        attribute=target.effective_attribute, deadline=f"{timezone.localtime(target.effective_deadline):%Y-%m-%d}",
        template_version=TEMPLATE_VERSION,
    )


def sheet_filename(target: RoundTarget) -> str:
    """The download name: code and name, so that a folder of them sorts by code."""
    return f"回答シート_{target.organization.code}_{target.organization.display_name}.xlsx"


def _current_values(target: RoundTarget) -> tuple[dict | None, dict | None]:
    version = (ResponseVersion.objects.filter(response__round_id=target.round_id,
                                              response__organization_id=target.organization_id)
               .order_by("-number").first())
    return (version.answers, version.respondent) if version else (None, None)


def answer_sheet_bytes(target: RoundTarget, *, with_answers: bool = False) -> bytes:
    """The answer sheet of `target`, blank or filled with its current answers."""
    answers, respondent = _current_values(target) if with_answers else (None, None)
    return workbook.write_answer_sheet(target.round.survey.engine, context=sheet_context(target),
                                       answers=answers, respondent=respondent)


def answer_sheet_download(*, target: RoundTarget, with_answers: bool, acting_user: User, request=None) -> bytes:
    """The sheet for a download by `acting_user` (who may see the target), audited."""
    data = answer_sheet_bytes(target, with_answers=with_answers)
    audit(Action.DOWNLOAD, actor=acting_user, request=request, organization=target.organization,
          target=f"round:{target.round_id}/org:{target.organization.code}/sheet",
          with_answers=with_answers, bytes=len(data))
    return data


# --- the zip of every target's sheet ---------------------------------------------------------------


def sheets_export_job_create(*, round: Round, acting_user: User, with_answers: bool = False, request=None) -> Job:
    """Queue building the zip of every target's answer sheet for `round`."""
    with transaction.atomic():
        job = job_create(kind=EXPORT_KIND, created_by=acting_user, round=round,
                         params={"with_answers": with_answers}, total=round.targets.count())
        audit(Action.EXPORT, actor=acting_user, request=request, target=f"round:{round.pk}/sheets.zip",
              job=job.pk, with_answers=with_answers)
    return job


@job_runner(EXPORT_KIND)
def run_sheet_export(ctx: JobContext) -> None:
    """Write every target's sheet into one zip in private storage (rebuilt whole on a rerun)."""
    job = ctx.job
    targets = list(RoundTarget.objects.filter(round=job.round).select_related("organization").order_by("organization__code"))
    for t in targets:
        t.round = job.round
    ctx.set_total(len(targets))
    job.progress = 0
    with storage.private_output(folder=RESULTS_FOLDER, suffix=".zip") as out, \
            zipfile.ZipFile(out.path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i, target in enumerate(targets, start=1):
            zf.writestr(sheet_filename(target), answer_sheet_bytes(target, with_answers=job.params.get("with_answers", False)))
            ctx.advance()
            if i % 50 == 0:
                ctx.checkpoint()
    job.result_path, job.result_name = out.name, f"回答シート_{job.round_id}_{timezone.localdate():%Y%m%d}.zip"
    job.result["count"] = len(targets)
    ctx.message(f"{len(targets)} 団体の回答シートを作成しました。")
