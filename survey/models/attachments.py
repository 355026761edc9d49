from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AttachmentPurpose(models.TextChoices):
    FOLLOWUP = "followup", "概要の添付資料"
    PROCEDURE_DOCUMENT = "procedure_document", "事務取扱要領等"


class Attachment(models.Model):
    """A file an organisation submits with its response: an outline for a follow-up, or a procedure document.

    The bytes live in private storage under a random name (`stored_path`). Removal is recorded
    (`removed_at`, `removed_by`), never a deleted row: versions refer to what they counted. The
    file itself is deleted on removal unless a submitted version counted it (`file_deleted_at`;
    the rule is in survey/services/attachments.py).
    """

    response = models.ForeignKey("survey.Response", on_delete=models.PROTECT, related_name="attachments")
    purpose = models.CharField(max_length=20, choices=AttachmentPurpose.choices)
    followup_key = models.CharField(max_length=40, blank=True, help_text="例: 10:概要（purpose=followup のとき）")
    original_name = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=500)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100, help_text="内容から判定した形式")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file_deleted_at = models.DateTimeField(null=True, blank=True, help_text="保存領域からファイルを削除した日時")
    # The versions saved while this file was attached: what each version counted.
    versions = models.ManyToManyField("survey.ResponseVersion", related_name="attachments", blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "purpose", "followup_key", "sha256"], condition=Q(removed_at__isnull=True),
                name="attachment_unique_live_file",
            ),
            models.CheckConstraint(
                condition=Q(purpose="followup", followup_key__gt="") | Q(purpose="procedure_document", followup_key=""),
                name="attachment_followup_key_matches_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response} {self.purpose} {self.original_name}"

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    @property
    def is_stored(self) -> bool:
        """The file is still in private storage (it may be downloaded)."""
        return self.file_deleted_at is None
