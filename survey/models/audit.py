from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


class AuditLog(models.Model):
    """Who did what, when and from where. Append-only (PostgreSQL also refuses UPDATE/DELETE)."""

    class Action(models.TextChoices):
        LOGIN = "login", "ログイン"
        LOGIN_FAILED = "login_failed", "ログイン失敗"
        LOGOUT = "logout", "ログアウト"
        VIEW_RESPONSE = "view_response", "回答の閲覧"
        SAVE_DRAFT = "save_draft", "下書き保存"
        SUBMIT = "submit", "提出"
        REOPEN = "reopen", "再編集"
        UPLOAD = "upload", "回答シートのアップロード"
        IMPORT = "import", "回答シートの一括取込"
        EXPORT = "export", "エクスポート"
        DOWNLOAD = "download", "ダウンロード"
        ATTACH = "attach", "添付ファイルの追加"
        DETACH = "detach", "添付ファイルの削除"
        REMINDER = "reminder", "督促メール"
        DELEGATION = "delegation", "代理回答の設定"
        ACCOUNT_CREATE = "account_create", "アカウント作成"
        ACCOUNT_CHANGE = "account_change", "アカウント変更"
        ACCOUNT_DEACTIVATE = "account_deactivate", "アカウント無効化"
        SESSIONS_ENDED = "sessions_ended", "セッションの強制終了"
        PASSWORD_SET = "password_set", "パスワード設定"
        ROUND_CHANGE = "round_change", "調査回の変更"
        MASTER_CHANGE = "master_change", "団体マスタの変更"
        SNAPSHOT = "snapshot", "集計の確定"
        TWO_FACTOR_ENROL = "two_factor_enrol", "二要素認証の登録"
        TWO_FACTOR_VERIFIED = "two_factor_verified", "二要素認証の確認"
        TWO_FACTOR_FAILED = "two_factor_failed", "二要素認証の失敗"
        RECOVERY_CODE_USED = "recovery_code_used", "リカバリーコードの使用"
        RECOVERY_CODES_NEW = "recovery_codes_new", "リカバリーコードの再発行"
        TWO_FACTOR_REMOVED = "two_factor_removed", "二要素認証の解除"
        TWO_FACTOR_RESET = "two_factor_reset", "二要素認証のリセット"
        TWO_FACTOR_POLICY = "two_factor_policy", "二要素認証の方針変更"
        REVIEW_APPROVE = "review_approve", "回答の承認"
        REVIEW_RETURN = "review_return", "回答の差し戻し"
        REVIEW_REOPEN = "review_reopen", "承認の取り消し"
        REVIEW_COMMENT = "review_comment", "差し戻しコメント"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=30, choices=Action.choices)
    organization = models.ForeignKey("survey.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")
