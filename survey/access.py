"""Access: every role and scope decision, and every organisation-scoped fetch, lives here.

An organisation's data is reachable only by its own officers, the officers of its prefecture
and ministry staff / administrators. A fetch the user may not make answers 404, so that the
existence of another organisation's data is not revealed either.

Views, selectors, services and jobs never test a role themselves: they ask one of the
decisions below (`can_manage_accounts`, `sees_whole_country`, `job_visible_to`, …), and views
use the decorators of `survey.views.decorators`. A new role touches `Role`, the user
predicates in `survey.models.accounts` and this module only
(tests/security/test_role_checks.py fails naming any other place that reads a role).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from survey.joined import Joined, Part
from survey.models import (
    Organization,
    OrgKind,
    Response,
    ResponseVersion,
    Role,
    Round,
    RoundStatus,
    RoundTarget,
    SurveyVersion,
    User,
)

PREFECTURE_CODES = frozenset(f"{n:02d}" for n in range(1, 48))


# --- roles: what each kind of user may do ------------------------------------------------------


def is_signed_in(user) -> bool:
    """An authenticated, active account (a deactivated one can do nothing)."""
    return bool(user.is_authenticated and user.is_active)


def sees_whole_country(user) -> bool:
    """Ministry staff and administrators: every organisation, the country's dashboards."""
    return is_signed_in(user) and user.sees_whole_country


def can_manage_accounts(user) -> bool:
    """Users, invitations, the officers' import, lock-outs and the audit log: administrators."""
    return is_signed_in(user) and user.is_portal_admin


def can_publish_rounds(user) -> bool:
    """Create, open and close rounds: ministry staff and administrators."""
    return sees_whole_country(user)


def can_reset_two_factor(user) -> bool:
    """Remove another user's second factor (lost phone and codes): administrators."""
    return can_manage_accounts(user)


def can_set_two_factor_policy(user) -> bool:
    """Require a second factor per role: ministry staff and administrators."""
    return sees_whole_country(user)


def can_export_all_sheets(user) -> bool:
    """Build the zip of every target's answer sheet: ministry staff and administrators."""
    return sees_whole_country(user)


def can_import_sheets(user) -> bool:
    """Bulk import of returned answer sheets: administrators."""
    return can_manage_accounts(user)


def can_take_snapshots(user) -> bool:
    """Freeze the aggregation (集計の確定) and list snapshots: ministry staff and administrators."""
    return sees_whole_country(user)


def can_send_reminders(user) -> bool:
    """Remind non-submitters: ministry staff, administrators and prefecture officers."""
    return sees_whole_country(user) or prefecture_of(user) != ""


def can_edit_reminder_schedule(user) -> bool:
    """Change a round's scheduled reminders (steps, digest): ministry staff and administrators."""
    return can_publish_rounds(user)


def may_remind_prefectures(user) -> bool:
    """Prefectures themselves are reminded only from the country's view, never by a prefecture."""
    return sees_whole_country(user)


def own_organization(user) -> Organization | None:
    """The organisation an officer answers for (None for ministry staff and administrators)."""
    if not is_signed_in(user) or not user.is_officer:
        return None
    return user.organization


def prefecture_of(user) -> str:
    """A prefecture officer's prefecture code; '' for anyone else."""
    own = own_organization(user)
    return own.prefecture_code if own is not None and own.is_prefecture else ""


def role_requires_organization(role: str) -> bool:
    """Officers belong to an organisation; ministry staff and administrators to none."""
    return role == Role.OFFICER


def organization_contacts() -> QuerySet[User]:
    """The accounts that answer for an organisation (its active officers), by e-mail."""
    return User.objects.filter(role=Role.OFFICER, is_active=True).order_by("email")


def notice_job_visible_to(user, job) -> bool:
    """A publish-notice job (its status): ministry staff and administrators, who publish rounds."""
    return can_publish_rounds(user)


def job_visible_to(user, job) -> bool:
    """A job's page and file: its creator, and administrators."""
    return is_signed_in(user) and (user.is_portal_admin or job.created_by_id == user.pk)


