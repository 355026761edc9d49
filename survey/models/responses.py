from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", "下書き"
    SUBMITTED = "submitted", "提出済"


class ReviewState(models.TextChoices):
    """A reviewer's decision on a submitted response ('' while none is pending: 提出済)."""

    NONE = "", "なし"
    RETURNED = "returned", "差し戻し中"
    APPROVED = "approved", "承認済"


class ResponseState(models.TextChoices):
    """Where a response stands, for status lists, dashboards, reminders and snapshots.

    Derived from Response.status and Response.review (survey.selectors.response_state and
    `state_expression` for the database); never stored on its own.
    """

    NOT_STARTED = "not_started", "未着手"
    DRAFT = "draft", "下書き"
    SUBMITTED = "submitted", "提出済"
    RETURNED = "returned", "差し戻し中"
    APPROVED = "approved", "承認済"


# Done for reminders and "submitted" counts; 差し戻し中 is not done (campaign.md, Response).
DONE_STATES = frozenset({ResponseState.SUBMITTED, ResponseState.APPROVED})


class VersionSource(models.TextChoices):
    """The channel a version came through (survey.services.versions: one path for all of them)."""

    WEB = "web", "画面入力"
    SHEET_UPLOAD = "sheet_upload", "回答シート（団体）"
    BULK_IMPORT = "bulk_import", "回答シート（一括取込）"
    COMMAND = "command", "コマンド"
    API = "api", "API"
    CARRYOVER = "carryover", "前回の回答から引継ぎ"


class Response(models.Model):
    """The answer of one organisation to one round; its history is in ResponseVersion."""

    round = models.ForeignKey("survey.Round", on_delete=models.PROTECT, related_name="responses")
    organization = models.ForeignKey("survey.Organization", on_delete=models.PROTECT, related_name="responses")
    # Copied from the organisation so that roll-ups can group without a join.
    prefecture_code = models.CharField(max_length=2, db_index=True)
    org_kind = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.DRAFT)
    current_version = models.ForeignKey(
        "survey.ResponseVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_version = models.ForeignKey(
        "survey.ResponseVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The number of the newest version (0 before the first): every version is numbered revision + 1
    # and the response then points at it (survey.services.versions.response_point), so the next
    # number needs no query. A save that started from an older revision is a conflict.
    revision = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    risk_level = models.CharField(max_length=10, blank=True)
    # Next round: the previous round's version the first draft was carried over from.
    carried_from = models.ForeignKey(
        "survey.ResponseVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The review of the submitted version (survey.services.review); a new submission clears it.
    review = models.CharField(max_length=10, choices=ReviewState.choices, blank=True, default=ReviewState.NONE)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    # Whether a return ever opened a comment thread (threads stay, closed, after it): the answering
    # pages read the threads only then (most responses are never returned).
    has_review_threads = models.BooleanField(default=False)

    class Meta:
        ordering = ["organization__code"]
        constraints = [models.UniqueConstraint(fields=["round", "organization"], name="response_unique_per_round")]
        indexes = [models.Index(fields=["round", "status", "prefecture_code"])]

    def __str__(self) -> str:
        return f"{self.round_id}/{self.organization_id}"


class ResponseVersion(models.Model):
    """One saved state of a response. Versions are never changed or deleted."""

    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=ResponseStatus.choices)
    answers = models.JSONField(default=dict)
    respondent = models.JSONField(default=dict)
    risk_level = models.CharField(max_length=10, blank=True)
    risk_rules = models.JSONField(default=list)
    source = models.CharField(max_length=20, choices=VersionSource.choices, default=VersionSource.WEB)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    acting_organization = models.ForeignKey(
        "survey.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="回答操作を行った利用者の団体（代理回答なら都道府県）",
    )
    created_at = models.DateTimeField(default=timezone.now)
    cleared_items = models.JSONField(default=list, help_text="分岐で対象外になり消去された項目")
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_path = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["response", "number"]
        constraints = [
            models.UniqueConstraint(fields=["response", "number"], name="response_version_number_unique"),
            # A file is kept once as a draft and once as a submission: a sheet an officer uploaded
            # as a draft can still be imported (counted) by an administrator, once.
            models.UniqueConstraint(
                fields=["response", "file_sha256", "status"], condition=~Q(file_sha256=""),
                name="response_version_file_unique_per_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response} v{self.number}"

    @property
    def is_proxy(self) -> bool:
        """True when someone of another organisation (the prefecture) acted for this one."""
        return self.acting_organization_id not in (None, self.response.organization_id)


class AnswerFact(models.Model):
    """One counted answer of a submitted response, flattened for roll-ups grouped in the database.

    Kept current by the submission service: one row per applicable item (option code, or '' when
    left unanswered) and one row per mark of a multi-select item. Items that do not apply have no row.
    """

    round = models.ForeignKey("survey.Round", on_delete=models.CASCADE, related_name="+")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="facts")
    version = models.ForeignKey(ResponseVersion, on_delete=models.CASCADE, related_name="+")
    prefecture_code = models.CharField(max_length=2)
    org_kind = models.CharField(max_length=20)
    item = models.CharField(max_length=20)
    option = models.CharField(max_length=10, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["round", "item", "option"]),
            models.Index(fields=["round", "prefecture_code", "item", "option"]),
        ]

    def __str__(self) -> str:
        return f"{self.response_id} {self.item}={self.option or '（未回答）'}"


class ReviewThread(models.Model):
    """A reviewer's comment thread on a response: about an item (`7-2`), a respondent field
    (`電話番号`) or the whole response (anchor ''). Closed when the response is resubmitted;
    threads and their comments are never deleted."""

    class Anchor(models.TextChoices):
        ITEM = "item", "設問"
        FIELD = "field", "回答者情報"
        RESPONSE = "response", "回答全体"

    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="review_threads")
    anchor_kind = models.CharField(max_length=10, choices=Anchor.choices)
    anchor = models.CharField(max_length=40, blank=True)
    version = models.ForeignKey(ResponseVersion, on_delete=models.PROTECT, related_name="+",
                                help_text="差し戻したときの提出版")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_version = models.ForeignKey(ResponseVersion, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+", help_text="再提出でこのスレッドを閉じた版")

    class Meta:
        ordering = ["response", "opened_at", "id"]
        indexes = [models.Index(fields=["response", "closed_at"])]

    def __str__(self) -> str:
        return f"{self.response} {self.anchor_kind}:{self.anchor}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class ReviewComment(models.Model):
    """One message of a review thread (the reviewer's first comment, then replies)."""

    thread = models.ForeignKey(ReviewThread, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_organization = models.ForeignKey("survey.Organization", null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="+", help_text="投稿者の団体（省庁職員は空）")
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["thread", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.thread_id} {self.created_at:%Y-%m-%d %H:%M}"
