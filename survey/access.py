"""Access helpers: every organisation-scoped fetch goes through here.

An organisation's data is reachable only by its own officers, the officers of its prefecture
and ministry staff / administrators. A fetch the user may not make answers 404, so that the
existence of another organisation's data is not revealed either.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from survey.models import Organization, OrgKind, Response, Role, Round, RoundTarget, User

PREFECTURE_CODES = frozenset(f"{n:02d}" for n in range(1, 48))


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


# --- scope -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a dashboard counts: one prefecture or the country ('') and optionally one org type.

    `locked` is True for a prefecture officer, whose prefecture cannot be widened by a filter.
    """

    prefecture: str = ""
    kind: str = ""
    locked: bool = False

    @property
    def key(self) -> str:
        return f"{self.prefecture or 'all'}:{self.kind or 'all'}"

    def facts(self, qs: QuerySet) -> QuerySet:
        """Facts (live or snapshot) of this scope; both carry prefecture_code and org_kind."""
        return qs.filter(**self._filters("prefecture_code", "org_kind"))

    def responses(self, qs: QuerySet) -> QuerySet:
        return qs.filter(**self._filters("prefecture_code", "org_kind"))

    def targets(self, qs: QuerySet) -> QuerySet:
        return qs.filter(**self._filters("organization__prefecture_code", "organization__kind"))

    def widened(self) -> Scope:
        """The same scope without the prefecture filter (for the country map), unless locked."""
        return self if self.locked else Scope(kind=self.kind)

    def _filters(self, pref_field: str, kind_field: str) -> dict[str, str]:
        filters = {}
        if self.prefecture:
            filters[pref_field] = self.prefecture
        if self.kind:
            filters[kind_field] = self.kind
        return filters


def dashboard_scope(user: User, *, prefecture: str = "", kind: str = "") -> Scope:
    """The scope `user` may see, narrowed by the requested filters.

    The same rule as survey.access.organizations_visible_to, seen from a dashboard: ministry
    staff and administrators see the country, a prefecture officer their prefecture, and a
    municipal officer no dashboard at all (403). Asking for another prefecture, or for a code
    that is no prefecture, answers 404; an unknown type is ignored.
    """
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied
    if user.role in (Role.MINISTRY, Role.ADMIN):
        own = ""
    elif user.is_prefecture_officer:
        own = user.organization.prefecture_code
    else:
        raise PermissionDenied("集計画面は省庁職員と都道府県の担当者のみ利用できます。")
    if prefecture and (prefecture not in PREFECTURE_CODES or (own and prefecture != own)):
        raise Http404
    kind = kind if kind in OrgKind.values else ""
    return Scope(prefecture=prefecture or own, kind=kind, locked=bool(own))
