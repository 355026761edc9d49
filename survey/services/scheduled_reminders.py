"""Scheduled reminders (自動督促) and the prefectures' daily digest, sent by a Celery beat tick.

Why a static beat entry (settings.CELERY_BEAT_SCHEDULE) that runs `reminders_tick` every few
minutes, rather than django-celery-beat: what is due is computed from the database on every
tick (each organisation's effective deadline, the round's schedule, who is done), so beat holds
no state of its own. A beat restarted, stopped for an hour or (by mistake) run on two nodes only
changes how often the tick runs, never what is sent; and a deadline, an extension or a schedule
edited on a page needs no periodic-task row kept in step with it.

Once only. Each mail is a ScheduledReminder row, keyed by (round, organisation, step) for a
reminder and (round, prefecture, day) for a digest, with a unique constraint on each key:

1. claim: the tick inserts the rows that are due (INSERT … ON CONFLICT DO NOTHING). However many
   ticks run at once, one row per key exists;
2. take: a sender locks one pending row (SELECT … FOR UPDATE SKIP LOCKED), checks it is still
   worth sending (not done meanwhile, round open, step still the current one, someone to write
   to) and commits it as `sending`, with the recipients and its own host:pid;
3. send, then commit the outcome (`sent` / `failed`) with an audit row.

A row is sent only by whoever moved it from pending to sending, so nothing is sent twice. A
sender that dies in step 3 leaves its row `sending`: the next tick marks it `interrupted`
(whether the mail left is unknown) and never sends it again; rows still pending are sent by the
next tick. A worker killed mid-run therefore costs at most the one mail it was handing over.
"""
from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from survey.access import organization_contacts
from survey.audit import Action, audit
from survey.jobs import owner_process_gone
from survey.mailtext import render_mail_text
from survey.models import (
    DEFAULT_OFFSETS,
    DONE_STATES,
    Organization,
    OrgKind,
    ReminderSchedule,
    Response,
    ResponseState,
    Round,
    RoundStatus,
    RoundTarget,
    ScheduledReminder,
    User,
)
from survey.selectors import STATE_LABELS, open_comments, state_expression

DAY = timedelta(days=1)
MAX_STEPS = 10
MAX_OFFSET = 90
# A `sending` row whose sender has not finished within this time is taken as interrupted.
SENDING_LEASE = timedelta(minutes=5)
# Every mail names its key (round, organisation, step or day) in this header.
KEY_HEADER = "X-Chosa-Reminder"
Status = ScheduledReminder.Status
Kind = ScheduledReminder.Kind


# --- the schedule ---------------------------------------------------------------------------


def offsets_of(rnd: Round) -> list[int]:
    """The round's steps, in days before each organisation's deadline, largest first."""
    schedule = ReminderSchedule.objects.filter(round=rnd).first()
    return list(schedule.offsets) if schedule is not None else list(DEFAULT_OFFSETS)


def digest_enabled(rnd: Round) -> bool:
    schedule = ReminderSchedule.objects.filter(round=rnd).first()
    return schedule.digest if schedule is not None else True


def parse_offsets(text: str) -> list[int]:
    """「7, 3, 1」→ [7, 3, 1]: whole days, 0–90, at most ten, no repeats; an empty text is no step."""
    parts = [p.strip() for p in text.replace("、", ",").replace("，", ",").split(",") if p.strip()]
    errors = []
    days = []
    for part in parts:
        if not part.isascii() or not part.isdigit() or int(part) > MAX_OFFSET:
            errors.append(ValidationError(f"「{part}」は 0〜{MAX_OFFSET} の整数（日数）で入力してください。",
                                          code="invalid_offset"))
        else:
            days.append(int(part))
    if len(set(days)) != len(days):
        errors.append(ValidationError("同じ日数が重複しています。", code="duplicate_offset"))
    if len(parts) > MAX_STEPS:
        errors.append(ValidationError(f"督促は {MAX_STEPS} 回までです。", code="too_many_offsets"))
    if errors:
        raise ValidationError(errors)
    return sorted(days, reverse=True)


@transaction.atomic
def reminder_schedule_set(*, round: Round, offsets: list[int], digest: bool, acting_user: User,
                          request=None) -> ReminderSchedule:
    """Set the round's steps and digest switch (audited). Steps already sent stay recorded."""
    schedule, _ = ReminderSchedule.objects.select_for_update().get_or_create(
        round=round, defaults={"offsets": list(DEFAULT_OFFSETS)})
    before = {"offsets": schedule.offsets, "digest": schedule.digest}
    schedule.offsets, schedule.digest = sorted(set(offsets), reverse=True), digest
    schedule.updated_by, schedule.updated_at = acting_user, timezone.now()
    schedule.save()
    audit(Action.REMINDER, actor=acting_user, request=request, target=f"round:{round.pk}/reminder-schedule",
          change="schedule_set", before=before, after={"offsets": schedule.offsets, "digest": digest})
    return schedule


