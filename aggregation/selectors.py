"""Roll-ups behind the dashboards, grouped in the database (values().annotate(Count)).

Every selector takes querysets rather than a round, so that the same code counts live figures
(`AnswerFact.objects.filter(round=r)`, `Response.objects.filter(round=r)`) and frozen ones
(`SnapshotFact.objects.filter(snapshot=s)`). The caller narrows those querysets to what the user
may see and to the dashboard's filters first, with a `Scope` (see `survey.access.dashboard_scope`).

Only submitted responses count: facts exist only for submitted responses, and the response
selectors filter on `status=submitted`. Results are small lists of dataclasses, one row per
group (prefecture, type, item, option), never one per answer.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform

from survey.models import OrgKind, Response, ResponseStatus, ResponseVersion, ReviewState, RoundTarget

SUBMITTED = ResponseStatus.SUBMITTED
ORG_VALUES = ("organization__code", "organization__prefecture_name", "organization__name", "organization__kind")


# --- status ----------------------------------------------------------------------------------


@dataclass
class StatusRow:
    """Targets and their states for one group (a prefecture, a type, or everything)."""

    key: str
    label: str
    targets: int = 0
    submitted: int = 0  # including 差し戻し中 and 承認済, counted apart below
    draft: int = 0
    returned: int = 0
    approved: int = 0

    @property
    def not_started(self) -> int:
        return self.targets - self.submitted - self.draft

    @property
    def rate(self) -> float:
        """Share of targets that submitted (0.0–1.0)."""
        return self.submitted / self.targets if self.targets else 0.0

    def add(self, other: StatusRow) -> None:
        """Add another group's counts to this row."""
        self.targets += other.targets
        self.submitted += other.submitted
        self.draft += other.draft
        self.returned += other.returned
        self.approved += other.approved


@dataclass
class StatusFigures:
    """Status rows by prefecture and by type, and their total."""

    by_prefecture: list[StatusRow]
    by_kind: list[StatusRow]
    total: StatusRow


def status_figures(*, targets: QuerySet[RoundTarget], responses: QuerySet[Response]) -> StatusFigures:
    """Targets, submitted, draft and not started per prefecture, per type and in total.

    Two grouped queries (targets by prefecture x type, responses by prefecture x type x status x
    review, on their denormalised columns); the three views are sums over those few groups.
    `submitted` includes the returned (差し戻し中) and approved (承認済) responses, also counted apart.
    """
    cells: dict[tuple[str, str], StatusRow] = {}
    names: dict[str, str] = {}
    for group in (targets.values("organization__prefecture_code", "organization__prefecture_name",
                                 "organization__kind").annotate(n=Count("id")).order_by()):
        key = (group["organization__prefecture_code"], group["organization__kind"])
        names[key[0]] = group["organization__prefecture_name"]
        cells[key] = StatusRow(key="", label="", targets=group["n"])
    for group in (responses.values("prefecture_code", "org_kind", "status", "review")
                  .annotate(n=Count("id")).order_by()):
        cell = cells.get((group["prefecture_code"], group["org_kind"]))
        if cell is None:
            continue  # a response whose organisation is no longer a target
        if group["status"] == SUBMITTED:
            cell.submitted += group["n"]
            cell.returned += group["n"] if group["review"] == ReviewState.RETURNED else 0
            cell.approved += group["n"] if group["review"] == ReviewState.APPROVED else 0
        else:
            cell.draft += group["n"]
    by_prefecture = _sum_by(cells, 0, lambda code: names[code])
    by_kind = _sum_by(cells, 1, lambda kind: OrgKind(kind).label, order=OrgKind.values)
    return StatusFigures(by_prefecture, by_kind, status_total(by_prefecture))


def _sum_by(cells, index: int, label, order=None) -> list[StatusRow]:
    rows: dict[str, StatusRow] = {}
    for key, cell in cells.items():
        rows.setdefault(key[index], StatusRow(key=key[index], label=label(key[index]))).add(cell)
    rank = {k: i for i, k in enumerate(order)} if order else {}
    return sorted(rows.values(), key=lambda r: (rank.get(r.key, 99), r.key))


