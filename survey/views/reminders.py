"""Reminders to non-submitting organisations: preview, confirmation, sending job.

The round comes from survey.access (404 for a round the user has no part in); who may be
reminded from survey.services.reminders.reminder_plan, which applies the dashboards' scope
(403 for municipal officers, 404 for another prefecture) to the filters of the request.
No organisation or address is ever read from the request.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from survey.access import round_get_for_user
from survey.jobs import job_get_for_user
from survey.models import Organization, OrgKind
from survey.services import reminders as service

HISTORY_SHOWN = 10


def _plan(request, round_id: int, data) -> service.ReminderPlan:
    rnd = round_get_for_user(request.user, round_id)
    return service.reminder_plan(round=rnd, user=request.user, filters=service.Filters.from_data(data))


def _context(request, plan: service.ReminderPlan) -> dict:
    prefectures = Organization.objects.filter(kind=OrgKind.PREFECTURE).order_by("prefecture_code")
    if plan.scope.locked:
        prefectures = prefectures.filter(prefecture_code=plan.scope.prefecture)
    return {
        "round": plan.round, "plan": plan, "filters": plan.filters, "query": urlencode(plan.filters.as_query()),
        "prefectures": prefectures.values_list("prefecture_code", "prefecture_name"),
        "kinds": OrgKind.choices, "status_choices": service.STATUS_CHOICES,
        "recipient_count": len(plan.recipients), "sample": _sample(plan, request.user),
    }


def _sample(plan: service.ReminderPlan, sender) -> dict | None:
    """The mail of the first recipient, as a preview."""
    if not plan.recipients:
        return None
    row, user = plan.recipients[0]
    subject, body = service.reminder_message(round=plan.round, organization=row.organization, status=row.status,
                                             user=user, sender=sender)
    return {"to": user.email, "subject": subject, "body": body}


@login_required
@require_GET
def reminders(request, round_id: int):
    """Who would be reminded (and who cannot be), with a preview of the mail."""
    plan = _plan(request, round_id, request.GET)
    context = _context(request, plan) | {
        "jobs": service.reminder_jobs_for(round=plan.round, user=request.user)[:HISTORY_SHOWN],
    }
    return render(request, "reminders/preview.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def reminders_confirm(request, round_id: int):
    """「N 団体の M 名に送信します。よろしいですか」, then (POST) queue the sending job."""
    plan = _plan(request, round_id, request.POST if request.method == "POST" else request.GET)
    if request.method == "POST":
        try:
            job = service.reminders_send(plan=plan, fingerprint=request.POST.get("fingerprint", ""),
                                         acting_user=request.user, request=request)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            query = urlencode(plan.filters.as_query())
            return redirect(reverse("reminders_confirm", args=[plan.round.pk]) + (f"?{query}" if query else ""))
        messages.success(request, f"{len(plan.to_send)} 団体の {job.total} 名への送信を開始しました。")
        return redirect("reminders_job", round_id=plan.round.pk, job_id=job.pk)
    return render(request, "reminders/confirm.html", _context(request, plan))


@login_required
@require_GET
def reminders_job(request, round_id: int, job_id: int):
    """A reminder job's progress and the outcome per recipient (its creator, administrators)."""
    job = job_get_for_user(request.user, job_id)
    if job.kind != service.KIND or job.round_id != round_id:
        raise Http404
    return render(request, "reminders/job.html", {
        "round": job.round, "job": job, "entries": service.entry_rows(job),
        "counts": {s: sum(e.get("status") == s for e in job.result.get("files", [])) for s in service.OUTCOME_LABELS},
    })
