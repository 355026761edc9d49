"""Attached files of a response: upload, download, remove (with confirmation), and the page panels.

Organisation-scoped fetches go through survey.access; the work is in survey.services.attachments.
"""
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from survey import access, storage
from survey.forms.questionnaire_html import attached_files_html, attachment_slot_html
from survey.models import Attachment, AttachmentPurpose
from survey.services import attachments as service

DEADLINE_PASSED = "回答期限を過ぎているため、添付ファイルの追加・削除はできません。"

# --- upload bound --------------------------------------------------------------------------------


class PerFileLimitHandler(FileUploadHandler):
    """Bounds an upload as it arrives: drops each file past `limit` bytes (its name kept, to say
    so) and files past the request's count, and notes when the request's total passes its bound
    (the view then refuses the whole request)."""

    def __init__(self, limit: int, request=None):
        super().__init__(request)
        self.limit, self.size, self.count, self.total = limit, 0, 0, 0
        self.too_large: list[str] = []
        self.too_many = self.over_total = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.size, self.count = 0, self.count + 1
        if self.count > settings.ATTACHMENT_REQUEST_MAX_FILES:
            self.too_many = True
            raise SkipFile

    def receive_data_chunk(self, raw_data, start):
        self.size += len(raw_data)
        self.total += len(raw_data)
        if self.total > settings.ATTACHMENT_REQUEST_MAX_BYTES:
            self.over_total = True
            raise SkipFile
        if self.size > self.limit:
            self.too_large.append(self.file_name)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def _request_too_large(request) -> bool:
    """A body larger than the request's bound is refused before it is read."""
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    return length > settings.ATTACHMENT_REQUEST_MAX_BYTES + 64 * 1024


def _request_limit_message() -> str:
    return (f"一度に送信できるのは{settings.ATTACHMENT_REQUEST_MAX_FILES}ファイル・合計 "
            f"{service.decimal_megabytes(settings.ATTACHMENT_REQUEST_MAX_BYTES)}まで"
            f"（1ファイル {service.megabytes(settings.UPLOAD_MAX_BYTES)} まで）です。何回かに分けて添付してください。")


# --- panels for the answering pages ------------------------------------------------------------------


@dataclass
class UploadSlot:
    """One place files are attached: a follow-up that takes them, or the procedure documents."""

    form_id: str
    purpose: str
    key: str
    label: str
    files: list = field(default_factory=list)
    files_html: str = ""  # the procedure documents' file list (attachment_slots)


def edit_panel(target, files: service.StoredFiles) -> dict:
    """What the edit page shows: the files attached now, per slot, and the upload forms."""
    live = files.live
    slots = [UploadSlot(f"attach-{n}", AttachmentPurpose.FOLLOWUP, f.key, service.followup_prompt(target, f.key))
             for n, f in enumerate(target.round.survey.engine.followups.values()) if f.attachments]
    slots.append(UploadSlot("attach-procedure", AttachmentPurpose.PROCEDURE_DOCUMENT, "", "事務取扱要領等"))
    for slot in slots:
        slot.files = [a for a in live if a.purpose == slot.purpose and a.followup_key == slot.key]
    guidance = [g.text for g in target.round.survey.engine.guidance if g.place == "submission"]
    return {"slots": slots, "guidance": guidance, "accept": service.ACCEPT, "accepted_label": service.ACCEPTED_LABEL,
            "upload_url": reverse("attachment_upload", args=[target.round_id, target.organization.code]),
            "max_size": service.megabytes(settings.UPLOAD_MAX_BYTES), "max_files": settings.ATTACHMENT_REQUEST_MAX_FILES,
            "usage_text": _usage_text(files.usage)}


def attachment_slots(panel: dict, target) -> dict:
    """The HTML of each follow-up's upload slot, by follow-up key (for decorate_items); the
    procedure documents' slot gets its file list as `files_html`."""
    found = {}
    for slot in panel["slots"]:
        if slot.purpose == AttachmentPurpose.FOLLOWUP:
            found[slot.key] = attachment_slot_html(slot, panel, target.round_id, target.organization.code)
        else:
            slot.files_html = attached_files_html(slot.files, target.round_id, target.organization.code)
    return found


def _usage_text(usage: service.Usage) -> str:
    return (f"この調査回の添付ファイル：現在 {usage.files} 件・{service.decimal_megabytes(usage.bytes)}"
            f"（上限 {settings.ATTACHMENT_QUOTA_FILES} 件・{service.decimal_megabytes(settings.ATTACHMENT_QUOTA_BYTES)}）。")


def live_panel(target, files: service.StoredFiles) -> list[dict]:
    """Rows of the read-only list of the files attached now (what a submission would count), as
    on the confirmation page."""
    return _with_purpose(target, [{"file": a, "counted": True} for a in files.live])


def read_panel(target, response, version, *, history: bool = False) -> list[dict]:
    """Rows of the read-only list: the files `version` counted, then (not on history pages) files
    attached since, each marked `counted` or not."""
    if response is None:
        return []
    rows = [{"file": a, "counted": counted}
            for a, counted in service.shown_files(response, version, only_counted=history)]
    return _with_purpose(target, rows)