def status_by(*, targets: QuerySet[RoundTarget], responses: QuerySet[Response], by: str) -> list[StatusRow]:
    """Status rows per prefecture (`by="prefecture"`) or per type (`by="kind"`)."""
    figures = status_figures(targets=targets, responses=responses)
    return figures.by_prefecture if by == "prefecture" else figures.by_kind


def status_total(rows: list[StatusRow]) -> StatusRow:
    """The sum of grouped rows (no query)."""
    total = StatusRow(key="", label="合計")
    for row in rows:
        total.add(row)
    return total


def latest_submission(responses: QuerySet[Response]):
    """When the newest counted submission arrived (None if none): the figures' 'as of'."""
    return responses.filter(status=SUBMITTED).aggregate(latest=Max("submitted_at"))["latest"]


# --- results ---------------------------------------------------------------------------------


@dataclass
class OptionCount:
    code: str
    mark: str
    label: str
    count: int
    share: float  # count / base of the item (0.0–1.0)


@dataclass
class ItemSummary:
    """How one item was answered among the counted responses for which it applies.

    base: responses where the item applies (its facts rows; one per response, or per mark);
    unanswered: applicable but left empty; not_applicable: counted responses minus base.
    For a marks item one response may count under several options, so shares can sum past 1.
    """

    item: object  # survey.engine.Item
    base: int
    not_applicable: int
    unanswered: int
    options: list[OptionCount] = field(default_factory=list)

    @property
    def unanswered_share(self) -> float:
        return self.unanswered / self.base if self.base else 0.0


def count_by(qs: QuerySet, field: str) -> dict[str, int]:
    """{value of `field`: rows} of any queryset, grouped in the database (one query)."""
    return dict(qs.values(field).annotate(n=Count("id")).order_by().values_list(field, "n"))


def submitted_count(responses: QuerySet[Response]) -> int:
    """Number of counted (submitted) responses."""
    return responses.filter(status=SUBMITTED).count()


def item_summaries(defn, facts: QuerySet, *, submitted: int) -> list[ItemSummary]:
    """Counts and shares per option of every item of `defn`, from `facts` (two grouped queries).

    `submitted` is the number of counted responses in the same scope (for 'not applicable').
    """
    return item_summaries_by(defn, facts, by=None, submitted={"": submitted})[""]


def item_summaries_by(defn, facts: QuerySet, *, by: str | None,
                      submitted: dict[str, int]) -> dict[str, list[ItemSummary]]:
    """`item_summaries` for every value of `by` (e.g. "prefecture_code") at once: two grouped queries.

    `submitted` maps each group to its counted responses; `by=None` is one group keyed ''.
    A group with no facts and no responses reads as all zeros. Works on live and snapshot facts.
    """
    keys = (by,) if by else ()
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in facts.values(*keys, "item", "option").annotate(n=Count("id")).order_by():
        counts[row[by] if by else ""][row["item"]][row["option"]] = row["n"]
    mark_bases: dict[str, dict[str, int]] = defaultdict(dict)
    marks = [i.id for i in defn.items if i.kind == "marks"]
    if marks:  # a marks item counts responses (not marks) as its base
        rows = (facts.filter(item__in=marks).values(*keys, "item")
                .annotate(n=Count("response_id", distinct=True)).order_by())
        for row in rows:
            mark_bases[row[by] if by else ""][row["item"]] = row["n"]
    return defaultdict(lambda: [_item_summary(i, {}, 0, 0) for i in defn.items], {
        key: [_item_summary(i, counts[key].get(i.id, {}), mark_bases[key].get(i.id), submitted.get(key, 0))
              for i in defn.items]
        for key in set(counts) | set(submitted)
    })


def _item_summary(item, counts: dict[str, int], mark_base: int | None, submitted: int) -> ItemSummary:
    """One item's summary from its grouped counts ({option: n}; '' = unanswered).

    `mark_base` (marks items only) is the number of responses with a row for the item.
    Also used per group by `item_summaries_by`, so base / unanswered / share mean the same everywhere.
    """
    base = mark_base if item.kind == "marks" else sum(counts.values())
    base = base or 0
    options = [
        OptionCount(o.code, o.mark, o.display, counts.get(o.code, 0), counts.get(o.code, 0) / base if base else 0.0)
        for o in item.options
    ]
    return ItemSummary(item=item, base=base, not_applicable=submitted - base,
                       unanswered=counts.get("", 0), options=options)


