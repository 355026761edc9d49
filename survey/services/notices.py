"""Publishing a round tells every target organisation's officers (公開のお知らせ), once each.

Publishing (準備中 → 回答受付中) queues a Job (kind 'round_notice', survey.jobs). Its runner
lists the round's targets and their active officers when it runs, and for each (round,
organisation, officer) inserts a RoundNotice row and hands the mail over in one transaction.
The row's unique constraint makes each notice once: a second worker running the same job (a
redelivery) blocks on the row until the first commits and then skips it; a worker that dies
before the commit leaves no row, and the resumed job sends that one. Mail is not transactional:
a death between the hand-off to the mail server and the commit can resend that one mail, never
more. Targets added while the round is open get a new job, which reaches only those not yet told.

Organisations without an active officer cannot be told by mail: `no_contact_by_prefecture`
lists them so that their prefecture can relay (the prefecture officer sees its own list).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse

from survey import access
from survey.audit import Action, audit
from survey.jobs import JobContext, job_create, job_runner
from survey.mailtext import render_mail_text
from survey.models import Job, Round, RoundNotice, RoundStatus, RoundTarget, User
from survey.services.reminders import sender_organization
from survey.services.rounds import round_set_status

JOB_KIND = "round_notice"
OUTCOME_LABELS = {"sent": "送信済", "failed": "送信失敗", "skipped": "送信せず"}
SKIP_REASONS = {"already": "既にお知らせ済みです", "not_open": "調査回が回答受付中ではありません",
                "inactive": "アカウントが無効になったか、所属団体が変わりました"}


# --- publishing ------------------------------------------------------------------------------


@transaction.atomic
def round_publish(*, round: Round, acting_user: User, request=None) -> tuple[Round, Job]:
    """準備中 → 回答受付中, and queue the notice to every target's officers (after commit)."""
    round = round_set_status(round=round, status=RoundStatus.OPEN, acting_user=acting_user, request=request)
    return round, notices_send(round=round, acting_user=acting_user, request=request)


@transaction.atomic
def notices_send(*, round: Round, acting_user: User, request=None) -> Job:
    """Queue a notice job for the round: it reaches every target's officers not yet told."""
    job = job_create(kind=JOB_KIND, created_by=acting_user, round=round, total=recipients(round).count())
    audit(Action.ROUND_CHANGE, actor=acting_user, request=request, target=f"round:{round.pk}",
          change="notices_requested", job=job.pk)
    return job


def recipients(round: Round) -> QuerySet[User]:
    """The active officers of the round's targets, by organisation code then e-mail."""
    targets = RoundTarget.objects.filter(round=round, organization_id=OuterRef("organization_id"))
    return (access.organization_contacts().filter(Exists(targets))
            .select_related("organization").order_by("organization__code", "email"))


# --- the job ---------------------------------------------------------------------------------


@job_runner(JOB_KIND, visible=access.notice_job_visible_to)
def run_round_notice(ctx: JobContext) -> None:
    """Tell each officer not yet told; record each outcome (sent / failed / skipped) and audit it."""
    job = ctx.job
    users = list(recipients(job.round))
    ctx.set_total(len(users))
    targets = {t.organization_id: t for t in RoundTarget.objects.filter(round=job.round).select_related("organization")}
    connection = get_connection()
    for user in users:
        key = f"{user.organization.code}:{user.pk}"
        if ctx.is_done(key):
            continue
        with transaction.atomic():
            ctx.record(key, notify_one(job=job, target=targets[user.organization_id], user=user,
                                       connection=connection))
            ctx.checkpoint()
    counts = {status: sum(e.get("status") == status for e in ctx.entries) for status in OUTCOME_LABELS}
    ctx.message(f"送信 {counts['sent']} 件、送信失敗 {counts['failed']} 件、送信せず {counts['skipped']} 件。",
                level="error" if counts["failed"] else "info")


