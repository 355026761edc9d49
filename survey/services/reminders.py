"""Reminders (督促メール): e-mail the officers of the organisations that have not submitted.

Who: the active officers of every target in the user's scope whose response is not done
(未着手, 下書き, or 差し戻し中 — returned by a reviewer; its mail names the open comments). The scope is the dashboards' (survey.access.dashboard_scope):
ministry staff and administrators the country (narrowed by prefecture / type), a prefecture
officer the municipalities of their prefecture, a municipal officer nothing (403). Recipients
are always computed here from the user and the filters, never taken from the request.

Sending is a Job (kind 'reminders', survey.jobs) whose params freeze the recipients the user
confirmed. Each recipient is one unit of work: mailed, then recorded in the job's result (with
its outcome) and audited in one transaction before the next one, so a resumed job skips every
recipient already recorded. Mail is not transactional: a crash between the hand-off to the mail
server and that commit can resend that one mail, never more.

Deadline: each organisation's effective one (RoundTarget.accepts_answers). After the round's
deadline, and once it is closed, only organisations with an extension still running are reminded.

Throttle: an organisation mailed in this round within THROTTLE is left out, with the time of
that reminder, unless the user explicitly includes it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from survey.access import (
    Scope,
    dashboard_scope,
    jobs_visible_to,
    may_remind_prefectures,
    organizations_visible_to,
)
from survey.audit import Action, audit
from survey.jobs import JobContext, job_create, job_runner, recorded_entries
from survey.mailtext import render_mail_text
from survey.models import (
    DONE_STATES,
    Job,
    Organization,
    OrgKind,
    Response,
    ResponseState,
    ResponseStatus,
    Round,
    RoundTarget,
    User,
)
from survey.selectors import (
    STATE_LABELS,
    STATUS_NOT_STARTED,
    accepting_answers,
    non_submitters,
    open_comments,
    state_expression,
)

JOB_KIND = "reminders"
THROTTLE = timedelta(hours=24)
# Who the mail says asked for it when the sender has no organisation (ministry staff, administrators).
DEFAULT_SENDER_ORGANIZATION = "厚生労働省"
STATUS_CHOICES = [("", "未着手・下書き・差し戻し中"), (STATUS_NOT_STARTED, "未着手のみ"), (ResponseStatus.DRAFT, "下書きのみ"),
                  (ResponseState.RETURNED, "差し戻し中のみ")]
OUTCOME_LABELS = {"sent": "送信済", "failed": "送信失敗", "skipped": "送信せず"}
SKIP_REASONS = {
    "submitted": "送信前に提出（または承認）されました",
    "inactive": "アカウントが無効になったか、所属団体が変わりました",
    "recent": "24時間以内に督促済みです",
    "closed": "回答受付が終了しました",
}


# --- who will be e-mailed ----------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the user asked for: prefecture, type, status ('' both) and whether to include recent ones."""

    prefecture: str = ""
    kind: str = ""
    status: str = ""
    include_recent: bool = False

    @classmethod
    def from_data(cls, data) -> Filters:
        """Filters from a QueryDict (GET or POST); unknown values are ignored."""
        status = data.get("status", "")
        return cls(prefecture=data.get("prefecture", ""), kind=data.get("kind", ""),
                   status=status if status in dict(STATUS_CHOICES) else "",
                   include_recent=data.get("include_recent") == "1")

    def as_query(self) -> dict[str, str]:
        query = {"prefecture": self.prefecture, "kind": self.kind, "status": self.status,
                 "include_recent": "1" if self.include_recent else ""}
        return {key: value for key, value in query.items() if value}


@dataclass
class OrgRow:
    """A non-submitting target with its active officers and when it was last reminded."""

    organization: Organization
    status: str  # a ResponseState value: not_started | draft | returned
    officers: list[User]
    last_reminded: datetime | None = None

    @property
    def status_label(self) -> str:
        return STATE_LABELS[self.status]


@dataclass
class ReminderPlan:
    """Who a reminder would reach now: to send, reminded recently (left out), unreachable."""

    round: Round
    scope: Scope
    filters: Filters
    # Some target in the scope still accepts answers (the round is open, or an extension runs).
    accepts_answers: bool = False
    to_send: list[OrgRow] = field(default_factory=list)
    recent: list[OrgRow] = field(default_factory=list)
    unreachable: list[OrgRow] = field(default_factory=list)

    @property
    def recipients(self) -> list[tuple[OrgRow, User]]:
        return [(row, user) for row in self.to_send for user in row.officers]

    @property
    def returned_to_send(self) -> int:
        """Organisations to send to whose response was returned (差し戻し中)."""
        return sum(row.status == ResponseState.RETURNED for row in self.to_send)

    @property
    def fingerprint(self) -> str:
        """Identifies the recipient list the user confirmed (a changed list needs a new confirmation)."""
        keys = ",".join(_key(row.organization, user) for row, user in self.recipients)
        return hashlib.sha256(f"{self.round.pk}|{keys}".encode()).hexdigest()[:20]


def _key(org: Organization, user: User) -> str:
    return f"{org.code}:{user.pk}"