def step_dates(rnd: Round, offsets: list[int]) -> list[tuple[int, datetime]]:
    """(days before, when) of each step against the round's own deadline (extensions move theirs)."""
    return [(days, rnd.deadline - days * DAY) for days in offsets]


# --- what is due ----------------------------------------------------------------------------


def _open_at(rnd: Round, now: datetime) -> bool:
    """The round takes answers at `now` (published, before its own deadline)."""
    return rnd.status == RoundStatus.OPEN and now <= rnd.deadline


def due_step(*, deadline: datetime, offsets: list[int], opened_at: datetime | None, now: datetime) -> int | None:
    """The step whose reminder is due at `now`: the latest one whose time has come, before the deadline.

    A step whose time fell before the round was published never fires (no reminder right after
    the notice); an earlier step missed (beat stopped) is not sent late once a later one is due.
    """
    if now > deadline:
        return None
    due = [days for days in offsets
           if deadline - days * DAY <= now and (opened_at is None or deadline - days * DAY >= opened_at)]
    return min(due) if due else None


def targets_with_state(rnd: Round) -> QuerySet[RoundTarget]:
    """The round's targets annotated with `resp_state` (a ResponseState value; NULL: not started)."""
    responses = Response.objects.filter(round=rnd, organization=OuterRef("organization"))
    return RoundTarget.objects.filter(round=rnd).annotate(
        resp_state=Subquery(responses.annotate(state=state_expression()).values("state")[:1]))


def pending_targets(rnd: Round) -> QuerySet[RoundTarget]:
    """The round's targets not done (未着手, 下書き, 差し戻し中)."""
    # NOT IN on a NULL (not started) is NULL in SQL: say "not started" explicitly.
    return targets_with_state(rnd).filter(Q(resp_state__isnull=True) | ~Q(resp_state__in=DONE_STATES))


def _takes_reminders(target: RoundTarget) -> bool:
    """The round is open, or closed with this organisation's extension (RoundTarget.accepts_answers)."""
    return target.round.status == RoundStatus.OPEN or (target.round.status == RoundStatus.CLOSED
                                                       and target.is_extended)


def claim_due(*, rnd: Round, now: datetime) -> int:
    """Insert the reminder rows due at `now` (a key already claimed is left alone); how many were new."""
    offsets = offsets_of(rnd)
    if rnd.status not in (RoundStatus.OPEN, RoundStatus.CLOSED) or not offsets:
        return 0
    claimed = set(ScheduledReminder.objects.filter(round=rnd, kind=Kind.STEP)
                  .values_list("organization_id", "step"))
    rows = []
    for target in pending_targets(rnd).only("organization_id", "extended_deadline", "round_id"):
        target.round = rnd
        deadline = target.effective_deadline
        step = due_step(deadline=deadline, offsets=offsets, opened_at=rnd.opened_at, now=now)
        if step is not None and (target.organization_id, step) not in claimed and _takes_reminders(target):
            rows.append(ScheduledReminder(round=rnd, organization_id=target.organization_id, kind=Kind.STEP,
                                          step=step, deadline=deadline, claimed_at=now))
    return len(ScheduledReminder.objects.bulk_create(rows, ignore_conflicts=True))


def digest_prefectures(rnd: Round):
    """Prefectures with at least one municipality of theirs still to finish in the round."""
    codes = (pending_targets(rnd).exclude(organization__kind=OrgKind.PREFECTURE)
             .values("organization__prefecture_code"))
    return Organization.objects.filter(kind=OrgKind.PREFECTURE, prefecture_code__in=codes)


def claim_digests(*, rnd: Round, now: datetime) -> int:
    """Insert today's digest rows once the digest hour has come, while the round takes answers."""
    local = timezone.localtime(now)
    if not _open_at(rnd, now) or not digest_enabled(rnd) or local.hour < settings.REMINDER_DIGEST_HOUR:
        return 0
    claimed = ScheduledReminder.objects.filter(round=rnd, kind=Kind.DIGEST, day=local.date()).values("organization_id")
    rows = [ScheduledReminder(round=rnd, organization=pref, kind=Kind.DIGEST, day=local.date(), claimed_at=now)
            for pref in digest_prefectures(rnd).exclude(pk__in=claimed)]
    # ON CONFLICT DO NOTHING returns every row given: the count is of rows not seen claimed above.
    return len(ScheduledReminder.objects.bulk_create(rows, ignore_conflicts=True))