def _with_purpose(target, rows: list[dict]) -> list[dict]:
    for row in rows:
        a = row["file"]
        row["purpose"] = service.followup_prompt(target, a.followup_key) if a.followup_key else a.get_purpose_display()
    return rows


# --- views ---------------------------------------------------------------------------------------


def _back(round_id, org_code):
    return redirect("response_edit", round_id=round_id, org_code=org_code)


@csrf_exempt
def attachment_upload(request, round_id: int, org_code: str):
    """POST one or more files for a slot; back to the edit page with what happened."""
    handler = PerFileLimitHandler(settings.UPLOAD_MAX_BYTES, request)
    request.upload_handlers.insert(0, handler)  # before the body is read
    return _attachment_upload(request, handler, round_id, org_code)


@login_required
@csrf_protect
@require_POST
def _attachment_upload(request, handler, round_id: int, org_code: str):
    target = access.target_get_for_user(request.user, round_id, org_code, for_write=True)
    if not target.accepts_answers:
        messages.warning(request, DEADLINE_PASSED)
        return redirect("response_detail", round_id=round_id, org_code=org_code)
    if _request_too_large(request):
        messages.error(request, _request_limit_message())
        return _back(round_id, org_code)
    uploads = request.FILES.getlist("files")  # parses the body through the handler
    if handler.over_total:
        messages.error(request, _request_limit_message())
        return _back(round_id, org_code)
    files = [(u.name, u.read()) for u in uploads]
    if not files and not handler.too_large:
        messages.error(request, "添付するファイルを選んでください。")
        return _back(round_id, org_code)
    try:
        outcome = service.attachments_add(
            target=target, purpose=request.POST.get("purpose", ""), followup_key=request.POST.get("followup_key", ""),
            files=files, acting_user=request.user, request=request, too_large=tuple(handler.too_large))
    except ValueError:
        raise Http404 from None
    except service.UploadClosed:
        messages.warning(request, DEADLINE_PASSED)
        return redirect("response_detail", round_id=round_id, org_code=org_code)
    _report(request, outcome, handler.too_many)
    return _back(round_id, org_code)


def _report(request, outcome: service.AddOutcome, too_many: bool) -> None:
    if outcome.added:
        names = "、".join(f"「{a.original_name}」" for a in outcome.added)
        messages.success(request, f"{names}を添付しました。")
    for name, kept in outcome.duplicates:
        messages.info(request, f"「{name}」は同じ内容のファイル（「{kept.original_name}」）が既に添付されているため、"
                               "添付しませんでした。")
    if outcome.rejected:
        messages.error(request, "添付できなかったファイルがあります：" + " ".join(p.message for p in outcome.rejected))
    if too_many:
        messages.error(request, f"一度に添付できるのは{settings.ATTACHMENT_REQUEST_MAX_FILES}ファイルまでです。"
                                "それを超えたファイルは添付していません。")


def _attachment_for(request, round_id: int, org_code: str, attachment_id: int, *, for_write: bool = False):
    """(target, attachment) when the user may read (or write) the organisation's response."""
    target = access.target_get_for_user(request.user, round_id, org_code, for_write=for_write)
    response = access.response_of(target)
    if response is None:
        raise Http404
    try:
        return target, Attachment.objects.select_related("uploaded_by").get(pk=attachment_id, response=response)
    except Attachment.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def attachment_download(request, round_id: int, org_code: str, attachment_id: int):
    """The file, to anyone who may read the response (removed files kept for a submitted version
    too); 404 once the file is deleted from storage."""
    target, attachment = _attachment_for(request, round_id, org_code, attachment_id)
    download = storage.private_download(service.attachment_stored_path(attachment),
                                        filename=attachment.original_name, content_type=attachment.content_type)
    service.attachment_download_audit(target=target, attachment=attachment, acting_user=request.user,
                                      request=request)
    return download


@login_required
@require_http_methods(["GET", "POST"])
def attachment_remove(request, round_id: int, org_code: str, attachment_id: int):
    """Confirm, then mark the file removed."""
    target, attachment = _attachment_for(request, round_id, org_code, attachment_id, for_write=True)
    if not target.accepts_answers:
        messages.warning(request, DEADLINE_PASSED)
        return redirect("response_detail", round_id=round_id, org_code=org_code)
    if attachment.is_removed:
        raise Http404
    if request.method == "POST":
        try:
            service.attachment_remove(target=target, attachment=attachment, acting_user=request.user,
                                      request=request)
        except service.UploadClosed:
            raise PermissionDenied(DEADLINE_PASSED) from None
        messages.success(request, f"「{attachment.original_name}」の添付を取り消しました。")
        return _back(round_id, org_code)
    purpose = (service.followup_prompt(target, attachment.followup_key) if attachment.followup_key
               else attachment.get_purpose_display())
    return render(request, "survey/includes/attachments_remove_confirm.html", {
        "round": target.round, "org": target.organization, "target": target, "file": attachment,
        "purpose": purpose})