def jobs_visible_to(user, jobs: QuerySet) -> QuerySet:
    """The jobs of `jobs` the user may open (their own; every one for administrators)."""
    return jobs if can_manage_accounts(user) else jobs.filter(created_by=user)


def exports_visible_to(user, jobs: QuerySet) -> QuerySet:
    """Aggregate exports the user may list: every one from the country's view, else their own."""
    return jobs if sees_whole_country(user) else jobs.filter(created_by=user)


def export_visible_to(user, job) -> bool:
    """One aggregate export: any from the country's view; a prefecture officer's own, of their prefecture."""
    if sees_whole_country(user):
        return True
    own = prefecture_of(user)
    return bool(own) and job.created_by_id == user.pk and job.params.get("prefecture") == own


@dataclass(frozen=True)
class Abilities:
    """What templates may show a user (the template-side view of the decisions above)."""

    whole_country: bool = False
    take_snapshots: bool = False
    send_reminders: bool = False
    manage_accounts: bool = False
    publish_rounds: bool = False
    export_all_sheets: bool = False
    import_sheets: bool = False
    within_prefecture: bool = False  # a prefecture officer: counts read 管内
    two_factor_policy: bool = False
    review: bool = False  # approves / returns some organisations' responses


def abilities(user) -> Abilities:
    """The decisions above, for the templates (`{% if can.take_snapshots %}`)."""
    return Abilities(
        whole_country=sees_whole_country(user), take_snapshots=can_take_snapshots(user),
        send_reminders=can_send_reminders(user), manage_accounts=can_manage_accounts(user),
        publish_rounds=can_publish_rounds(user), export_all_sheets=can_export_all_sheets(user),
        import_sheets=can_import_sheets(user), within_prefecture=bool(prefecture_of(user)),
        two_factor_policy=can_set_two_factor_policy(user), review=reviews_anything(user),
    )


# --- organisations -------------------------------------------------------------------------------


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


def can_review(user: User, organization: Organization) -> bool:
    """Approve, return or reopen `organization`'s response: the ministry (staff and administrators)
    for every organisation, a prefecture officer for its municipalities, never for itself."""
    return reviews_in(user, prefecture_code=organization.prefecture_code, is_prefecture=organization.is_prefecture)


def reviews_in(user: User, *, prefecture_code: str, is_prefecture: bool) -> bool:
    """`can_review` for an organisation known by its prefecture and kind (rows of a listing)."""
    if not is_signed_in(user):
        return False
    if user.sees_whole_country:
        return True
    own = prefecture_of(user)
    return bool(own) and not is_prefecture and prefecture_code == own


def can_discuss_review(user: User, target: RoundTarget) -> bool:
    """Read and reply to review comments: the response's reviewers and those who answer it."""
    return can_review(user, target.organization) or can_answer_for(user, target)


def reviews_anything(user: User) -> bool:
    """Whether the user reviews anyone's responses (ministry, administrators, prefecture officers)."""
    return sees_whole_country(user) or bool(prefecture_of(user))


def target_get_for_review(user: User, round_id: int, org_code: str) -> RoundTarget:
    """The round target of `org_code` if `user` may review it: 404 when it may not even read it,
    403 when it may read but not review (an officer of the organisation itself)."""
    target = target_get_for_user(user, round_id, org_code)
    if not can_review(user, target.organization):
        raise PermissionDenied("この団体の回答を審査する権限がありません。")
    return target


def round_get_for_user(user: User, round_id: int) -> Round:
    """A round the user may see: officers only see rounds their organisation (or prefecture) is in."""
    try:
        rnd = Round.objects.select_related("survey").get(pk=round_id)
    except Round.DoesNotExist:
        raise Http404 from None
    if user.sees_whole_country:
        return rnd
    if rnd.status == RoundStatus.DRAFT or not rnd.targets.filter(
            organization__in=organizations_visible_to(user)).exists():
        raise Http404  # officers do not see a round before it is published
    return rnd