def reminder_targets(*, round: Round, user: User, scope: Scope):
    """The round's targets the user may remind: the scope, those still accepting answers (their
    effective deadline), and never a prefecture officer's own prefecture."""
    targets = scope.targets(accepting_answers(
        RoundTarget.objects.filter(round=round, organization__in=organizations_visible_to(user))))
    if not may_remind_prefectures(user):
        targets = targets.exclude(organization__kind=OrgKind.PREFECTURE)
    return targets


def reminder_plan(*, round: Round, user: User, filters: Filters) -> ReminderPlan:
    """Who would be reminded for `filters` (PermissionDenied / Http404 outside the user's scope)."""
    scope = dashboard_scope(user, prefecture=filters.prefecture, kind=filters.kind)
    targets = reminder_targets(round=round, user=user, scope=scope)
    rows = non_submitters(targets=targets, responses=scope.responses(Response.objects.filter(round=round)))
    if filters.status == STATUS_NOT_STARTED:
        rows = rows.filter(resp_status__isnull=True)
    elif filters.status:
        rows = rows.filter(resp_state=filters.status)
    last = last_reminded(round=round)
    plan = ReminderPlan(round=round, scope=scope, filters=filters, accepts_answers=targets.exists())
    recent_since = timezone.now() - THROTTLE
    for target in rows:
        org = target.organization
        row = OrgRow(org, target.resp_state or STATUS_NOT_STARTED, target.organization.contacts, last.get(org.code))
        if not row.officers:
            plan.unreachable.append(row)
        elif row.last_reminded and row.last_reminded > recent_since and not filters.include_recent:
            plan.recent.append(row)
        else:
            plan.to_send.append(row)
    return plan


def last_reminded(*, round: Round, exclude_job: Job | None = None) -> dict[str, datetime]:
    """When each organisation (by code) was last sent a reminder in `round`."""
    last: dict[str, datetime] = {}
    jobs = Job.objects.filter(kind=JOB_KIND, round=round).exclude(pk=getattr(exclude_job, "pk", None))
    for result in jobs.values_list("result", flat=True):
        for entry in recorded_entries(result):
            at = parse_datetime(entry.get("at", "")) if entry.get("status") == "sent" else None
            if at and (entry["org"] not in last or at > last[entry["org"]]):
                last[entry["org"]] = at
    return last


def reminder_jobs_for(*, round: Round, user: User):
    """Reminder jobs of the round the user may open (their own; every one for administrators)."""
    jobs = Job.objects.filter(kind=JOB_KIND, round=round).select_related("created_by")
    return jobs_visible_to(user, jobs)


# --- the mail --------------------------------------------------------------------------------


def sender_organization(user: User | None) -> str:
    """The organisation the mail says asked for it."""
    org = user.organization if user is not None else None
    if org is not None:
        return org.prefecture_name if org.is_prefecture else f"{org.prefecture_name}{org.name}"
    return getattr(settings, "SURVEY_ORGANIZER_NAME", DEFAULT_SENDER_ORGANIZATION)


def reminder_message(*, round: Round, organization: Organization, status: str, user: User,
                     sender: User | None) -> tuple[str, str]:
    """(subject, body) of the reminder to `user`, an officer of `organization` (its effective deadline)."""
    base = settings.PORTAL_BASE_URL.rstrip("/")
    target = RoundTarget.objects.get(round=round, organization=organization)
    target.round = round
    context = {
        "round": round, "organization": organization, "user": user, "status_label": STATE_LABELS[status],
        "comments": open_comments(round=round, organization=organization) if status == ResponseState.RETURNED else [],
        "deadline": target.effective_deadline, "days_left": target.days_left,
        "sender_organization": sender_organization(sender),
        "login_url": base + reverse("login"),
        "response_url": base + reverse("response_detail", kwargs={"round_id": round.pk, "org_code": organization.code}),
    }
    subject = render_mail_text("reminders/email/reminder_subject.txt", context).strip()
    return subject, render_mail_text("reminders/email/reminder.txt", context)


# --- sending ---------------------------------------------------------------------------------


@transaction.atomic
def reminders_send(*, plan: ReminderPlan, fingerprint: str, acting_user: User, request=None) -> Job:
    """Queue the reminder job for the plan the user confirmed (`fingerprint` from the confirmation page).

    Raises ValidationError: `not_open` (no target in the scope accepts answers: the round is
    not open and no extension runs), `no_recipients`, `not_confirmed` (no confirmation, or the
    recipients changed since it was shown).
    """
    if not plan.accepts_answers:
        raise ValidationError("この調査回は回答を受け付けていないため、督促メールを送れません。", code="not_open")
    if not plan.recipients:
        raise ValidationError("送信先がありません。", code="no_recipients")
    if not fingerprint or fingerprint != plan.fingerprint:
        raise ValidationError("送信先が確認画面の内容と一致しません。もう一度確認してください。", code="not_confirmed")
    recipients = [{"key": _key(row.organization, user), "org": row.organization.code, "user": user.pk}
                  for row, user in plan.recipients]
    job = job_create(kind=JOB_KIND, created_by=acting_user, round=plan.round, total=len(recipients), params={
        "recipients": recipients, "filters": plan.filters.as_query(), "scope": plan.scope.key,
        "include_recent": plan.filters.include_recent,
    })
    audit(Action.REMINDER, actor=acting_user, request=request, target=f"round:{plan.round.pk}/reminders",
          change="reminders_requested", job=job.pk, organizations=len(plan.to_send),
          recipients=len(recipients), scope=plan.scope.key, status=plan.filters.status or "all",
          include_recent=plan.filters.include_recent)
    return job


