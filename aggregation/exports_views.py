"""The aggregate workbook (集計表) as a job, its download, and snapshots (集計の確定).

Who may do what:
- ministry staff and administrators: export the whole country (live or from a snapshot),
  create and list snapshots;
- a prefecture officer: export their own prefecture only (never another prefecture's rows);
- a municipal officer: nothing here (403).
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from aggregation import services
from aggregation.compare import comparable_rounds, round_chosen
from aggregation.models import Snapshot
from aggregation.source import STATE_CHOICES, snapshot_chosen
from survey import access
from survey.access import dashboard_scope, round_get_for_user
from survey.models import Job, Response, ResponseStatus, RoundStatus, RoundTarget
from survey.storage import XLSX_TYPE, private_download
from survey.views.decorators import ministry_required, role_required

CONTENT_TYPES = {"xlsx": XLSX_TYPE, "csv": "text/csv; charset=utf-8"}
SNAPSHOT_CONFIRM_WORD = "確定する"


def _export_scope(request, round_id: int):
    """(round, prefecture) the user may export: '' for the country, else their prefecture."""
    rnd = round_get_for_user(request.user, round_id)
    return rnd, dashboard_scope(request.user).prefecture


snapshots_required = role_required(access.can_take_snapshots, "集計の確定は省庁職員と管理者のみ行えます。")


@login_required
def exports(request, round_id: int):
    """The export page: start a workbook or CSV, and the user's earlier exports of the round."""
    rnd, prefecture = _export_scope(request, round_id)
    candidates = comparable_rounds(request.user, rnd)
    if request.method == "POST":
        snapshot = snapshot_chosen(rnd, request.POST.get("snapshot"))
        compare = request.POST.get("compare", "")
        compare_with = round_chosen(compare, rnd, candidates) if compare else None
        job = services.export_start(round=rnd, acting_user=request.user, prefecture=prefecture,
                                    snapshot=snapshot, fmt=request.POST.get("format", "xlsx"),
                                    state=request.POST.get("state", ""), compare_with=compare_with,
                                    request=request)
        return redirect("aggregation:export_job", job.pk)
    jobs = access.exports_visible_to(
        request.user, Job.objects.filter(kind=services.EXPORT_KIND, round=rnd).select_related("created_by"))
    return render(request, "aggregation/exports/exports.html", {
        "round": rnd, "prefecture": prefecture, "jobs": jobs[:30], "formats": services.FORMATS,
        "snapshots": Snapshot.objects.filter(round=rnd), "state_choices": STATE_CHOICES, "candidates": candidates,
    })


@login_required
def export_job(request, job_id: int):
    """Progress of one export, refreshed until it is done; then the download link."""
    job = services.export_get_for_user(request.user, job_id)
    return render(request, "aggregation/exports/job.html", {"job": job, "round": job.round,
                                                             "figures": job.result.get("figures", {})})


@login_required
def export_download(request, job_id: int):
    """The built file, after the permission check; audited (DOWNLOAD)."""
    job = services.export_get_for_user(request.user, job_id)
    if job.status != Job.Status.DONE or not job.result_path:
        raise Http404
    services.export_download_audit(job=job, acting_user=request.user, request=request)
    fmt = job.params.get("format", "xlsx")
    return private_download(job.result_path, filename=job.result_name, content_type=CONTENT_TYPES[fmt])


@snapshots_required
def snapshots(request, round_id: int):
    """The round's snapshots (ministry staff and administrators)."""
    rnd = round_get_for_user(request.user, round_id)
    return render(request, "aggregation/exports/snapshots.html", {
        "round": rnd, "snapshots": Snapshot.objects.filter(round=rnd).select_related("created_by"),
    })


@snapshots_required
def snapshot_new(request, round_id: int):
    """Confirm, then freeze the round's figures as they stand (irreversible)."""
    rnd = round_get_for_user(request.user, round_id)
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") == SNAPSHOT_CONFIRM_WORD:
            snapshot = services.snapshot_create(round=rnd, acting_user=request.user,
                                                label=request.POST.get("label", "")[:200], request=request)
            messages.success(request, f"集計を確定しました（提出 {snapshot.response_count} 件）。")
            return redirect("aggregation:snapshots", rnd.pk)
        error = f"確定するには「{SNAPSHOT_CONFIRM_WORD}」と入力してください。"
    counted = Response.objects.filter(round=rnd, status=ResponseStatus.SUBMITTED).count()
    return render(request, "aggregation/exports/snapshot_new.html", {
        "round": rnd, "counted": counted, "targets": RoundTarget.objects.filter(round=rnd).count(),
        "confirm_word": SNAPSHOT_CONFIRM_WORD, "error": error, "label": request.POST.get("label", ""),
    }, status=400 if error else 200)


@login_required
@require_POST
@snapshots_required
def snapshot_check(request, snapshot_id: int):
    """Recompute a snapshot's content hash and report whether it still matches."""
    snapshot = Snapshot.objects.filter(pk=snapshot_id).first()
    if snapshot is None:
        raise Http404
    check = services.snapshot_verify(snapshot)
    if check.ok:
        messages.success(request, f"確定集計 {snapshot.pk} の内容ハッシュは一致しました。")
    else:
        messages.error(request, f"確定集計 {snapshot.pk} の内容が確定時と一致しません（{check.recomputed_sha256}）。")
    return redirect("aggregation:snapshots", snapshot.round_id)


@ministry_required
def round_finalise(request, round_id: int):
    """Confirm, then finalise a closed round (締切 → 確定): its figures frozen in a snapshot."""
    rnd = round_get_for_user(request.user, round_id)
    error = ""
    if request.method == "POST" and rnd.status == RoundStatus.CLOSED:
        if request.POST.get("confirm") == SNAPSHOT_CONFIRM_WORD:
            try:
                snapshot = services.round_finalise(round=rnd, acting_user=request.user,
                                                   label=request.POST.get("label", "")[:200], request=request)
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
                return redirect("publish:round_detail", round_id=rnd.pk)
            messages.success(request, f"調査回を確定しました（集計対象の回答 {snapshot.response_count} 件）。")
            return redirect("publish:round_detail", round_id=rnd.pk)
        error = f"確定するには「{SNAPSHOT_CONFIRM_WORD}」と入力してください。"
    extended = [t for t in RoundTarget.objects.filter(round=rnd, extended_deadline__isnull=False)
                .select_related("organization") if t.accepts_answers]
    return render(request, "aggregation/exports/round_finalise.html", {
        "round": rnd, "closed": rnd.status == RoundStatus.CLOSED, "error": error,
        "counted": Response.objects.filter(round=rnd, status=ResponseStatus.SUBMITTED).count(),
        "targets": RoundTarget.objects.filter(round=rnd).count(), "extended": extended,
        "confirm_word": SNAPSHOT_CONFIRM_WORD, "label": request.POST.get("label", ""),
    }, status=400 if error else 200)
