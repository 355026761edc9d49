"""Read operations. Organisation scoping comes from survey.access; roll-ups group in the database."""
from datetime import datetime

from django.db.models import Case, CharField, Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from survey.access import organization_contacts, organizations_visible_to, sees_whole_country
from survey.joined import Joined, Part
from survey.models import (
    AuditLog,
    Organization,
    OrgKind,
    Response,
    ResponseState,
    ResponseStatus,
    ResponseVersion,
    ReviewComment,
    ReviewState,
    ReviewThread,
    Round,
    RoundStatus,
    RoundTarget,
    User,
)


def rounds_for_user(user: User) -> QuerySet[Round]:
    """Rounds the user takes part in (officers) or oversees (ministry, administrators)."""
    qs = Round.objects.select_related("survey")
    if sees_whole_country(user):
        return qs
    return qs.filter(targets__organization__in=organizations_visible_to(user)).exclude(
        status=RoundStatus.DRAFT
    ).distinct()


def home_rounds(user: User, *, closed_limit: int | None = None) -> tuple[list[Round], list[Round]]:
    """(current, closed) rounds of the home page.

    Current: every round still taking answers (and, for the ministry, those in preparation),
    nearest deadline first. Closed: the rest (締切, or open past the deadline), newest first,
    at most `closed_limit`. A round is open until its deadline whatever its status says, and
    for an officer until the latest extension granted to an organisation they see.
    """
    return _current_and_closed(user, rounds_for_user(user), closed_limit)


def menu_round(user: User) -> Round | None:
    """The round of the menu's dashboards and reminders (survey.context_processors): the first of
    home_rounds, read as its id and deadline only. The menu is on every page a prefecture officer
    opens, and the round's survey version with its definition (the whole questionnaire as JSON)
    cost more CPU to read than the rest of the page."""
    qs = rounds_for_user(user).select_related(None).only("id", "deadline")
    current, closed = _current_and_closed(user, qs, 1)
    return (current or closed or [None])[0]


def _current_and_closed(user: User, qs: QuerySet[Round], closed_limit: int | None):
    now = timezone.now()
    current_q = Q(status=RoundStatus.OPEN, deadline__gte=now)
    if sees_whole_country(user):
        current_q |= Q(status=RoundStatus.DRAFT)
    else:  # an extension keeps the round current for the organisations it was granted to
        extended = RoundTarget.objects.filter(organization__in=organizations_visible_to(user),
                                              extended_deadline__gte=now)
        current_q |= Q(status__in=[RoundStatus.OPEN, RoundStatus.CLOSED], pk__in=extended.values("round_id"))
    # One query for both lists (a user takes part in a few rounds a year): split and sorted here.
    rounds = list(qs.annotate(is_current=Case(When(current_q, then=Value(True)), default=Value(False))))
    current = sorted((r for r in rounds if r.is_current), key=lambda r: (r.deadline, r.pk))
    closed = sorted((r for r in rounds if not r.is_current), key=lambda r: (r.deadline, r.pk), reverse=True)
    return current, closed[:closed_limit] if closed_limit else closed


def effective_deadline(*, round: Round, organization) -> datetime:
    """`organization`'s deadline in `round`: its extension if any, else the round's."""
    return _target(round, organization).effective_deadline


def accepts_answers_from(*, round: Round, organization) -> bool:
    """Whether `organization`'s officers may save or upload answers to `round` now."""
    return _target(round, organization).accepts_answers


def accepting_answers(targets: QuerySet[RoundTarget], *, now: datetime | None = None) -> QuerySet[RoundTarget]:
    """The targets whose officers may answer now: RoundTarget.accepts_answers, in SQL.

    Open round: before the round's deadline, or before a later extension; closed round: before
    a later extension only.
    """
    now = now or timezone.now()
    extended = Q(round__status__in=[RoundStatus.OPEN, RoundStatus.CLOSED], extended_deadline__gte=now,
                 extended_deadline__gt=F("round__deadline"))
    return targets.filter(Q(round__status=RoundStatus.OPEN, round__deadline__gte=now) | extended)


def _target(round: Round, organization) -> RoundTarget:
    target = RoundTarget.objects.select_related("round").get(round=round, organization=organization)
    target.round = round
    return target