def notify_one(*, job: Job, target: RoundTarget, user: User, connection=None) -> dict:
    """Tell one officer, at most once per (round, organisation, officer); call inside a transaction.

    The RoundNotice row is inserted before the mail is handed over and committed with it by the
    caller, so nobody else can tell the same officer meanwhile (they wait on the row, then skip).
    """
    round, org = job.round, target.organization
    entry = {"org": org.code, "org_name": org.display_name, "user": user.pk, "email": user.email}
    if round.status != RoundStatus.OPEN:
        return {**entry, "status": "skipped", "reason": "not_open"}
    if not user.is_active or user.organization_id != org.pk:
        return {**entry, "status": "skipped", "reason": "inactive"}
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the caller's transaction usable
            notice = RoundNotice.objects.create(round=round, organization=org, user=user, email=user.email,
                                                status=RoundNotice.Status.SENT, job=job)
    except IntegrityError:
        return {**entry, "status": "skipped", "reason": "already"}
    target.round = round
    subject, body = notice_message(target=target, user=user, sender=job.created_by)
    try:
        send_mail(subject, body, None, [user.email], connection=connection)
    except Exception as exc:  # one refused address must not stop the others
        notice.status, notice.error = RoundNotice.Status.FAILED, f"{type(exc).__name__}: {exc}"[:300]
        notice.save(update_fields=["status", "error"])
        _reset(connection)
    audit(Action.ROUND_CHANGE, actor=job.created_by, organization=org,
          target=f"round:{round.pk}/notices/job:{job.pk}", change="notice_sent", outcome=notice.status,
          recipient=user.email, error=notice.error)
    return {**entry, "status": notice.status, **({"error": notice.error} if notice.error else {})}


def _reset(connection) -> None:
    try:
        if connection is not None:
            connection.close()
    except Exception:  # noqa: BLE001 - closing a broken connection may fail too
        pass


def notice_message(*, target: RoundTarget, user: User, sender: User | None) -> tuple[str, str]:
    """(subject, body) of the notice to `user`, an officer of the target (its effective deadline)."""
    base = settings.PORTAL_BASE_URL.rstrip("/")
    round, org = target.round, target.organization
    context = {
        "round": round, "organization": org, "user": user, "deadline": target.effective_deadline,
        "extended": target.is_extended, "sender_organization": sender_organization(sender),
        "login_url": base + reverse("login"),
        "response_url": base + reverse("response_detail", kwargs={"round_id": round.pk, "org_code": org.code}),
    }
    return (render_mail_text("rounds/email/notice_subject.txt", context).strip(),
            render_mail_text("rounds/email/notice.txt", context))


# --- who was told, who cannot be -------------------------------------------------------------


@dataclass
class PrefectureNoContact:
    prefecture_code: str
    prefecture_name: str
    targets: list[RoundTarget] = field(default_factory=list)


def notices_for(*, round: Round, user: User) -> QuerySet[RoundNotice]:
    """The notices sent for the round within the user's scope (PermissionDenied for a municipality)."""
    scope = access.dashboard_scope(user)
    return (RoundNotice.objects.filter(round=round, organization__in=scope.organizations(
        access.organizations_visible_to(user))).select_related("organization", "user"))


def no_contact_by_prefecture(*, round: Round, user: User) -> list[PrefectureNoContact]:
    """Targets in the user's scope without any active officer, grouped by prefecture (code order)."""
    scope = access.dashboard_scope(user)
    officers = access.organization_contacts().filter(organization_id=OuterRef("organization_id"))
    targets = (scope.targets(RoundTarget.objects.filter(round=round,
                                                        organization__in=access.organizations_visible_to(user)))
               .exclude(Exists(officers)).select_related("organization").order_by("organization__code"))
    groups: dict[str, PrefectureNoContact] = {}
    for target in targets:
        org = target.organization
        groups.setdefault(org.prefecture_code, PrefectureNoContact(org.prefecture_code, org.prefecture_name)
                          ).targets.append(target)
    return list(groups.values())


def notice_jobs(*, round: Round, user: User) -> QuerySet[Job]:
    """The round's notice jobs the user may open, newest first."""
    jobs = Job.objects.filter(kind=JOB_KIND, round=round).order_by("-created_at", "-id")
    return jobs if access.can_publish_rounds(user) else jobs.none()


