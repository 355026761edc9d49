"""Where a round's figures come from: live answers or a snapshot's frozen ones, in a scope.

A *source* (`FigureSource`) is a round, a scope (survey.access.Scope: the whole country or one
prefecture, optionally one organisation type) and a snapshot or None. Live, it counts the
submitted versions of submitted responses (AnswerFact, Response.submitted_version); frozen, the
versions and facts a snapshot kept (SnapshotVersion, SnapshotFact). Every page and file that
shows figures — the results, cross-tab, texts and risk dashboards (?snapshot=), the risk CSV,
the aggregate workbook and CSV exports — reads through one, so "live or frozen" is decided in
one place and a dashboard and an export of the same snapshot cannot disagree.
`snapshot_chosen` turns the snapshot picker's value (templates/aggregation/_snapshot_picker.html)
into a snapshot of the round.

Rows are streamed with values() + iterator(), never loaded all at once; roll-ups group in the
database (aggregation.selectors, given the live or the snapshot facts).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from django.db.models import (
    Case,
    CharField,
    F,
    FilteredRelation,
    JSONField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from aggregation import selectors
from aggregation.models import Snapshot, SnapshotFact, SnapshotVersion
from survey.access import Scope
from survey.models import (
    AnswerFact,
    Organization,
    OrgKind,
    Response,
    ResponseState,
    ResponseStatus,
    ReviewState,
    Round,
    RoundStatus,
)
from survey.selectors import state_of

CHUNK = 2000
# The states a counted (submitted) response can be in, and the review column of each.
REVIEW_OF_STATE = {ResponseState.SUBMITTED: ReviewState.NONE, ResponseState.RETURNED: ReviewState.RETURNED,
                   ResponseState.APPROVED: ReviewState.APPROVED}
STATE_CHOICES = [(state, label) for state, label in ResponseState.choices if state in REVIEW_OF_STATE]
ORG_FIELDS = ("code", "prefecture_code", "prefecture_name", "kind", "name")


def version_line(version_id: int, answers: dict) -> bytes:
    """One counted version as hashed: its id and its answers, canonical JSON, one line."""
    text = json.dumps([version_id, answers], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode()


def content_hash(pairs: Iterable[tuple[int, dict]]) -> str:
    """SHA-256 over (version id, answers) pairs given in organisation-code order."""
    digest = hashlib.sha256()
    for version_id, answers in pairs:
        digest.update(version_line(version_id, answers))
    return digest.hexdigest()


@dataclass
class GroupFigures:
    """One row of a summary sheet: a group's targets, counted responses and per-item figures."""

    key: str
    label: str
    targets: int
    responses: int
    items: list  # aggregation.selectors.ItemSummary, in survey order

    @property
    def rate(self) -> float:
        return self.responses / self.targets if self.targets else 0.0


def final_snapshot(rnd: Round) -> Snapshot | None:
    """The snapshot that froze the round's figures when it was last finalised (kept after a reopening)."""
    return Snapshot.objects.filter(round=rnd, finalises=True).order_by("-created_at", "-id").first()


def snapshot_chosen(rnd: Round, value) -> Snapshot | None:
    """The snapshot of `rnd` a picker named; '' or None is live, except for a finalised round (確定),
    whose figures are the snapshot that finalised it; anything else is 404."""
    if not value:
        return final_snapshot(rnd) if rnd.status == RoundStatus.FINALISED else None
    value = str(value)
    snapshot = Snapshot.objects.filter(pk=value, round=rnd).first() if value.isascii() and value.isdigit() else None
    if snapshot is None:  # not a number, unknown, or a snapshot of another round
        raise Http404
    return snapshot


