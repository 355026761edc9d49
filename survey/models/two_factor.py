from django.conf import settings
from django.db import models
from django.utils import timezone

from .accounts import Role

# Roles that may never sign in with a password alone (政府統一基準: privileged access needs
# more than one factor). The policy page cannot make a second factor optional for them.
PRIVILEGED_ROLES = frozenset({Role.MINISTRY, Role.ADMIN})


class TwoFactorPolicy(models.Model):
    """Whether the users of one role must sign in with a second factor.

    A role without a row follows the default: required for the privileged roles, optional for
    officers. Changed only through survey.services.two_factor.two_factor_policy_set (audited).
    """

    role = models.CharField("役割", max_length=10, choices=Role.choices, unique=True)
    required = models.BooleanField("二要素認証を必須にする", default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["role"]
        verbose_name = verbose_name_plural = "二要素認証の方針"

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {'必須' if self.required else '任意'}"

    @staticmethod
    def default_for(role: str) -> bool:
        return role in PRIVILEGED_ROLES
