"""Which items apply, derived from the definition's go-to rules, `only_if` and `org_kinds`.

The items are walked in survey order as a respondent on paper would. At an item whose answer
decides the way on (a go-to on one of its options, or another item's `only_if` naming it)
and which is still unanswered, the walk forks over every option. So every path that the
answers given so far still allow is followed, and an item is

- "applicable" when it lies on every such path (e.g. the closing item reached from all
  branches),
- "skipped" when it lies on none (answering it is a contradiction),
- "pending" otherwise: it depends on a branching answer not given yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .definition import Condition, Definition, Item

APPLICABLE, PENDING, SKIPPED = "applicable", "pending", "skipped"


@dataclass(frozen=True)
class SkipReason:
    """Why an item is skipped: `kind` is "org_kind", "goto" or "only_if"; for goto and
    only_if, `item` and `code` name the answer responsible (code None: item not reached)."""

    kind: str
    item: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class ItemPath:
    """One way through the survey: the items asked, and the branching choices taking it."""

    items: tuple[str, ...]
    choices: tuple[tuple[str, str], ...]

    @property
    def choice_dict(self) -> dict[str, str]:
        return dict(self.choices)


@dataclass
class _Trace:
    reached: list[str] = field(default_factory=list)
    chosen: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, SkipReason] = field(default_factory=dict)


def condition_holds(defn: Definition, cond: Condition, value) -> bool:
    """Whether a canonical answer `value` of `cond.item` satisfies `cond`."""
    if value is None:
        return False
    if defn.item(cond.item).kind == "marks":
        marked = set(value) if isinstance(value, list | tuple) else set()
        if cond.marked_without is not None:
            return bool(marked) and cond.marked_without not in marked
        return bool(marked & set(cond.any_of))
    return value in cond.any_of


def _exclusion(defn: Definition, item: Item, org_kind: str, chosen: dict[str, str]) -> SkipReason | None:
    if item.org_kinds and org_kind not in item.org_kinds:
        return SkipReason("org_kind")
    if item.only_if and not condition_holds(defn, item.only_if, chosen.get(item.only_if.item)):
        return SkipReason("only_if", item.only_if.item, chosen.get(item.only_if.item))
    return None


def _walk(
    defn: Definition,
    org_kind: str,
    answers: dict,
    start: int,
    trace: _Trace,
    goto: tuple[str, str, str] | None,
    out: list[_Trace],
) -> None:
    """Follow the items from `start`; fork at unanswered branching items."""
    for index in range(start, len(defn.items)):
        item = defn.items[index]
        if goto is not None and item.id != goto[0]:
            trace.skipped[item.id] = SkipReason("goto", goto[1], goto[2])
            continue
        goto = None
        reason = _exclusion(defn, item, org_kind, trace.chosen)
        if reason:
            trace.skipped[item.id] = reason
            continue
        trace.reached.append(item.id)
        if item.id not in defn.branching_ids:
            continue
        given = answers.get(item.id)
        codes = [given] if given in item.codes else list(item.codes)
        for code in codes[1:]:
            fork = _Trace(list(trace.reached), {**trace.chosen, item.id: code}, dict(trace.skipped))
            _walk(defn, org_kind, answers, index + 1, fork, _goto(item, code), out)
        trace.chosen[item.id] = codes[0]
        goto = _goto(item, codes[0])
    out.append(trace)


def _goto(item: Item, code: str) -> tuple[str, str, str] | None:
    target = item.option(code).goto
    return (target, item.id, code) if target else None


def traces(defn: Definition, org_kind: str, answers: dict) -> list[_Trace]:
    """Every path through the survey that `answers` still allow."""
    defn.check_org_kind(org_kind)
    out: list[_Trace] = []
    _walk(defn, org_kind, answers, 0, _Trace(), None, out)
    return out


def item_status(defn: Definition, org_kind: str, answers: dict) -> dict[str, str]:
    """Status of every item: "applicable", "pending" or "skipped" (see module doc)."""
    return dict(_summary(defn, org_kind, answers)[0])


def skip_reasons(defn: Definition, org_kind: str, answers: dict) -> dict[str, SkipReason]:
    """For each skipped item, why (taken from the first path; all paths skip it)."""
    return dict(_summary(defn, org_kind, answers)[1])


def _summary(defn: Definition, org_kind: str, answers: dict) -> tuple[dict[str, str], dict[str, SkipReason]]:
    """(item_status, skip_reasons), kept per definition for what the walk reads of the answers:
    each branching item's answer when it is one of its codes (anything else forks like no answer)."""
    defn.check_org_kind(org_kind)
    key = (org_kind, *(v if isinstance(v := answers.get(i), str) and v in codes else None
                       for i, codes in _branching_codes(defn)))
    table = defn.memo.table("paths")
    found = table.get(key)
    if found is None:
        found = table[key] = _summarise(defn, traces(defn, org_kind, answers))
    return found


