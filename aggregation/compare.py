"""Comparing two rounds: per item and option, and per prefecture or organisation type.

Both sides are `FigureSource`s in the same scope (a prefecture officer compares their own
prefecture), so the figures are those of the results dashboard and the workbook of each
round. Items are matched by id and options by code (survey.engine.definition_diff says which
changed); counts are grouped in the database (aggregation.selectors.item_summaries_by), a few
queries per side whatever the number of responses.

A share is count / base (the responses the item applies to), as on the results dashboard; a
change is the difference of the shares in percentage points (None when one side lacks it).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.http import Http404

from aggregation import selectors
from aggregation.source import FigureSource
from survey import engine
from survey.models import OrgKind, Round
from survey.selectors import rounds_for_user

ADDED, REMOVED, CHANGED, SAME = "added", "removed", "changed", "same"
STATE_LABELS = {ADDED: "新しい項目", REMOVED: "削除された項目", CHANGED: "変更あり", SAME: ""}


def comparable_rounds(user, rnd: Round) -> list[Round]:
    """Other rounds of the same survey (any version) the user may see, newest first."""
    return list(rounds_for_user(user).filter(survey__code=rnd.survey.code).exclude(pk=rnd.pk)
                .order_by("-deadline", "-id"))


def round_chosen(value: str, rnd: Round, candidates: list[Round]) -> Round | None:
    """The round a picker named among `candidates` (anything else is 404); '' is the round `rnd`
    was started from when among them, else None."""
    if not value:
        return next((r for r in candidates if r.pk == rnd.previous_round_id), None)
    chosen = next((r for r in candidates if str(r.pk) == str(value)), None)
    if chosen is None:
        raise Http404
    return chosen


@dataclass
class OptionChange:
    """One option (by code) in both rounds; None for a side where the option does not exist."""

    code: str
    label: str
    before: int | None
    after: int | None
    before_share: float | None
    after_share: float | None

    @property
    def change(self) -> float | None:
        """after_share - before_share (a fraction: 0.05 is +5 points)."""
        if self.before_share is None or self.after_share is None:
            return None
        return self.after_share - self.before_share


@dataclass
class ItemComparison:
    item: engine.Item  # as in the current round (the previous round's for a removed item)
    state: str
    before: selectors.ItemSummary | None
    after: selectors.ItemSummary | None
    options: list[OptionChange] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass
class GroupComparison:
    """One prefecture or organisation type: counted responses and one item's options, both rounds."""

    key: str
    label: str
    before_responses: int
    after_responses: int
    before_base: int
    after_base: int
    options: list[OptionChange]


def _options(before: selectors.ItemSummary | None, after: selectors.ItemSummary | None) -> list[OptionChange]:
    """Options matched by code, the current round's first (in its order), then removed ones."""
    old = {o.code: o for o in before.options} if before else {}
    new = {o.code: o for o in after.options} if after else {}
    codes = list(new) + [c for c in old if c not in new]
    rows = []
    for code in codes:
        o, n = old.get(code), new.get(code)
        rows.append(OptionChange(code=code, label=(n or o).label,
                                 before=o.count if o else None, after=n.count if n else None,
                                 before_share=o.share if o else None, after_share=n.share if n else None))
    return rows


def _state(item_id: str, diff: engine.DefinitionDiff) -> str:
    if item_id in diff.added:
        return ADDED
    if item_id in diff.removed:
        return REMOVED
    return CHANGED if item_id in diff.changed_ids else SAME


def compare_items(current: FigureSource, previous: FigureSource) -> list[ItemComparison]:
    """Every item of either round, the current round's order first, with both rounds' figures."""
    diff = engine.definition_diff(previous.defn, current.defn)
    after = {s.item.id: s for s in current.overall().items}
    before = {s.item.id: s for s in previous.overall().items}
    ids = list(after) + [i for i in before if i not in after]
    return [
        ItemComparison(item=(after.get(i) or before[i]).item, state=_state(i, diff), before=before.get(i),
                       after=after.get(i), options=_options(before.get(i), after.get(i)))
        for i in ids
    ]


GROUPINGS = {"prefecture": "prefecture_code", "kind": "org_kind"}


def compare_by(current: FigureSource, previous: FigureSource, *, item_id: str, by: str) -> list[GroupComparison]:
    """One item per prefecture (`by="prefecture"`) or organisation type (`by="kind"`), both rounds.

    Groups are those with targets in either round, in code (or type) order.
    """
    return compare_groups(current, previous, by=by, item_ids=[item_id])[item_id]


def compare_groups(current: FigureSource, previous: FigureSource, *, by: str,
                   item_ids: list[str] | None = None) -> dict[str, list[GroupComparison]]:
    """`compare_by` for several items (all of either round by default) with a few grouped queries per round."""
    column = GROUPINGS[by]
    if item_ids is None:
        item_ids = [i.id for i in _items_in_order(current, previous)]
    (before_counted, before_items), (after_counted, after_items) = (
        _grouped(source, item_ids, column) for source in (previous, current))
    labels = _labels(current, previous, by)
    out = {}
    for item_id in item_ids:
        rows = []
        for key in labels:
            b, a = before_items.get((key, item_id)), after_items.get((key, item_id))
            rows.append(GroupComparison(key=key, label=labels[key], before_responses=before_counted.get(key, 0),
                                        after_responses=after_counted.get(key, 0),
                                        before_base=b.base if b else 0, after_base=a.base if a else 0,
                                        options=_options(b, a)))
        out[item_id] = rows
    return out


def _items_in_order(current: FigureSource, previous: FigureSource) -> list:
    """The items of either round: the current round's order, then items only the previous had."""
    ids = {i.id for i in current.defn.items}
    return [*current.defn.items, *(i for i in previous.defn.items if i.id not in ids)]


def _grouped(source: FigureSource, item_ids: list[str], column: str):
    """({group: counted responses}, {(group, item id): ItemSummary}) of one round: two grouped
    queries for the items, one for the responses. Items its survey does not have are left out."""
    counted = selectors.count_by(source.counted(), column)
    own = [i for i in item_ids if i in {x.id for x in source.defn.items}]
    if not own:
        return counted, {}
    summaries = selectors.item_summaries_by(source.defn, source.facts().filter(item__in=own), by=column,
                                            submitted=counted)
    return counted, {(key, s.item.id): s for key, rows in summaries.items() for s in rows if s.item.id in own}


def _labels(current: FigureSource, previous: FigureSource, by: str) -> dict[str, str]:
    if by == "kind":
        kinds = set(selectors.count_by(current.targets(), "kind")) | set(selectors.count_by(previous.targets(), "kind"))
        return {k: OrgKind(k).label for k in OrgKind.values if k in kinds}
    names = dict(current.targets().values_list("prefecture_code", "prefecture_name").distinct())
    names.update({k: v for k, v in previous.targets().values_list("prefecture_code", "prefecture_name").distinct()
                  if k not in names})
    return dict(sorted(names.items()))
