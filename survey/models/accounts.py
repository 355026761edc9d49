import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac


class Role(models.TextChoices):
    OFFICER = "officer", "団体担当者"
    MINISTRY = "ministry", "省庁職員"
    ADMIN = "admin", "管理者"


def normalise_email(email: str) -> str:
    """E-mail addresses are stored and compared in lower case."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with one role; officers belong to exactly one organisation."""

    email = models.EmailField("メールアドレス", unique=True)
    name = models.CharField("氏名", max_length=100)
    role = models.CharField("役割", max_length=10, choices=Role.choices, default=Role.OFFICER)
    organization = models.ForeignKey(
        "survey.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="officers"
    )
    is_active = models.BooleanField("有効", default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Part of the session hash: changing it ends every session of the user at once.
    session_key_salt = models.UUIDField(default=uuid.uuid4)

    objects = UserManager()
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["email"]
        verbose_name = verbose_name_plural = "利用者"
        constraints = [
            models.CheckConstraint(
                condition=Q(role="officer", organization__isnull=False) | ~Q(role="officer"),
                name="officer_has_organization",
            ),
            # One account per address whatever its case; the database decides concurrent registrations.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def get_session_auth_hash(self):
        """Session hash over the password and a salt the administrator can rotate."""
        return salted_hmac(
            "survey.User.get_session_auth_hash",
            f"{self.password}:{self.session_key_salt}",
            algorithm="sha256",
        ).hexdigest()

    @property
    def is_officer(self) -> bool:
        return self.role == Role.OFFICER

    @property
    def is_ministry(self) -> bool:
        return self.role == Role.MINISTRY

    @property
    def is_portal_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_prefecture_officer(self) -> bool:
        return self.is_officer and self.organization is not None and self.organization.is_prefecture

    @property
    def sees_whole_country(self) -> bool:
        return self.role in (Role.MINISTRY, Role.ADMIN)
