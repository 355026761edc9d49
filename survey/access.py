"""Access helpers: every organisation-scoped fetch goes through here.

An organisation's data is reachable only by its own officers, the officers of its prefecture
and ministry staff / administrators. A fetch the user may not make answers 404, so that the
existence of another organisation's data is not revealed either.
"""
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from survey.models import Organization, Response, Round, RoundTarget, User


def organizations_visible_to(user: User) -> QuerySet[Organization]:
    """The organisations whose responses `user` may read."""
    qs = Organization.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.sees_whole_country:
        return qs
    if not user.is_officer or user.organization is None:
        return qs.none()
    org = user.organization
    if org.is_prefecture:
        return qs.filter(prefecture_code=org.prefecture_code)
    return qs.filter(pk=org.pk)


def can_view_organization(user: User, org: Organization) -> bool:
    """True if `user` may read `org`'s responses."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.sees_whole_country:
        return True
    own = user.organization if user.is_officer else None
    if own is None:
        return False
    if own.pk == org.pk:
        return True
    return own.is_prefecture and own.prefecture_code == org.prefecture_code


def can_answer_for(user: User, target: RoundTarget) -> bool:
    """True if `user` may write `target`'s response: its own officers, or its prefecture when delegated."""
    if not user.is_authenticated or not user.is_active or not user.is_officer or user.organization is None:
        return False
    own, org = user.organization, target.organization
    if own.pk == org.pk:
        return True
    return target.delegated and own.is_prefecture and own.prefecture_code == org.prefecture_code


def can_manage_delegation(user: User, target: RoundTarget) -> bool:
    """The prefecture (or an administrator) marks a municipality as answered by the prefecture."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_portal_admin:
        return True
    own = user.organization if user.is_officer else None
    return bool(
        own and own.is_prefecture and not target.organization.is_prefecture
        and own.prefecture_code == target.organization.prefecture_code
    )


def round_get_for_user(user: User, round_id: int) -> Round:
    """A round the user may see: officers only see rounds their organisation (or prefecture) is in."""
    try:
        rnd = Round.objects.select_related("survey").get(pk=round_id)
    except Round.DoesNotExist:
        raise Http404 from None
    if user.sees_whole_country:
        return rnd
    if not rnd.targets.filter(organization__in=organizations_visible_to(user)).exists():
        raise Http404
    return rnd


def target_get_for_user(user: User, round_id: int, org_code: str, *, for_write: bool = False) -> RoundTarget:
    """The round target of `org_code`, if `user` may read it (and write it, with for_write)."""
    try:
        target = RoundTarget.objects.select_related("round__survey", "organization").get(
            round_id=round_id, organization__code=org_code
        )
    except RoundTarget.DoesNotExist:
        raise Http404 from None
    if not can_view_organization(user, target.organization):
        raise Http404
    if for_write and not can_answer_for(user, target):
        raise PermissionDenied("この団体の回答を編集する権限がありません。")
    return target


def response_get_for_user(user: User, round_id: int, org_code: str, *, for_write: bool = False) -> Response | None:
    """The response of `org_code` in the round (None when not started), through the same checks."""
    return response_of(target_get_for_user(user, round_id, org_code, for_write=for_write))


def response_of(target: RoundTarget) -> Response | None:
    """The response of a target already fetched through target_get_for_user (None when not started)."""
    return (
        Response.objects.select_related("current_version", "submitted_version")
        .filter(round_id=target.round_id, organization_id=target.organization_id)
        .first()
    )