def extensions_visible_to(*, round: Round, user: User) -> QuerySet[RoundTarget]:
    """The round's extended targets `user` may see: its own, its prefecture's, or all (ministry)."""
    return (RoundTarget.objects.filter(round=round, extended_deadline__gt=round.deadline,
                                       organization__in=organizations_visible_to(user))
            .select_related("organization", "extension_granted_by").order_by("organization__code"))


def round_history(round: Round) -> QuerySet[AuditLog]:
    """The round's recorded changes (publishing, edits, reopenings with their reasons…), newest first."""
    return AuditLog.objects.filter(action=AuditLog.Action.ROUND_CHANGE, target=f"round:{round.pk}").order_by(
        "-at", "-id")


STATUS_NOT_STARTED = ResponseState.NOT_STARTED.value
STATE_LABELS = dict(ResponseState.choices)


def response_state(response: Response | None) -> str:
    """未着手・下書き・提出済・差し戻し中・承認済 of one response (a ResponseState value).

    A response with a submitted version is 提出済 unless a reviewer returned (差し戻し中) or
    approved (承認済) it; a newer draft after a submission (再編集中) is still 提出済.
    """
    if response is None:
        return ResponseState.NOT_STARTED
    return state_of(response.status, response.review)


def state_of(status: str | None, review: str | None) -> str:
    """`response_state` from a response's status and review columns (None status: 未着手)."""
    if not status:
        return ResponseState.NOT_STARTED
    if status != ResponseStatus.SUBMITTED:
        return ResponseState.DRAFT
    return {ReviewState.RETURNED: ResponseState.RETURNED,
            ReviewState.APPROVED: ResponseState.APPROVED}.get(review, ResponseState.SUBMITTED)


def state_expression(prefix: str = "") -> Case:
    """The same state as `response_state`, computed by the database over Response rows
    (`prefix` reaches them through a relation, e.g. "responses__"); NULL status is 未着手."""
    return Case(
        When(**{f"{prefix}status__isnull": True}, then=Value(ResponseState.NOT_STARTED)),
        When(~Q(**{f"{prefix}status": ResponseStatus.SUBMITTED}), then=Value(ResponseState.DRAFT)),
        When(**{f"{prefix}review": ReviewState.RETURNED}, then=Value(ResponseState.RETURNED)),
        When(**{f"{prefix}review": ReviewState.APPROVED}, then=Value(ResponseState.APPROVED)),
        default=Value(ResponseState.SUBMITTED), output_field=CharField(),
    )


def responses_with_state(responses: QuerySet[Response]) -> QuerySet[Response]:
    """`responses` annotated with `state` (a ResponseState value), to filter or group on."""
    return responses.annotate(state=state_expression())


def responses_done(responses: QuerySet[Response]) -> QuerySet[Response]:
    """Responses that count as done for reminders: 提出済 or 承認済 (差し戻し中 is not done)."""
    return responses.filter(status=ResponseStatus.SUBMITTED).exclude(review=ReviewState.RETURNED)


def state_counts(responses: QuerySet[Response]) -> dict[str, int]:
    """Responses per state (下書き・提出済・差し戻し中・承認済), grouped in the database."""
    rows = responses_with_state(responses).order_by().values("state").annotate(n=Count("id"))
    return {row["state"]: row["n"] for row in rows}


def review_threads_of(response: Response | None) -> list[ReviewThread]:
    """Every review thread of a response with its comments and authors, oldest first.

    The related rows are prefetched, not joined: most responses were never returned and have no
    thread, and then the one plain query is all (a join of three tables cost more to build than
    the page's other reads; bench/load/profile_requests.py)."""
    if response is None:
        return []
    return list(response.review_threads.prefetch_related("opened_by", "version", "closed_by_version",
                                                         Prefetch("comments", queryset=_comments())))


def threads_by_anchor(response: Response | None, *, open_only: bool = False) -> dict[str, list[ReviewThread]]:
    """Review threads keyed by what they are about, as `item:7-2`, `field:電話番号` or `response`.

    No read for a response no return ever gave threads (Response.has_review_threads). `open_only`:
    only the open threads, which only a returned response has (a return opens them; the
    resubmission or the approval that ends the return closes them): no read for any other."""
    if response is None or not response.has_review_threads:
        return {}
    if open_only and response.review != ReviewState.RETURNED:
        return {}
    found: dict[str, list[ReviewThread]] = {}
    for thread in review_threads_of(response):
        if thread.is_open or not open_only:
            key = f"{thread.anchor_kind}:{thread.anchor}" if thread.anchor else thread.anchor_kind
            found.setdefault(key, []).append(thread)
    return found


