from django.conf import settings
from django.db import models
from django.utils import timezone


class Job(models.Model):
    """Long work (bulk export, bulk import, aggregate workbook) as a row with status and progress.

    The Celery task only loads the row by id and calls the runner registered for its kind
    (survey.jobs.run_job); the web shows progress from the row.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待機中"
        RUNNING = "running", "実行中"
        DONE = "done", "完了"
        FAILED = "failed", "失敗"

    kind = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    round = models.ForeignKey("survey.Round", null=True, blank=True, on_delete=models.PROTECT, related_name="jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    params = models.JSONField(default=dict, blank=True)
    progress = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    messages = models.JSONField(default=list, blank=True)
    result = models.JSONField(default=dict, blank=True)
    result_path = models.CharField(max_length=500, blank=True)
    result_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.progress / self.total) if self.total else (100 if self.status == "done" else 0)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
