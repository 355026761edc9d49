"""Answer sheets on the web: download, officer upload, bulk import and export jobs.

Organisation-scoped fetches go through survey.access, jobs through survey.jobs.job_get_for_user;
the work is in survey.services.sheets.
"""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from survey import access, selectors, storage
from survey.audit import Action, audit
from survey.jobs import job_get_for_user, recorded_entries
from survey.models import Job, ResponseState
from survey.services import sheets
from survey.services.locks import ResponseApproved
from survey.services.next_round import response_carry_over
from survey.services.responses import DuplicateFile, RoundClosed
from survey.views import uploads
from survey.views.decorators import role_required, target_for_user
from survey.views.jobs import job_status_data

ACCEPT = ".xlsx,.xlsm,.xls,.ods"
MAX_FILES = 500


_bounded = uploads.bounded
_too_large = uploads.too_large


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


# --- officer: download and upload ---------------------------------------------------------------


@login_required
@require_GET
@target_for_user()
def sheet_download(request, target):
    """The organisation's answer sheet, blank or (?with=answers) with its current answers."""
    with_answers = request.GET.get("with") == "answers"
    if with_answers and access.can_answer_for(request.user, target):
        # Next round: a first download starts from last round's answers, as the web form does.
        response_carry_over(target=target, acting_user=request.user, request=request)
    data = sheets.answer_sheet_download(target=target, with_answers=with_answers, acting_user=request.user,
                                        request=request)
    response = HttpResponse(data, content_type=storage.XLSX_TYPE)
    response["Content-Disposition"] = _attachment(sheets.sheet_filename(target))
    return response


def _attachment(filename: str) -> str:
    from django.utils.http import content_disposition_header

    return content_disposition_header(True, filename)


@csrf_exempt
def sheet_upload(request, round_id: int, org_code: str):
    """Upload the organisation's filled sheet; it becomes a new draft to review and submit."""
    handler = _bounded(request, settings.UPLOAD_MAX_BYTES)
    return _sheet_upload(request, handler, round_id, org_code)


ROUND_CLOSED = "回答期限（{deadline}）を過ぎたため、回答シートのアップロードはできません。回答の閲覧と回答シートのダウンロードはできます。"
MISSING_SHOWN = 20  # items named in one message; more would not be read


@login_required
@csrf_protect
@require_http_methods(["GET", "POST"])
def _sheet_upload(request, handler, round_id: int, org_code: str):
    target = access.target_get_for_user(request.user, round_id, org_code, for_write=True)
    context = {"round": target.round, "target": target, "org": target.organization, "accept": ACCEPT,
               "max_size": _megabytes(settings.UPLOAD_MAX_BYTES), "errors": [], "closed": _closed_message(target)}
    if request.method == "GET":
        return render(request, "sheets/upload.html", context)
    if context["closed"]:
        return _closed(request, context)
    upload = request.FILES.get("file")  # parses the body through the bounded handler
    if _too_large(request, handler, settings.UPLOAD_MAX_BYTES):
        context["errors"] = [sheets.problem("too_large", f"ファイルが大きすぎます（上限 {context['max_size']}）。")]
        return render(request, "sheets/upload.html", context, status=413)
    if upload is None:
        context["errors"] = [sheets.problem("no_file", "アップロードするファイルを選んでください。")]
        return render(request, "sheets/upload.html", context, status=400)
    try:
        outcome = sheets.sheet_upload(target=target, data=upload.read(), filename=upload.name,
                                      acting_user=request.user, request=request)
    except RoundClosed:  # the deadline passed while the file was on its way
        context["closed"] = _closed_message(target)
        return _closed(request, context)
    except sheets.SheetRejected as exc:
        context["errors"], context["file_name"] = exc.errors, upload.name
        return render(request, "sheets/upload.html", context, status=400)
    except DuplicateFile as exc:
        messages.info(request, f"このファイルは既に版{exc.version.number}として取り込まれています。新しい版は作成していません。")
        return redirect("sheet_upload", round_id=round_id, org_code=org_code)
    return _uploaded(request, target, outcome)


def _closed_message(target) -> str:
    """After the (effective) deadline or once approved (locked), why the page offers no upload
    ("" while it takes answers)."""
    if target.accepts_answers:
        approved = selectors.response_state(access.response_of(target)) == ResponseState.APPROVED
        return str(ResponseApproved()) if approved else ""
    return ROUND_CLOSED.format(deadline=f"{timezone.localtime(target.effective_deadline):%Y年%m月%d日 %H:%M}")


def _closed(request, context):
    """A POST after the deadline: nothing is read; the page keeps the downloads and offers no upload."""
    context["closed"] = context["closed"] or str(RoundClosed())
    return render(request, "sheets/upload.html", context, status=403)