# --- the tick -------------------------------------------------------------------------------


def reminders_tick(*, now: datetime | None = None) -> dict[str, int]:
    """What beat runs: mark dead senders' rows, claim what is due in every open round, send pending rows."""
    now = now or timezone.now()
    counts = {"interrupted": mark_interrupted(now=now), "claimed": 0}
    for rnd in Round.objects.filter(status__in=[RoundStatus.OPEN, RoundStatus.CLOSED]):
        counts["claimed"] += claim_due(rnd=rnd, now=now) + claim_digests(rnd=rnd, now=now)
    return counts | send_pending(now=now)


def send_pending(*, now: datetime | None = None) -> dict[str, int]:
    """Send every pending row this process can take (others' rows are skipped, not waited for)."""
    counts = {status: 0 for status in (Status.SENT, Status.FAILED, Status.SKIPPED)}
    connection = get_connection()
    for pk in ScheduledReminder.objects.filter(status=Status.PENDING).order_by("pk").values_list("pk", flat=True):
        row = take(pk, now=now)
        if row is None:
            continue
        if row.status == Status.SENDING:
            deliver(row, connection)
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _sender_gone(row: ScheduledReminder, now: datetime) -> bool:
    if row.attempted_at is None or row.attempted_at < now - SENDING_LEASE:
        return True
    return owner_process_gone(row.owner)


def mark_interrupted(*, now: datetime) -> int:
    """Rows left `sending` by a sender that died: whether the mail left is unknown, so never resend."""
    marked = 0
    with transaction.atomic():
        for row in ScheduledReminder.objects.select_for_update(skip_locked=True).filter(status=Status.SENDING):
            if _sender_gone(row, now):
                row.status, row.finished_at = Status.INTERRUPTED, now
                row.save(update_fields=["status", "finished_at"])
                marked += 1
    return marked