@job_runner(JOB_KIND)
def run_reminders(ctx: JobContext) -> None:
    """Mail each recipient not yet recorded; record its outcome (sent / failed / skipped) and audit it."""
    job = ctx.job
    recipients = job.params.get("recipients", [])
    ctx.set_total(len(recipients))
    state = _RunState.load(job, recipients)
    connection = get_connection()
    for item in recipients:
        if ctx.is_done(item["key"]):
            continue
        entry = _remind_one(item, state, connection)
        with transaction.atomic():
            ctx.record(item["key"], entry)
            if entry["status"] != "skipped":
                _audit_entry(job, state.orgs[item["org"]], entry)
            ctx.checkpoint()
    counts = {status: sum(e.get("status") == status for e in ctx.entries) for status in OUTCOME_LABELS}
    ctx.message(f"送信 {counts['sent']} 件、送信失敗 {counts['failed']} 件、送信せず {counts['skipped']} 件。",
                level="error" if counts["failed"] else "info")


@dataclass
class _RunState:
    """What the runner reads once: organisations, officers, responses and recent reminders."""

    job: Job
    orgs: dict[str, Organization]
    users: dict[int, User]
    statuses: dict[str, str]  # organisation code -> ResponseState value
    recent: dict[str, datetime]
    accepting: set[str]  # codes of the organisations still accepting answers (effective deadline)

    @classmethod
    def load(cls, job: Job, recipients: list[dict]) -> _RunState:
        codes = {r["org"] for r in recipients}
        statuses = dict(Response.objects.filter(round=job.round, organization__code__in=codes)
                        .annotate(state=state_expression()).values_list("organization__code", "state"))
        recent = {} if job.params.get("include_recent") else {
            code: at for code, at in last_reminded(round=job.round, exclude_job=job).items()
            if at > timezone.now() - THROTTLE}
        accepting = set(accepting_answers(RoundTarget.objects.filter(round=job.round, organization__code__in=codes))
                        .values_list("organization__code", flat=True))
        return cls(job, Organization.objects.in_bulk(codes, field_name="code"),
                   User.objects.in_bulk([r["user"] for r in recipients]), statuses, recent, accepting)


def _remind_one(item: dict, state: _RunState, connection) -> dict:
    """Send one reminder (or decide not to); the entry that records its outcome."""
    org, user = state.orgs.get(item["org"]), state.users.get(item["user"])
    entry = {"org": item["org"], "org_name": org.display_name if org else item["org"],
             "user": item["user"], "email": user.email if user else "", "name": user.name if user else "",
             "at": timezone.now().isoformat()}
    status = state.statuses.get(item["org"]) or STATUS_NOT_STARTED
    reason = _skip_reason(state, org, user, status)
    if reason:
        return {**entry, "status": "skipped", "reason": reason}
    subject, body = reminder_message(round=state.job.round, organization=org, status=status, user=user,
                                     sender=state.job.created_by)
    try:
        send_mail(subject, body, None, [user.email], connection=connection)
    except Exception as exc:  # one bad address or a refused mail must not stop the others
        _reset(connection)
        return {**entry, "status": "failed", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {**entry, "status": "sent"}


def _skip_reason(state: _RunState, org: Organization | None, user: User | None, status: str) -> str:
    if org is None or org.code not in state.accepting:
        return "closed" if org is not None else "inactive"
    if status in DONE_STATES:
        return "submitted"
    if org is None or user is None or not user.is_active or user.organization_id != org.pk:
        return "inactive"
    if org.code in state.recent:
        return "recent"
    return ""


def _reset(connection) -> None:
    """Drop a connection a failure may have broken; the backend opens a new one for the next mail."""
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - closing a broken connection may fail too
        pass


def _audit_entry(job: Job, org: Organization, entry: dict) -> None:
    audit(Action.REMINDER, actor=job.created_by, organization=org,
          target=f"round:{job.round_id}/reminders/job:{job.pk}", change="reminder_sent",
          outcome=entry["status"], recipient=entry["email"], error=entry.get("error", ""))


def entry_rows(job: Job) -> list[dict]:
    """The job's recorded outcomes for display, failures first, with Japanese labels."""
    order = {"failed": 0, "skipped": 1, "sent": 2}
    rows = [{**e, "status_label": OUTCOME_LABELS.get(e.get("status"), ""),
             "reason_label": SKIP_REASONS.get(e.get("reason", ""), ""),
             "at_time": parse_datetime(e.get("at", ""))} for e in recorded_entries(job.result)]
    return sorted(rows, key=lambda e: (order.get(e.get("status"), 3), e.get("org", "")))