@dataclass(frozen=True)
class FigureSource:
    """A round's figures in a scope, live (snapshot=None) or frozen (a snapshot of the round)."""

    round: Round
    snapshot: Snapshot | None = None
    scope: Scope = Scope()
    state: str = ""  # '' counts every submitted response; else only those 提出済, 差し戻し中 or 承認済

    @cached_property
    def defn(self):
        return self.round.survey.engine

    @property
    def is_frozen(self) -> bool:
        return self.snapshot is not None

    @property
    def prefecture(self) -> str:
        return self.scope.prefecture

    def state_label(self) -> str:
        return dict(ResponseState.choices).get(self.state, "")

    # --- querysets ---------------------------------------------------------------------------

    def facts(self) -> QuerySet:
        """The counted facts (live AnswerFact or the snapshot's SnapshotFact) in scope (and state)."""
        if self.is_frozen:
            facts = SnapshotFact.objects.filter(snapshot=self.snapshot)
            if self.state:
                facts = facts.filter(response_id__in=self.versions().values("response_id"))
            return self.scope.facts(facts)
        facts = AnswerFact.objects.filter(round=self.round)
        if self.state:
            facts = facts.filter(response__review=REVIEW_OF_STATE[self.state])
        return self.scope.facts(facts)

    def responses(self) -> QuerySet[Response]:
        """The round's live responses in scope, whatever their status (live pages list them);
        with a state, only the submitted responses in that state."""
        responses = self.scope.responses(Response.objects.filter(round=self.round))
        if self.state:
            responses = responses.filter(status=ResponseStatus.SUBMITTED, review=REVIEW_OF_STATE[self.state])
        return responses

    def versions(self) -> QuerySet[SnapshotVersion]:
        """The snapshot's kept versions in scope (and state; frozen sources only)."""
        versions = self.scope.responses(SnapshotVersion.objects.filter(snapshot=self.snapshot))
        return versions.filter(state=self.state) if self.state else versions

    def counted(self) -> QuerySet:
        """One row per counted response: Response (live) or SnapshotVersion (frozen)."""
        if self.is_frozen:
            return self.versions()
        return self.responses().filter(status=ResponseStatus.SUBMITTED)

    def targets(self) -> QuerySet[Organization]:
        """The round's target organisations in scope."""
        return self.scope.organizations(Organization.objects.filter(targets__round=self.round))

    # --- streamed rows -----------------------------------------------------------------------

    def _with_versions(self) -> QuerySet[Organization]:
        """Targets joined (left) to their response and counted version, ordered by code."""
        qs = self.targets().alias(resp=FilteredRelation("responses", condition=Q(responses__round=self.round)))
        if self.is_frozen:
            qs = qs.alias(cv=FilteredRelation(
                "resp__snapshot_entries", condition=Q(resp__snapshot_entries__snapshot=self.snapshot)))
            prefix = "cv__version"
        else:
            prefix = "resp__submitted_version"
        return qs.annotate(
            v_id=F(f"{prefix}__id"), v_answers=F(f"{prefix}__answers"), v_respondent=F(f"{prefix}__respondent"),
            v_risk=F(f"{prefix}__risk_level"), v_rules=F(f"{prefix}__risk_rules"), v_at=F(f"{prefix}__created_at"),
            live_status=F("resp__status"), live_review=F("resp__review"),
            frozen_state=F("cv__state") if self.is_frozen else Value(None, output_field=CharField()),
            # Contacts of those who have not submitted: their latest draft's respondent fields.
            draft_respondent=Case(When(resp__status=ResponseStatus.DRAFT,
                                       then=F("resp__current_version__respondent")),
                                  default=Value(None), output_field=JSONField()),
        ).order_by("code")

    def org_rows(self) -> Iterator[dict]:
        """Every target in code order, with its counted version (v_* are None when not counted)."""
        rows = self._with_versions().values(*ORG_FIELDS, "v_id", "v_answers", "v_respondent", "v_risk",
                                            "v_rules", "v_at", "live_status", "live_review", "frozen_state",
                                            "draft_respondent")
        for row in rows.iterator(chunk_size=CHUNK):
            row["state"] = row["frozen_state"] or state_of(row["live_status"], row["live_review"])
            if self.is_frozen and row["v_id"] is None:
                row["state"] = ""  # not counted by the snapshot (its state then is not kept)
            counted = row["v_id"] is not None and (self.is_frozen or row["live_status"] == ResponseStatus.SUBMITTED)
            if not counted or (self.state and row["state"] != self.state):
                row.update(v_id=None, v_answers=None, v_respondent=None, v_risk=None, v_rules=None, v_at=None)
            yield row

    def risk_rows(self) -> Iterator[dict]:
        """Every counted response with its risk level (低 too, as on the risk page), highest level
        first, then by code."""
        rows = self._with_versions().filter(v_id__isnull=False)
        if self.state:
            rows = rows.filter(frozen_state=self.state) if self.is_frozen else rows.filter(
                live_status=ResponseStatus.SUBMITTED, live_review=REVIEW_OF_STATE[self.state])
        rows = (rows
                .annotate(rank=selectors.risk_rank(self.defn, "v_risk")).order_by("-rank", "code")
                .values(*ORG_FIELDS, "v_risk", "v_rules"))
        return rows.iterator(chunk_size=CHUNK)

    def version_pairs(self) -> Iterator[tuple[int, dict]]:
        """(version id, answers) of every counted version, in organisation-code order (for hashing)."""
        for row in self.org_rows():
            if row["v_id"] is not None:
                yield row["v_id"], row["v_answers"]

    # --- dashboard lists (paginated by the views) -------------------------------------------

    def followup_texts(self, key: str = "") -> QuerySet:
        """One row per counted organisation with follow-up texts (all, or the follow-up `key`)."""
        if self.is_frozen:
            return selectors.snapshot_followup_texts(self.defn, self.versions(), facts=self.facts(), key=key)
        return selectors.followup_texts(self.defn, self.responses(), facts=self.facts(), key=key)

    def risk_counts(self) -> list:
        """Counted responses per risk level."""
        if self.is_frozen:
            return selectors.snapshot_risk_counts(self.defn, self.versions())
        return selectors.risk_counts(self.defn, self.responses())

    def risk_listing(self, level: str = "", *, with_rules: bool = False) -> QuerySet:
        """The counted responses at `level` (all when ''), highest level first; `with_rules`
        adds the counted version's fired rules as `rules`."""
        if self.is_frozen:
            rows, rules = selectors.snapshot_risk_rows(self.defn, self.versions(), level=level), "version"
        else:
            rows, rules = selectors.risk_rows(self.defn, self.responses(), level=level), "submitted_version"
        return rows.annotate(rules=F(f"{rules}__risk_rules")) if with_rules else rows

    # --- roll-ups ----------------------------------------------------------------------------

    def overall(self) -> GroupFigures:
        """Figures over the whole scope."""
        targets, responses = self.targets().count(), self.counted().count()
        items = selectors.item_summaries(self.defn, self.facts(), submitted=responses)
        label = self.prefecture_label() if self.prefecture else "全国"
        return GroupFigures("", label, targets, responses, items)

    def by_prefecture(self) -> list[GroupFigures]:
        """Figures per prefecture (only the scope's prefecture for a scoped export)."""
        names = dict(self.targets().values_list("prefecture_code", "prefecture_name").distinct())
        return self._groups("prefecture_code", selectors.count_by(self.targets(), "prefecture_code"),
                            lambda code: names[code], sorted)

    def by_kind(self) -> list[GroupFigures]:
        """Figures per organisation type of the master (都道府県, 政令指定都市, 市, 特別区, 町, 村)."""
        order = lambda keys: [k for k in OrgKind.values if k in keys]  # noqa: E731
        return self._groups("org_kind", selectors.count_by(self.targets(), "kind"), lambda k: OrgKind(k).label, order)

    def _groups(self, field: str, targets: dict[str, int], label, order) -> list[GroupFigures]:
        counted = selectors.count_by(self.counted(), field)
        summaries = selectors.item_summaries_by(self.defn, self.facts(), by=field, submitted=counted)
        return [
            GroupFigures(key, label(key), targets[key], counted.get(key, 0), summaries[key])
            for key in order(targets)
        ]

    def prefecture_label(self) -> str:
        name = self.targets().values_list("prefecture_name", flat=True).first()
        return name or self.prefecture

    def describe(self) -> str:
        """What the figures rest on, in Japanese (for the workbook and the job page)."""
        only = f"（回答の状態が「{self.state_label()}」の団体のみ）" if self.state else ""
        if self.is_frozen:
            at = timezone.localtime(self.snapshot.created_at)
            return f"確定集計「{self.snapshot.label}」（{at:%Y-%m-%d %H:%M} 確定、ID {self.snapshot.pk}）{only}"
        return f"現時点の提出済み回答（最新の提出版）{only}"