@dataclass
class CrossTab:
    """Item `a` (rows) by item `b` (columns) over responses where `a` applies.

    cells[a_code][b_code] counts responses (or marks) with both; b_code '' is 'b unanswered';
    `b_not_applicable[a_code]` counts those where b does not apply.
    """

    a: object
    b: object
    row_codes: list[str]
    col_codes: list[str]
    cells: dict[str, dict[str, int]]
    row_totals: dict[str, int]
    b_not_applicable: dict[str, int]


def crosstab(defn, facts: QuerySet, *, a: str, b: str) -> CrossTab:
    """Cross-tabulation of two items: facts of `a` left-joined to facts of `b` on the response.

    Two queries: the pairs grouped by (a option, b option) (b option NULL = b does not apply),
    and the a-rows per option. Built from the facts queryset's own SQL, so it works for live
    and snapshot facts alike, and for one-choice and marks items on either side.
    """
    item_a, item_b = defn.item(a), defn.item(b)
    a_sql, a_params = facts.filter(item=a).values("response_id", "option").order_by().query.sql_with_params()
    b_sql, b_params = facts.filter(item=b).values("response_id", "option").order_by().query.sql_with_params()
    sql = (f'SELECT fa."option", fb."option", COUNT(*) FROM ({a_sql}) fa LEFT JOIN ({b_sql}) fb '
           'ON fa.response_id = fb.response_id GROUP BY fa."option", fb."option"')
    with connections[facts.db].cursor() as cursor:
        cursor.execute(sql, [*a_params, *b_params])
        pairs = cursor.fetchall()
    totals_found = count_by(facts.filter(item=a), "option")
    row_codes, col_codes = [*item_a.codes, ""], [*item_b.codes, ""]
    cells = {r: dict.fromkeys(col_codes, 0) for r in row_codes}
    not_applicable = dict.fromkeys(row_codes, 0)
    for a_option, b_option, n in pairs:
        if b_option is None:
            not_applicable[a_option] = n
        else:
            cells.setdefault(a_option, {})[b_option] = n
    totals = {r: totals_found.get(r, 0) for r in row_codes}
    return CrossTab(item_a, item_b, row_codes, col_codes, cells, totals, not_applicable)


def followup_texts(defn, responses: QuerySet[Response], *, facts: QuerySet, key: str = "") -> QuerySet[Response]:
    """Submitted responses with a follow-up (free text, month), one row per organisation.

    The responses are found through the facts of the options that ask for a follow-up
    (indexed, no JSON scanned); only the follow-up values are then read from the submitted
    versions' answers (KeyTextTransform per key: `t0`, `t1`, ... in `defn.followups` order,
    or just `t0` with `key`). Paginate the result.
    """
    qs, texts = _with_followups(defn, responses.filter(status=SUBMITTED), facts=facts, key=key,
                                response="id", answers="submitted_version__answers")
    return qs.values(*ORG_VALUES, "submitted_at", *texts).order_by("organization__code")


def snapshot_followup_texts(defn, versions: QuerySet, *, facts: QuerySet, key: str = "") -> QuerySet:
    """`followup_texts` of a snapshot: its kept versions (SnapshotVersion) and facts, same row keys.

    `submitted_at` is when the kept version was submitted, not the response's latest submission.
    """
    qs, texts = _with_followups(defn, versions, facts=facts, key=key, response="response_id",
                                answers="version__answers")
    return (qs.values(*texts, **_org_of_response(), submitted_at=F("version__created_at"))
            .order_by("organization__code"))


