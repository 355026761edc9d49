from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

DEFAULT_OFFSETS = [7, 3, 1]


class ReminderSchedule(models.Model):
    """When a round's scheduled reminders go out: days before each organisation's effective deadline.

    A round without a row uses DEFAULT_OFFSETS (survey.services.scheduled_reminders.offsets_of).
    """

    round = models.OneToOneField("survey.Round", on_delete=models.CASCADE, related_name="reminder_schedule")
    offsets = models.JSONField("期限の何日前", default=list, help_text="大きい順の日数（例: [7, 3, 1]）")
    digest = models.BooleanField("都道府県に毎日の状況を送る", default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.round_id}: {self.offsets}"


class ScheduledReminder(models.Model):
    """One scheduled mail: a step's reminder to an organisation, or a day's digest to a prefecture.

    The row is the claim: it is inserted before anything is sent, and the unique constraints
    (round, organisation, step) and (round, prefecture, day) make a second claim fail, whoever
    makes it (another tick, a restarted beat, a second worker). The row then records the outcome.
    """

    class Kind(models.TextChoices):
        STEP = "step", "督促"
        DIGEST = "digest", "都道府県への状況通知"

    class Status(models.TextChoices):
        PENDING = "pending", "送信待ち"
        SENDING = "sending", "送信中"
        SENT = "sent", "送信済"
        FAILED = "failed", "送信失敗"
        SKIPPED = "skipped", "送信せず"
        INTERRUPTED = "interrupted", "送信中に中断"

    round = models.ForeignKey("survey.Round", on_delete=models.CASCADE, related_name="scheduled_reminders")
    organization = models.ForeignKey("survey.Organization", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    step = models.PositiveSmallIntegerField(null=True, blank=True, help_text="期限の何日前の督促か")
    day = models.DateField(null=True, blank=True, help_text="都道府県への状況通知の日")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=20, blank=True, choices=[
        ("done", "送信前に提出されました"), ("closed", "回答受付が終了しました"),
        ("superseded", "次の督促の時期になりました"), ("no_contact", "有効な担当者の登録がありません"),
    ])
    state = models.CharField(max_length=20, blank=True, help_text="送信時の回答の状態（督促）")
    recipients = models.JSONField(default=list, blank=True, help_text="[{name, email}] 送信時の有効な担当者")
    error = models.CharField(max_length=300, blank=True)
    deadline = models.DateTimeField(null=True, blank=True, help_text="送信時の団体の回答期限")
    owner = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(default=timezone.now)
    attempted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["round", "kind", "-step", "day", "organization__code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "organization", "step"], condition=Q(kind="step"),
                                    name="scheduled_reminder_once_per_step"),
            models.UniqueConstraint(fields=["round", "organization", "day"], condition=Q(kind="digest"),
                                    name="scheduled_digest_once_per_day"),
            models.CheckConstraint(
                condition=(Q(kind="step", step__isnull=False, day__isnull=True)
                           | Q(kind="digest", step__isnull=True, day__isnull=False)),
                name="scheduled_reminder_step_or_day"),
        ]
        indexes = [models.Index(fields=["status", "round"])]

    def __str__(self) -> str:
        key = f"step {self.step}" if self.kind == self.Kind.STEP else f"digest {self.day}"
        return f"{self.round_id}/{self.organization_id} {key}: {self.status}"
