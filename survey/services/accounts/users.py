"""Deactivating and reactivating a user (audited, atomic)."""


from django.core.exceptions import ValidationError
from django.db import transaction

from survey.audit import Action, audit
from survey.models import User


@transaction.atomic
def user_deactivate(*, user: User, acting_user: User, request=None) -> None:
    """Deactivate `user`; their sessions end at once (the backend refuses inactive users)."""
    if user.pk == acting_user.pk:
        raise ValidationError("自分自身のアカウントは無効化できません。", code="self_deactivate")
    if not user.is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit(Action.ACCOUNT_DEACTIVATE, actor=acting_user, request=request, organization=user.organization,
          target=user.email, user_id=user.pk)


@transaction.atomic
def user_reactivate(*, user: User, acting_user: User, request=None) -> None:
    """Allow `user` to log in again."""
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit(Action.ACCOUNT_CHANGE, actor=acting_user, request=request, organization=user.organization,
          target=user.email, user_id=user.pk, change="reactivated")