def _summarise(defn: Definition, paths: list[_Trace]) -> tuple[dict[str, str], dict[str, SkipReason]]:
    reached = [set(p.reached) for p in paths]
    status, reasons = {}, {}
    for item in defn.items:
        hits = sum(item.id in r for r in reached)
        status[item.id] = APPLICABLE if hits == len(paths) else SKIPPED if hits == 0 else PENDING
        if hits == 0:
            reasons[item.id] = paths[0].skipped[item.id]
    return status, reasons


def _branching_codes(defn: Definition) -> tuple[tuple[str, frozenset[str]], ...]:
    """(id, codes) of the branching items: `_walk` follows an answer that is one of the codes
    and forks over all of them for anything else."""
    found = defn.memo.get("branching_codes")
    if found is None:
        found = defn.memo["branching_codes"] = tuple((i, frozenset(defn.item(i).codes))
                                                     for i in sorted(defn.branching_ids))
    return found


def applicable_items(defn: Definition, org_kind: str, answers: dict) -> list[str]:
    """Ids of the items that apply now, in survey order."""
    status = item_status(defn, org_kind, answers)
    return [i for i, s in status.items() if s == APPLICABLE]


def followup_status(
    defn: Definition, org_kind: str, answers: dict, status: dict[str, str] | None = None
) -> dict[str, str]:
    """Status of every follow-up key: applicable when its item applies and one of its
    trigger options is chosen; pending while that is not known yet; skipped otherwise."""
    status = status or item_status(defn, org_kind, answers)
    out = {}
    for key, f in defn.followups.items():
        item_state, value = status[f.item], answers.get(f.item)
        if item_state == SKIPPED:
            out[key] = SKIPPED
        elif value is None:
            out[key] = PENDING
        elif not _chosen(value, f.when):
            out[key] = SKIPPED
        else:
            out[key] = item_state
    return out


def _chosen(value, codes) -> bool:
    values = value if isinstance(value, list | tuple) else [value]
    return any(v in codes for v in values)


def clear_inapplicable(defn: Definition, org_kind: str, answers: dict) -> tuple[dict, list[str]]:
    """Drop answers to skipped items and follow-ups; return (answers, cleared keys).

    Pending answers are kept: they may apply once the branching answer is given. Clearing
    can settle a pending item (its own branching answer removed), so repeat until stable.
    """
    answers, cleared = dict(answers), []
    while True:
        status = item_status(defn, org_kind, answers)
        fstatus = followup_status(defn, org_kind, answers, status)
        drop = [k for k in answers if status.get(k) == SKIPPED or fstatus.get(k) == SKIPPED]
        if not drop:
            return answers, cleared
        for key in drop:
            del answers[key]
        cleared += drop


def item_paths(defn: Definition, org_kind: str) -> list[ItemPath]:
    """Every distinct path through the survey for an org kind, with choices that take it."""
    seen: dict[tuple[str, ...], ItemPath] = {}
    for t in traces(defn, org_kind, {}):
        items = tuple(t.reached)
        if items not in seen:
            seen[items] = ItemPath(items, tuple(t.chosen.items()))
    return list(seen.values())


def items_co_occur(defn: Definition, a: str, b: str) -> bool:
    """Whether one organisation can be asked both items: some path of some org kind reaches both."""
    return any(a in p.items and b in p.items for kind in defn.org_kinds for p in item_paths(defn, kind.id))


def first_co_occurring_pair(defn: Definition) -> tuple[str, str] | None:
    """The first two items, in survey order, that one organisation can be asked together
    (a cross-tabulation of them can have answers in every cell's row and column)."""
    asked_together = [set(p.items) for kind in defn.org_kinds for p in item_paths(defn, kind.id)]
    ids = [i.id for i in defn.items]
    for n, a in enumerate(ids):
        for b in ids[n + 1:]:
            if any(a in items and b in items for items in asked_together):
                return a, b
    return None
