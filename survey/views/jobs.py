"""The one status endpoint of every job (answer-sheet zip and import, aggregate workbook, reminders).

Each kind keeps its own page (what its result means differs) built on templates/jobs/_progress.html;
all of them poll this JSON. Who may see a job is its kind's rule, registered with its runner
(survey.jobs.job_runner(visible=…), decisions of survey.access).
"""
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from survey.jobs import job_download_url_name, job_get_for_user
from survey.models import Job


def job_status_data(job: Job) -> dict:
    """The one status shape of every job kind (polled by static/js/job-progress.js)."""
    data = {"id": job.pk, "status": job.status, "status_label": job.get_status_display(), "progress": job.progress,
            "total": job.total, "percent": job.percent, "finished": job.is_finished,
            "messages": [m.get("text", "") for m in job.messages]}
    if job.status == Job.Status.DONE and job.result_path:
        data["download_url"] = reverse(job_download_url_name(job), kwargs={"job_id": job.pk})
    return data


@login_required
@require_GET
def job_status(request, job_id: int):
    """Any job's progress as JSON (answer sheets, imports, aggregate workbooks, reminders)."""
    return JsonResponse(job_status_data(job_get_for_user(request.user, job_id)))
