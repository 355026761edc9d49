"""Reminders to non-submitting organisations: preview, confirmation, sending job.

The round comes from survey.access (404 for a round the user has no part in); who may be
reminded from survey.services.reminders.reminder_plan, which applies the dashboards' scope
(403 for municipal officers, 404 for another prefecture) to the filters of the request.
No organisation or address is ever read from the request.

Country-wide the lists run to ≈1,700 organisations: the pages show counts by prefecture and
the lists PAGE_SIZE at a time, while the confirmation (its fingerprint) and the job always
cover the whole recipient list.
"""
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from survey.access import can_edit_reminder_schedule, dashboard_scope, round_get_for_user
from survey.forms.reminders import ReminderScheduleForm
from survey.jobs import job_get_for_user, recorded_entries
from survey.models import Organization, OrgKind
from survey.services import reminders as service
from survey.services import scheduled_reminders as scheduled

HISTORY_SHOWN = 10
PAGE_SIZE = 50
SENDS_PAGE_SIZE = 100
# Each list of the plan and the query parameter of its page (one page per list, kept together).
PAGED_LISTS = {"to_send": "page", "recent": "recent_page", "unreachable": "unreachable_page"}


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
        "by_prefecture": _counts_by_prefecture(plan),
        **{f"{name}_page": _paged(request, plan, name) for name in PAGED_LISTS},
    }


@dataclass
class PrefectureCounts:
    """One line of the counts table: a prefecture's organisations in each list, and recipients."""

    code: str
    name: str
    to_send: int = 0
    recipients: int = 0
    recent: int = 0
    unreachable: int = 0


def _counts_by_prefecture(plan: service.ReminderPlan) -> list[PrefectureCounts]:
    """The plan's lists counted per prefecture (from the rows already loaded: no query), with a total."""
    rows: dict[str, PrefectureCounts] = {}
    for name in PAGED_LISTS:
        for row in getattr(plan, name):
            org = row.organization
            line = rows.setdefault(org.prefecture_code, PrefectureCounts(org.prefecture_code, org.prefecture_name))
            setattr(line, name, getattr(line, name) + 1)
            if name == "to_send":
                line.recipients += len(row.officers)
    lines = sorted(rows.values(), key=lambda line: line.code)
    total = PrefectureCounts("", "合計")
    for field in ("to_send", "recipients", "recent", "unreachable"):
        setattr(total, field, sum(getattr(line, field) for line in lines))
    return [*lines, total] if len(lines) > 1 else lines


def _paged(request, plan: service.ReminderPlan, name: str) -> Page:
    """One page of the plan's list `name`, with links (`prev_query`, `next_query`) that keep the
    filters and the other lists' pages."""
    data = request.GET
    param = PAGED_LISTS[name]
    page = Paginator(getattr(plan, name), PAGE_SIZE).get_page(data.get(param))
    kept = plan.filters.as_query() | {p: data[p] for p in PAGED_LISTS.values() if p != param and data.get(p)}
    page.prev_query = urlencode(kept | {param: page.previous_page_number()}) if page.has_previous() else ""
    page.next_query = urlencode(kept | {param: page.next_page_number()}) if page.has_next() else ""
    return page


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
    if job.kind != service.JOB_KIND or job.round_id != round_id:
        raise Http404
    return render(request, "reminders/job.html", {
        "round": job.round, "job": job, "entries": service.entry_rows(job),
        "counts": {s: sum(e.get("status") == s for e in recorded_entries(job.result)) for s in service.OUTCOME_LABELS},
    })


@login_required
@require_http_methods(["GET", "POST"])
def reminders_schedule(request, round_id: int):
    """The round's scheduled reminders: the steps (editable by the ministry) and every mail sent, with its outcome."""
    rnd = round_get_for_user(request.user, round_id)
    scope = dashboard_scope(request.user)  # 403 for municipal officers; a prefecture sees its own
    may_edit = can_edit_reminder_schedule(request.user)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("自動督促の予定を変更できるのは省庁職員と管理者です。")
        form = ReminderScheduleForm(request.POST)
        if form.is_valid():
            scheduled.reminder_schedule_set(round=rnd, offsets=form.cleaned_data["offsets"],
                                            digest=form.cleaned_data["digest"], acting_user=request.user,
                                            request=request)
            messages.success(request, "自動督促の予定を保存しました。")
            return redirect("reminders_schedule", round_id=rnd.pk)
    else:
        form = ReminderScheduleForm(initial={"offsets": ", ".join(map(str, scheduled.offsets_of(rnd))),
                                             "digest": scheduled.digest_enabled(rnd)})
    sends = scheduled.sends_for(rnd=rnd, scope=scope)
    status = request.GET.get("status", "")
    listed = sends.filter(status=status) if status in scheduled.Status.values else sends
    return render(request, "reminders/schedule.html", {
        "round": rnd, "form": form, "may_edit": may_edit, "scope": scope,
        "steps": scheduled.step_dates(rnd, scheduled.offsets_of(rnd)), "digest": scheduled.digest_enabled(rnd),
        "counts": scheduled.send_counts(sends), "statuses": scheduled.Status.choices,
        "status": status if status in scheduled.Status.values else "",
        "page": Paginator(listed, SENDS_PAGE_SIZE).get_page(request.GET.get("page")),
    })