def _uploaded(request, target, outcome: sheets.UploadOutcome):
    """Say what was saved and what is still missing; on to the edit page, or to the confirm page."""
    saved = f"回答シートを読み込み、下書き（版{outcome.saved.version.number}）として保存しました。"
    if outcome.missing:
        messages.success(request, saved + "入力されていない項目があるため、まだ提出できません。")
        messages.warning(request, _missing_message(outcome.missing))
    else:
        messages.success(request, saved + "すべての項目が入力されています。内容を確認して提出してください。")
    for warning in outcome.warnings:
        messages.warning(request, f"{_where(warning)}{warning['message']}")
    kwargs = {"round_id": target.round_id, "org_code": target.organization.code}
    return redirect("response_edit" if outcome.missing else "response_confirm", **kwargs)


def _where(issue: dict) -> str:
    return f"{issue['cell']}: " if issue.get("cell") else ""


def _missing_message(missing: list[dict]) -> str:
    """「提出前に入力が必要な項目」: each item or field, with its cell in the sheet."""
    names = [_missing_name(m) for m in missing[:MISSING_SHOWN]]
    more = f" ほか{len(missing) - MISSING_SHOWN}件" if len(missing) > MISSING_SHOWN else ""
    return (f"提出前に入力が必要な項目（{len(missing)}件）：{'、'.join(names)}{more}。"
            "入力画面で続きを入力するか、回答シートに記入してもう一度アップロードしてください。")


def _missing_name(issue: dict) -> str:
    if issue.get("field"):
        name = issue["field"]
    else:
        item, _, followup = (issue.get("item") or "").partition(":")
        name = f"Q{item}" + (f" {followup}" if followup else "")
    return f"{name}（セル{issue['cell']}）" if issue.get("cell") else name


# --- ministry / administrators: the zip of every sheet -------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@role_required(access.can_export_all_sheets)
def sheets_export(request, round_id: int):
    """Start building the zip of every target's sheet (ministry staff and administrators)."""
    rnd = access.round_get_for_user(request.user, round_id)
    if request.method == "POST":
        job = sheets.sheets_export_job_create(round=rnd, acting_user=request.user, request=request,
                                              with_answers=request.POST.get("with_answers") == "1")
        return redirect("job_detail", job_id=job.pk)
    return render(request, "sheets/export.html", {"round": rnd, "target_count": rnd.targets.count()})


# --- administrators: bulk import ------------------------------------------------------------------


@csrf_exempt
def imports(request):
    """Bulk upload of returned sheets (files or zips), imported as a background job."""
    handler = _bounded(request, settings.BULK_UPLOAD_MAX_BYTES)
    return _imports(request, handler)


@login_required
@csrf_protect
@require_http_methods(["GET", "POST"])
@role_required(access.can_import_sheets)
def _imports(request, handler):
    jobs = Job.objects.filter(kind=sheets.IMPORT_KIND).select_related("created_by")[:20]
    context = {"jobs": jobs, "accept": ACCEPT + ",.zip", "max_size": _megabytes(settings.BULK_UPLOAD_MAX_BYTES),
               "errors": []}
    if request.method == "GET":
        return render(request, "sheets/imports.html", context)
    files = request.FILES.getlist("files")
    if _too_large(request, handler, settings.BULK_UPLOAD_MAX_BYTES):
        context["errors"] = [f"アップロードが大きすぎます（合計の上限 {context['max_size']}）。zip を分けてください。"]
    elif not files:
        context["errors"] = ["取り込むファイル（回答シートまたは zip）を選んでください。"]
    elif len(files) > MAX_FILES:
        context["errors"] = [f"一度に選べるファイルは {MAX_FILES} 件までです。zip にまとめてください。"]
    if context["errors"]:
        return render(request, "sheets/imports.html", context, status=400)
    job = sheets.sheets_import_job_create(uploads=[(f.name, f) for f in files], acting_user=request.user,
                                          request=request)  # stored a chunk at a time, never read whole
    return redirect("job_detail", job_id=job.pk)


# --- jobs -----------------------------------------------------------------------------------------


@login_required
@require_GET
def job_detail(request, job_id: int):
    """A job's progress (polled by a small script) and, when done, its result or report."""
    job = job_get_for_user(request.user, job_id)
    entries = recorded_entries(job.result) if job.kind == sheets.IMPORT_KIND else []
    return render(request, "sheets/job.html", {
        "job": job, "status": job_status_data(job), "entries": entries, "summary": job.result.get("summary"),
        "is_import": job.kind == sheets.IMPORT_KIND, "status_labels": sheets.STATUS_LABELS,
        "skipped_message": sheets.SKIPPED_MESSAGE,
    })


@login_required
@require_GET
def job_download(request, job_id: int):
    """The job's result file (zip of sheets, or the import report), for its creator or an administrator."""
    job = job_get_for_user(request.user, job_id)
    if job.status != Job.Status.DONE or not job.result_path:
        return redirect("job_detail", job_id=job.pk)
    audit(Action.DOWNLOAD, actor=request.user, request=request, target=f"job:{job.pk}", file_name=job.result_name)
    content_type = storage.ZIP_TYPE if job.result_name.endswith(".zip") else storage.XLSX_TYPE
    return storage.private_download(job.result_path, filename=job.result_name, content_type=content_type)
