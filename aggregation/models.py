"""Frozen figures (snapshots) of a round. Written only by aggregation.services.snapshot_create."""
from django.conf import settings
from django.db import models
from django.utils import timezone


class Snapshot(models.Model):
    """A round's figures frozen at one moment: the response versions counted and their facts.

    `content_sha256` is computed over the counted versions (ids and answers), so a workbook
    rebuilt later from the snapshot can be shown to rest on exactly the same answers.
    """

    round = models.ForeignKey("survey.Round", on_delete=models.PROTECT, related_name="snapshots")
    label = models.CharField("名称", max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("確定日時", default=timezone.now)
    content_sha256 = models.CharField("内容ハッシュ（SHA-256）", max_length=64)
    response_count = models.PositiveIntegerField("集計対象の回答数")
    target_count = models.PositiveIntegerField("確定時点の調査対象団体数")
    fact_count = models.PositiveIntegerField("集計行数")
    # The snapshot taken when the round was finalised (締切 → 確定); reopening leaves it as it was.
    finalises = models.BooleanField("調査回の確定", default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "集計の確定"

    def __str__(self) -> str:
        return f"{self.label}（{self.created_at:%Y-%m-%d %H:%M}）"


class SnapshotVersion(models.Model):
    """One response version counted by a snapshot (at most one per response)."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="versions")
    response = models.ForeignKey("survey.Response", on_delete=models.PROTECT, related_name="snapshot_entries")
    version = models.ForeignKey("survey.ResponseVersion", on_delete=models.PROTECT, related_name="+")
    prefecture_code = models.CharField(max_length=2)
    org_kind = models.CharField(max_length=20)
    # The response's state when frozen: 提出済, 差し戻し中 or 承認済 (survey.models.ResponseState).
    state = models.CharField(max_length=12, default="submitted", choices=[
        ("submitted", "提出済"), ("returned", "差し戻し中"), ("approved", "承認済")])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "response"], name="snapshot_version_one_per_response"),
        ]

    def __str__(self) -> str:
        return f"snapshot {self.snapshot_id}: version {self.version_id}"


class SnapshotFact(models.Model):
    """survey.AnswerFact as it stood when the snapshot was taken (same columns + snapshot)."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="facts")
    # No database constraints on these three: the rows are copied from AnswerFact (whose keys the
    # database checked) for versions that SnapshotVersion holds with real constraints, and the
    # deferred per-row checks made freezing 1 M facts take minutes instead of seconds.
    round = models.ForeignKey("survey.Round", on_delete=models.PROTECT, related_name="+", db_constraint=False)
    response = models.ForeignKey("survey.Response", on_delete=models.PROTECT, related_name="+", db_constraint=False)
    version = models.ForeignKey("survey.ResponseVersion", on_delete=models.PROTECT, related_name="+",
                                db_constraint=False)
    prefecture_code = models.CharField(max_length=2)
    org_kind = models.CharField(max_length=20)
    item = models.CharField(max_length=20)
    option = models.CharField(max_length=10, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["snapshot", "item", "option"]),
            models.Index(fields=["snapshot", "prefecture_code", "item", "option"]),
        ]

    def __str__(self) -> str:
        return f"snapshot {self.snapshot_id}: {self.item}={self.option}"