def _comments() -> QuerySet[ReviewComment]:
    return ReviewComment.objects.select_related("author", "author_organization").order_by("created_at", "id")


def targets_with_status(*, round: Round, user: User, prefecture: str = "", kind: str = "", status: str = "",
                        q: str = "") -> QuerySet[RoundTarget]:
    """The round's targets the user may see, each annotated with its response's state.

    Annotations: resp_status, resp_submitted_at, resp_updated_at, resp_risk, resp_current,
    resp_submitted, resp_review. `status` filters by a ResponseState value (提出済 excludes
    差し戻し中 and 承認済).
    """
    responses = Response.objects.filter(round=round, organization=OuterRef("organization"))
    qs = (
        RoundTarget.objects.filter(round=round, organization__in=organizations_visible_to(user))
        .select_related("organization")
        .annotate(
            resp_status=Subquery(responses.values("status")[:1]),
            resp_submitted_at=Subquery(responses.values("submitted_at")[:1]),
            resp_updated_at=Subquery(responses.values("updated_at")[:1]),
            resp_risk=Subquery(responses.values("risk_level")[:1]),
            resp_current=Subquery(responses.values("current_version_id")[:1]),
            resp_submitted=Subquery(responses.values("submitted_version_id")[:1]),
            resp_review=Subquery(responses.values("review")[:1]),
        )
    )
    if prefecture:
        qs = qs.filter(organization__prefecture_code=prefecture)
    if kind:
        qs = qs.filter(organization__kind=kind)
    if status == STATUS_NOT_STARTED:
        qs = qs.filter(resp_status__isnull=True)
    elif status in (ResponseState.RETURNED, ResponseState.APPROVED):
        qs = qs.filter(resp_status=ResponseStatus.SUBMITTED, resp_review=status)
    elif status == ResponseStatus.SUBMITTED:
        qs = qs.filter(resp_status=status, resp_review=ReviewState.NONE)
    elif status:
        qs = qs.filter(resp_status=status)
    if q:
        qs = qs.filter(Q(organization__name__contains=q) | Q(organization__prefecture_name__contains=q)
                       | Q(organization__code__startswith=q))
    return qs.order_by("organization__code")


