from functools import cached_property

from django.db import models
from django.utils import timezone


class SurveyVersion(models.Model):
    """One version of a survey definition file, loaded into the database as JSON."""

    code = models.CharField(max_length=50)
    version = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    definition = models.JSONField()
    sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code", "version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="survey_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"

    @cached_property
    def engine(self):
        """The definition as the engine's frozen dataclasses (survey.engine.Definition).

        A loaded version never changes (survey.services.rounds.survey_version_load; a migration
        that rewrites one recomputes its sha256), so its Definition is read once per process and
        shared by every request: what is derived from it and cached per Definition object (the
        questionnaire's HTML parts) is then built once per version too."""
        from survey.engine import definition_from_dict

        if self.pk is None:
            return definition_from_dict(self.definition)
        key = (self.pk, self.code, self.version, self.sha256)
        defn = _ENGINES.get(key)
        if defn is None:
            defn = _ENGINES[key] = definition_from_dict(self.definition)
            while len(_ENGINES) > _ENGINES_KEPT:
                _ENGINES.pop(next(iter(_ENGINES)))
        return defn


# The Definitions read in this process, oldest first (see SurveyVersion.engine).
_ENGINES: dict[tuple, object] = {}
_ENGINES_KEPT = 16


class RoundStatus(models.TextChoices):
    DRAFT = "draft", "準備中"
    OPEN = "open", "回答受付中"
    CLOSED = "closed", "締切"
    FINALISED = "finalised", "確定"  # figures frozen by a snapshot; officers read only


class Round(models.Model):
    """A survey round (調査回): a survey version, a deadline, its targets and the ministry's fields."""

    survey = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="rounds")
    title = models.CharField("調査回名", max_length=200)
    deadline = models.DateTimeField("回答期限")
    status = models.CharField("状態", max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    scheme = models.CharField("制度等", max_length=200)
    attribute = models.CharField("属性", max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    # The round this one was started from (next round): answers carry over, dashboards compare.
    previous_round = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_rounds",
        verbose_name="前回の調査回",
    )

    class Meta:
        ordering = ["-deadline", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN and timezone.now() <= self.deadline

    @property
    def days_left(self) -> int:
        return (timezone.localdate(self.deadline) - timezone.localdate()).days


class RoundTarget(models.Model):
    """An organisation asked to answer a round, with the ministry-filled fields."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="targets")
    organization = models.ForeignKey("survey.Organization", on_delete=models.PROTECT, related_name="targets")
    attribute = models.CharField("属性", max_length=500, blank=True, help_text="空なら調査回の属性")
    delegated = models.BooleanField(
        "都道府県が代理回答", default=False, help_text="条例等で事務を委任しており、都道府県が回答する"
    )
    # A per-organisation extension (期限の延長): later than the round's deadline only, granted by
    # the ministry with a reason (survey.services.rounds.target_extend, audited).
    extended_deadline = models.DateTimeField("延長後の回答期限", null=True, blank=True)
    extension_reason = models.TextField("延長の理由", blank=True)
    extension_granted_by = models.ForeignKey(
        "survey.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="延長した人"
    )
    extension_granted_at = models.DateTimeField("延長した日時", null=True, blank=True)

    class Meta:
        ordering = ["organization__code"]
        constraints = [models.UniqueConstraint(fields=["round", "organization"], name="round_target_unique")]

    def __str__(self) -> str:
        return f"{self.round} / {self.organization}"

    @property
    def effective_attribute(self) -> str:
        return self.attribute or self.round.attribute

    @property
    def is_extended(self) -> bool:
        """An extension later than the round's deadline is in force (a later round deadline voids it)."""
        return self.extended_deadline is not None and self.extended_deadline > self.round.deadline

    @property
    def effective_deadline(self):
        """This organisation's deadline: its extension when later than the round's, else the round's.

        Everything that says "deadline" to an organisation (pages, sheets, reminders, the save
        and upload checks) reads this, never `round.deadline`.
        """
        return self.extended_deadline if self.is_extended else self.round.deadline

    @property
    def accepts_answers(self) -> bool:
        """Officers may save and upload now: the round is open (or closed, for an extended
        organisation) and this organisation's effective deadline has not passed."""
        status = self.round.status
        if status == RoundStatus.OPEN:
            return timezone.now() <= self.effective_deadline
        if status == RoundStatus.CLOSED:
            return self.is_extended and timezone.now() <= self.extended_deadline
        return False

    @property
    def days_left(self) -> int:
        """Whole days until the effective deadline (negative once it passed)."""
        return (timezone.localdate(self.effective_deadline) - timezone.localdate()).days


class RoundNotice(models.Model):
    """One officer told that a round was published (公開のお知らせ): sent once per (round, org, officer).

    The unique constraint is what makes it once: the row is inserted in the same transaction
    that hands the mail over, so a second worker (a redelivered job) waits for it and then
    finds it; a worker that dies before the commit leaves no row, and the resumed job sends it.
    """

    class Status(models.TextChoices):
        SENT = "sent", "送信済"
        FAILED = "failed", "送信失敗"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="notices")
    organization = models.ForeignKey("survey.Organization", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey("survey.User", on_delete=models.PROTECT, related_name="+")
    email = models.EmailField("送信先")
    status = models.CharField("結果", max_length=10, choices=Status.choices)
    error = models.CharField("エラー", max_length=300, blank=True)
    at = models.DateTimeField("送信日時", default=timezone.now)
    job = models.ForeignKey("survey.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["organization__code", "email"]
        constraints = [models.UniqueConstraint(fields=["round", "organization", "user"], name="round_notice_once")]

    def __str__(self) -> str:
        return f"{self.round_id} / {self.organization_id} / {self.email}"