# The target with its round, survey version (without the definition, parsed once per process:
# SurveyVersion.engine) and organisation; and the same with the target's response (LEFT JOIN: none
# before the first save) and its current and submitted versions. One SELECT each, its SQL written
# once per process (survey.joined): the ORM's two queries cost the answering pages ~3 ms of CPU.
_TARGET_PARTS = [Part(RoundTarget, "t"), Part(Round, "r"), Part(SurveyVersion, "v", leave_out=("definition",)),
                 Part(Organization, "o")]
_TARGET_JOINS = ("FROM {t} INNER JOIN {r} ON r.id = t.round_id INNER JOIN {v} ON v.id = r.survey_id"
                 " INNER JOIN {o} ON o.id = t.organization_id")
_TARGET_WHERE = " WHERE t.round_id = %s AND o.code = %s"
_TARGET = Joined(_TARGET_PARTS, _TARGET_JOINS + _TARGET_WHERE)
_TARGET_AND_RESPONSE = Joined(
    [*_TARGET_PARTS, Part(Response, "resp"), Part(ResponseVersion, "cur"), Part(ResponseVersion, "sub")],
    _TARGET_JOINS + " LEFT OUTER JOIN {resp} ON resp.round_id = t.round_id AND resp.organization_id = t.organization_id"
    " LEFT OUTER JOIN {cur} ON cur.id = resp.current_version_id"
    " LEFT OUTER JOIN {sub} ON sub.id = resp.submitted_version_id" + _TARGET_WHERE)


def target_get_for_user(user: User, round_id: int, org_code: str, *, for_write: bool = False) -> RoundTarget:
    """The round target of `org_code`, if `user` may read it (and write it, with for_write)."""
    rows = _TARGET.rows([round_id, org_code])
    if not rows:
        raise Http404
    return _target_checked(user, *rows[0], for_write=for_write)


def target_and_response_for_user(user: User, round_id: int, org_code: str, *,
                                 for_write: bool = False) -> tuple[RoundTarget, Response | None]:
    """target_get_for_user and response_of in one query: the target and its response (None when
    not started), through the same checks."""
    rows = _TARGET_AND_RESPONSE.rows([round_id, org_code])
    if not rows:
        raise Http404
    *parts, response, current, submitted = rows[0]
    target = _target_checked(user, *parts, for_write=for_write)
    if response is not None:
        response.current_version, response.submitted_version = current, submitted
    return target, response


def _target_checked(user: User, target: RoundTarget, rnd: Round, survey, org: Organization, *,
                    for_write: bool) -> RoundTarget:
    rnd.survey, target.round, target.organization = survey, rnd, org
    if not can_view_organization(user, target.organization):
        raise Http404
    if target.round.status == RoundStatus.DRAFT and not sees_whole_country(user):
        raise Http404  # officers do not see a round before it is published
    if for_write and not can_answer_for(user, target):
        raise PermissionDenied("この団体の回答を編集する権限がありません。")
    return target


def response_get_for_user(user: User, round_id: int, org_code: str, *, for_write: bool = False) -> Response | None:
    """The response of `org_code` in the round (None when not started), through the same checks."""
    return target_and_response_for_user(user, round_id, org_code, for_write=for_write)[1]


def response_of(target: RoundTarget) -> Response | None:
    """The response of a target already fetched through target_get_for_user (None when not started)."""
    # at most one row (unique per round); order_by(): first() would order by Meta.ordering, joining the organisation
    rows = (Response.objects.select_related("current_version", "submitted_version")
            .filter(round_id=target.round_id, organization_id=target.organization_id).order_by())
    return next(iter(rows), None)


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

    def organizations(self, qs: QuerySet) -> QuerySet:
        return qs.filter(**self._filters("prefecture_code", "kind"))

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
    if not is_signed_in(user):
        raise PermissionDenied
    if sees_whole_country(user):
        own = ""
    elif prefecture_of(user):
        own = prefecture_of(user)
    else:
        raise PermissionDenied("集計画面は省庁職員と都道府県の担当者のみ利用できます。")
    if prefecture and (prefecture not in PREFECTURE_CODES or (own and prefecture != own)):
        raise Http404
    kind = kind if kind in OrgKind.values else ""
    return Scope(prefecture=prefecture or own, kind=kind, locked=bool(own))