def take(pk: int, *, now: datetime | None = None) -> ScheduledReminder | None:
    """Lock a pending row and commit it as `sending` (or `skipped`); None when someone else has it."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (ScheduledReminder.objects.select_for_update(skip_locked=True, of=("self",))
               .select_related("round", "organization").filter(pk=pk, status=Status.PENDING).first())
        if row is None:
            return None
        reason, state = _skip_reason(row, now)
        recipients = [] if reason else list(
            organization_contacts().filter(organization=row.organization).values("name", "email"))
        if not reason and not recipients:
            reason = "no_contact"
        row.state, row.recipients, row.attempted_at, row.owner = state, recipients, now, _owner()
        if reason:
            row.status, row.reason, row.finished_at = Status.SKIPPED, reason, now
        else:
            row.status = Status.SENDING
        row.save()
    return row


def _skip_reason(row: ScheduledReminder, now: datetime) -> tuple[str, str]:
    """(why not to send, the response's state) for a row about to be sent."""
    rnd = row.round
    if row.kind == Kind.DIGEST:
        return ("" if _open_at(rnd, now) and digest_enabled(rnd) else "closed"), ""
    target = targets_with_state(rnd).get(organization=row.organization)
    target.round = rnd
    state = target.resp_state or ResponseState.NOT_STARTED
    if state in DONE_STATES:
        return "done", state
    if not _takes_reminders(target) or now > target.effective_deadline:
        return "closed", state
    if due_step(deadline=target.effective_deadline, offsets=offsets_of(rnd), opened_at=rnd.opened_at,
                now=now) != row.step:
        return "superseded", state
    row.deadline = target.effective_deadline
    return "", state


def deliver(row: ScheduledReminder, connection) -> None:
    """Send the mail of a row taken as `sending`, then record the outcome and audit it."""
    subject, body = digest_message(row) if row.kind == Kind.DIGEST else step_message(row)
    try:
        EmailMessage(subject, body, None, [r["email"] for r in row.recipients], connection=connection,
                     headers={KEY_HEADER: row_key(row)}).send()
        row.status, row.error = Status.SENT, ""
    except Exception as exc:  # a refused mail is recorded; the tick goes on with the others
        _reset(connection)
        row.status, row.error = Status.FAILED, f"{type(exc).__name__}: {exc}"[:300]
    row.finished_at = timezone.now()
    with transaction.atomic():
        row.save(update_fields=["status", "error", "finished_at"])
        audit(Action.REMINDER, actor=None, organization=row.organization,
              target=f"round:{row.round_id}/scheduled-reminders/{row.pk}",
              change="scheduled_digest" if row.kind == Kind.DIGEST else "scheduled_reminder",
              step=row.step, day=row.day.isoformat() if row.day else None, outcome=row.status,
              recipients=[r["email"] for r in row.recipients], error=row.error)


def row_key(row: ScheduledReminder) -> str:
    """The row's key as the mail carries it (KEY_HEADER), for mail logs and operators."""
    when = f"step{row.step}" if row.kind == Kind.STEP else f"digest{row.day.isoformat()}"
    return f"round{row.round_id}/{row.organization.code}/{when}"


def _reset(connection) -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - closing a broken connection may fail too
        pass


# --- the mails ------------------------------------------------------------------------------


def _urls(rnd: Round, org: Organization) -> dict[str, str]:
    base = settings.PORTAL_BASE_URL.rstrip("/")
    return {"login_url": base + reverse("login"),
            "response_url": base + reverse("response_detail", kwargs={"round_id": rnd.pk, "org_code": org.code}),
            "status_url": base + reverse("aggregation:status", args=[rnd.pk])}


def _organizer() -> str:
    return getattr(settings, "SURVEY_ORGANIZER_NAME", "厚生労働省")


def step_message(row: ScheduledReminder) -> tuple[str, str]:
    """(subject, body) of a step's reminder to an organisation's officers."""
    deadline = row.deadline or row.round.deadline
    days_left = (timezone.localdate(deadline) - timezone.localdate(row.attempted_at or timezone.now())).days
    context = {"round": row.round, "organization": row.organization, "deadline": deadline, "days_left": days_left,
               "status_label": STATE_LABELS.get(row.state, row.state), "organizer": _organizer(),
               "comments": open_comments(round=row.round, organization=row.organization) if row.state == ResponseState.RETURNED else [],
               **_urls(row.round, row.organization)}
    subject = render_mail_text("reminders/email/scheduled_subject.txt", context).strip()
    return subject, render_mail_text("reminders/email/scheduled.txt", context)


def digest_lines(rnd: Round, prefecture: Organization) -> tuple[dict[str, int], list[dict]]:
    """(count per state, the municipalities not done) of a prefecture in the round."""
    targets = (targets_with_state(rnd).filter(organization__prefecture_code=prefecture.prefecture_code)
               .exclude(organization__kind=OrgKind.PREFECTURE).select_related("organization")
               .order_by("organization__code"))
    counts = {label: 0 for label in STATE_LABELS.values()}
    pending = []
    for target in targets:
        target.round = rnd
        state = target.resp_state or ResponseState.NOT_STARTED
        counts[STATE_LABELS[state]] += 1
        if state not in DONE_STATES:
            pending.append({"organization": target.organization, "state": STATE_LABELS[state],
                            "deadline": target.effective_deadline})
    return counts, pending


def digest_message(row: ScheduledReminder) -> tuple[str, str]:
    """(subject, body) of a prefecture's daily digest of its municipalities' states."""
    counts, pending = digest_lines(row.round, row.organization)
    context = {"round": row.round, "prefecture": row.organization, "day": row.day, "counts": counts,
               "pending": pending, "total": sum(counts.values()), "organizer": _organizer(),
               **_urls(row.round, row.organization)}
    subject = render_mail_text("reminders/email/digest_subject.txt", context).strip()
    return subject, render_mail_text("reminders/email/digest.txt", context)


# --- what the round's page shows -------------------------------------------------------------


def sends_for(*, rnd: Round, scope) -> QuerySet[ScheduledReminder]:
    """The round's scheduled mails to organisations of `scope` (survey.access.dashboard_scope)."""
    orgs = scope.organizations(Organization.objects.all())
    return (ScheduledReminder.objects.filter(round=rnd, organization__in=orgs).select_related("organization")
            .order_by("kind", "-step", "-day", "organization__code"))


def send_counts(sends: QuerySet[ScheduledReminder]) -> list[dict]:
    """One line per step (largest first) and per digest day (newest first): the count of each outcome."""
    lines: dict[tuple, dict] = {}
    grouped = sends.order_by().values_list("kind", "step", "day", "status").annotate(n=Count("id"))
    for kind, step, day, status, n in grouped:
        line = lines.setdefault((kind, step, day), {"kind": kind, "step": step, "day": day, "total": 0,
                                                    **{s: 0 for s in Status.values}})
        line[status] += n
        line["total"] += n
    return sorted(lines.values(), key=lambda line: (line["kind"], -(line["step"] or 0), -(line["day"] or
                                                    datetime.min.date()).toordinal()))