def _with_followups(defn, qs: QuerySet, *, facts: QuerySet, key: str, response: str, answers: str):
    """(`qs` narrowed to rows with a follow-up and annotated t0, t1, …, the annotation names)."""
    chosen = [defn.followups[key]] if key else list(defn.followups.values())
    trigger = Q()
    for f in chosen:
        trigger |= Q(item=f.item, option__in=f.when)
    texts = {f"t{i}": KeyTextTransform(f.key, answers) for i, f in enumerate(chosen)}
    qs = qs.filter(**{f"{response}__in": facts.filter(trigger).values("response_id")}).annotate(**texts)
    if any(not f.required for f in chosen):  # an optional follow-up may be empty although its option was chosen
        present = Q()
        for name in texts:
            present |= Q(**{f"{name}__isnull": False})
        qs = qs.filter(present)
    return qs, list(texts)


def _org_of_response() -> dict[str, F]:
    """The organisation columns of a row reached through `response` (snapshot rows), named as on Response."""
    return {name: F(f"response__{name}") for name in ORG_VALUES}


# --- risk ------------------------------------------------------------------------------------


@dataclass
class RiskCount:
    level: str
    label: str
    rank: int
    count: int


def risk_counts(defn, responses: QuerySet[Response]) -> list[RiskCount]:
    """Counted responses per risk level, highest level first (one grouped query)."""
    return _risk_counts(defn, count_by(responses.filter(status=SUBMITTED), "risk_level"))


def snapshot_risk_counts(defn, versions: QuerySet) -> list[RiskCount]:
    """`risk_counts` of a snapshot: its kept versions (SnapshotVersion) per risk level."""
    return _risk_counts(defn, count_by(versions, "version__risk_level"))


def _risk_counts(defn, found: dict[str, int]) -> list[RiskCount]:
    levels = sorted(defn.risk_levels, key=lambda lv: -lv.rank)
    return [RiskCount(lv.id, lv.label, lv.rank, found.get(lv.id, 0)) for lv in levels]


def risk_rank(defn, field: str) -> Case:
    """The rank of the risk level held in `field` (higher is more serious, -1 unknown), for ORDER BY.

    Shared by the dashboard (Response.risk_level) and the workbook (the counted version's level).
    """
    return Case(*[When(**{field: lv.id}, then=Value(lv.rank)) for lv in defn.risk_levels],
                default=Value(-1), output_field=IntegerField())


def risk_rows(defn, responses: QuerySet[Response], *, level: str = "") -> QuerySet[Response]:
    """Counted responses with their risk level, highest level first, then by organisation code.

    Narrow rows (no JSON) so that sorting every response stays cheap; fetch the fired rules of
    the rows actually shown with `risk_rules_of`.
    """
    qs = responses.filter(status=SUBMITTED)
    if level:
        qs = qs.filter(risk_level=level)
    return (
        qs.annotate(rank=risk_rank(defn, "risk_level"))
        .values("id", "organization__code", "organization__prefecture_name", "organization__name",
                "organization__kind", "prefecture_code", "risk_level", "submitted_at", "round_id")
        .order_by("-rank", "organization__code")
    )


def snapshot_risk_rows(defn, versions: QuerySet, *, level: str = "") -> QuerySet:
    """`risk_rows` of a snapshot: the kept versions' levels, with the same row keys except `id`
    (use `version_id`, whose fired rules `version_rules_of` reads)."""
    if level:
        versions = versions.filter(version__risk_level=level)
    return (
        versions.annotate(rank=risk_rank(defn, "version__risk_level"))
        .values("version_id", "prefecture_code", **_org_of_response(),
                risk_level=F("version__risk_level"), submitted_at=F("version__created_at"),
                round_id=F("response__round_id"))
        .order_by("-rank", "organization__code")
    )


def version_rules_of(version_ids) -> dict[int, list[dict]]:
    """The fired rules ({id, level, label}) of these response versions (a snapshot's kept versions)."""
    return dict(ResponseVersion.objects.filter(id__in=list(version_ids)).values_list("id", "risk_rules"))


def risk_rules_of(response_ids) -> dict[int, list[dict]]:
    """The fired rules ({id, level, label}) of the submitted versions of these responses."""
    return dict(Response.objects.filter(id__in=list(response_ids))
                .values_list("id", "submitted_version__risk_rules"))