def status_counts(*, round: Round, user: User) -> dict[str, int]:
    """Targets (split into prefectures and municipalities), submitted (including 差し戻し中 and
    承認済, which are also counted apart), draft and not started among the targets the user may see."""
    visible = organizations_visible_to(user)
    by_kind = dict(
        RoundTarget.objects.filter(round=round, organization__in=visible)
        .values_list("organization__kind").annotate(n=Count("id")).values_list("organization__kind", "n")
    )
    targets = sum(by_kind.values())
    prefectures = by_kind.get(OrgKind.PREFECTURE, 0)
    by_status = dict(
        Response.objects.filter(round=round, organization__in=visible)
        .values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    submitted = by_status.get(ResponseStatus.SUBMITTED, 0)
    draft = by_status.get(ResponseStatus.DRAFT, 0)
    states = state_counts(Response.objects.filter(round=round, organization__in=visible))
    return {"targets": targets, "prefectures": prefectures, "municipalities": targets - prefectures,
            "submitted": submitted, "draft": draft, "not_started": targets - submitted - draft,
            "returned": states.get(ResponseState.RETURNED, 0), "approved": states.get(ResponseState.APPROVED, 0)}


def versions_of(response: Response) -> QuerySet[ResponseVersion]:
    """Every kept version of a response, newest first, with who acted."""
    return response.versions.select_related("created_by", "acting_organization").order_by("-number")


HISTORY_SHOWN = 20  # versions 保存の履歴 lists unless asked for every one (?history=all)


def history_listing(response: Response | None, *, every: bool = False) -> tuple[list[ResponseVersion], bool]:
    """(versions, more) of 保存の履歴: the newest HISTORY_SHOWN versions of version_history and
    whether older ones exist (one more is read to tell), or with `every` all of them (more is
    False). A response saved many times costs its page what any other does."""
    if response is None:
        return [], False
    if every:
        return version_history(response), False
    versions = version_history(response, limit=HISTORY_SHOWN + 1)
    return versions[:HISTORY_SHOWN], len(versions) > HISTORY_SHOWN


def version_history(response: Response, *, limit: int | None = None) -> list[ResponseVersion]:
    """versions_of for the history table (newest first; the newest `limit` only, if given), each
    version with only what the table draws (number, status, source, time, who acted), the rest deferred: `actor_name` (the name of
    who saved it, or None), `acting_name` and `acting_prefecture_name` (their organisation's, or
    None). From SQL written once per process (survey.joined); the names are read as values, not
    as a User and an Organization per version: a response saved 50 times made 150 model instances
    on each view of its page. version_actors() gives the shown version's as instances."""
    versions = []
    rows = _VERSION_HISTORY.rows([response.pk]) if limit is None else _NEWEST_VERSIONS.rows([response.pk, limit])
    for version, actor_name, acting_name, acting_prefecture_name in rows:
        version.response = response
        version.actor_name, version.acting_name = actor_name, acting_name
        version.acting_prefecture_name = acting_prefecture_name
        versions.append(version)
    return versions


def version_actors(listed: ResponseVersion) -> tuple[User | None, Organization | None]:
    """Who saved a version of version_history and for which organisation, as instances with only
    the names read (the rest deferred, as if fetched with .only())."""
    user = _partial(User, id=listed.created_by_id, name=listed.actor_name) \
        if listed.created_by_id is not None else None
    org = _partial(Organization, id=listed.acting_organization_id, name=listed.acting_name,
                   prefecture_name=listed.acting_prefecture_name) \
        if listed.acting_organization_id is not None else None
    return user, org


def _partial(model, **values):
    """An instance as the database gives it with only these fields (Model.from_db takes them in the
    model's field order), the others deferred."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db("default", names, [values[n] for n in names])


HISTORY_VERSION_FIELDS = ("id", "response", "number", "status", "source", "created_by", "acting_organization",
                          "created_at")
_HISTORY_PARTS = [Part(ResponseVersion, "v", leave_out=tuple(f.name for f in ResponseVersion._meta.concrete_fields
                                                             if f.name not in HISTORY_VERSION_FIELDS))]
_HISTORY_TAIL = ("FROM {v} LEFT OUTER JOIN {u} ON u.id = v.created_by_id"
                 " LEFT OUTER JOIN {o} ON o.id = v.acting_organization_id"
                 " WHERE v.response_id = %s ORDER BY v.number DESC")
_HISTORY_NAMES = {"extra": ("u.name", "o.name", "o.prefecture_name"), "tables": {"u": User, "o": Organization}}
_VERSION_HISTORY = Joined(_HISTORY_PARTS, _HISTORY_TAIL, **_HISTORY_NAMES)
_NEWEST_VERSIONS = Joined(_HISTORY_PARTS, _HISTORY_TAIL + " LIMIT %s", **_HISTORY_NAMES)


def org_kind_choices() -> list[tuple[str, str]]:
    return list(OrgKind.choices)


def non_submitters(*, targets: QuerySet[RoundTarget], responses: QuerySet[Response]) -> QuerySet[RoundTarget]:
    """Targets not done (未着手・下書き・差し戻し中: not `responses_done`), with their state and
    active officers (`contacts`).

    `resp_state` is a ResponseState value, None when not started; `resp_status` the response's
    status. Officers come in one prefetch query per page.
    """
    done = responses_done(responses).values("organization_id")
    mine = responses.filter(organization_id=OuterRef("organization_id"))
    officers = organization_contacts()
    return (
        targets.exclude(organization_id__in=done)
        .select_related("organization")
        .annotate(resp_status=Subquery(mine.values("status")[:1]),
                  resp_state=Subquery(mine.annotate(state=state_expression()).values("state")[:1]))
        .prefetch_related(Prefetch("organization__officers", queryset=officers, to_attr="contacts"))
        .order_by("organization__code")
    )


def open_comments(*, round: Round, organization) -> list[dict]:
    """The open review comments of an organisation's response: what the officer has to correct
    (each thread's anchor and first comment), for the reminder mails."""
    response = Response.objects.filter(round=round, organization=organization).first()
    lines = []
    for threads in threads_by_anchor(response, open_only=True).values():
        for thread in threads:
            first = thread.comments.all()[:1]
            lines.append({"anchor": thread.get_anchor_kind_display() + (f" {thread.anchor}" if thread.anchor else ""),
                          "body": first[0].body if first else ""})
    return lines
