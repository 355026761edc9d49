"""Semantic checks of a definition: ids, codes, branching targets, rule references.

Every problem is collected and raised once as `DefinitionError`, so a ministry editor sees
the whole list after one load.
"""

from __future__ import annotations

import re

from .definition import (
    CHANNELS,
    CHECK_KINDS,
    FIELD_KINDS,
    FILLERS,
    FOLLOWUP_KINDS,
    ITEM_KINDS,
    SEVERITIES,
    Condition,
    Definition,
    DefinitionError,
    Item,
    RespondentField,
)

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _duplicates(values: list[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({v for v in values if v in seen or seen.add(v)})


def check_definition(defn: Definition) -> None:
    """Raise DefinitionError listing every structural problem of `defn`."""
    problems: list[str] = []
    org_ids = [k.id for k in defn.org_kinds]
    problems += [f"duplicate org kind {d!r}" for d in _duplicates(org_ids)]
    problems += [f"duplicate item id {d!r}" for d in _duplicates([i.id for i in defn.items])]
    problems += [
        f"duplicate respondent field {d!r}" for d in _duplicates([f.label for f in defn.respondent_fields])
    ]
    if not defn.marks:
        problems.append("survey.marks: at least one accepted mark is needed")
    order = {item.id: n for n, item in enumerate(defn.items)}
    for item in defn.items:
        problems += _item_problems(defn, item, order, set(org_ids))
    for f in defn.respondent_fields:
        problems += _field_problems(f)
        if f.is_org_kind and set(f.choices) != {k.label for k in defn.org_kinds}:
            problems.append(f"respondent field {f.label}: choices must be the org kind labels")
    for g in defn.guidance:
        problems += [f"guidance {g.id}: unknown org kind {k!r}" for k in g.org_kinds if k not in org_ids]
        problems += [f"guidance {g.id}: unknown channel {c!r} (expected one of {CHANNELS})"
                     for c in g.channels if c not in CHANNELS]
    problems += _risk_problems(defn)
    if problems:
        raise DefinitionError(problems)


def _item_problems(defn: Definition, item: Item, order: dict[str, int], org_ids: set[str]) -> list[str]:
    where = f"item {item.id}"
    problems = []
    if item.kind not in ITEM_KINDS:
        problems.append(f"{where}: unknown kind {item.kind!r} (expected one of {ITEM_KINDS})")
    if not item.options:
        problems.append(f"{where}: has no options")
    problems += [f"{where}: unknown org kind {k!r}" for k in item.org_kinds if k not in org_ids]
    for n, option in enumerate(item.options, 1):
        problems += _option_problems(item, option, n, order)
    if item.only_if:
        problems += _condition_problems(defn, item.only_if, f"{where}.only_if", order, before=order[item.id])
        if item.only_if.marked_without is not None:
            problems.append(f"{where}.only_if: use any_of, marked_without is for risk rules")
    problems += [
        f"{where}: duplicate follow-up {d!r}" for d in _duplicates([f.label for f in item.followups])
    ]
    for f in item.followups:
        if f.kind not in FOLLOWUP_KINDS:
            problems.append(f"{where} follow-up {f.label}: unknown kind {f.kind!r}")
        problems += [
            f"{where} follow-up {f.label}: unknown option {c!r}" for c in f.when if c not in item.codes
        ]
        if not f.when:
            problems.append(f"{where} follow-up {f.label}: `when` lists no option")
    return problems


def _option_problems(item: Item, option, n: int, order: dict[str, int]) -> list[str]:
    where = f"item {item.id} option {option.code}"
    problems = []
    if option.code != str(n):
        problems.append(f"{where}: codes must run 1..n in order, expected {str(n)!r}")
    elif n > len(CIRCLED) or option.mark != CIRCLED[n - 1]:
        problems.append(f"{where}: mark {option.mark!r} does not match its code")
    if option.goto is not None:
        if item.kind != "one":
            problems.append(f"{where}: goto is only allowed on one-choice items")
        if option.goto not in order:
            problems.append(f"{where}: goto target {option.goto!r} is not an item")
        elif order[option.goto] <= order[item.id]:
            problems.append(f"{where}: goto {option.goto!r} goes backwards")
    return problems


def _condition_problems(defn, cond: Condition, where: str, order: dict[str, int], before=None) -> list[str]:
    if cond.item not in order:
        return [f"{where}: unknown item {cond.item!r}"]
    target = defn.item(cond.item)
    problems = []
    if before is not None and order[cond.item] >= before:
        problems.append(f"{where}: must refer to an earlier item, not {cond.item!r}")
    if before is not None and target.kind != "one":
        problems.append(f"{where}: branching may only depend on a one-choice item")
    if bool(cond.any_of) == (cond.marked_without is not None):
        problems.append(f"{where}: give exactly one of any_of / marked_without")
    problems += [
        f"{where}: unknown option {c!r} of item {cond.item}" for c in cond.any_of if c not in target.codes
    ]
    if cond.marked_without is not None:
        if target.kind != "marks":
            problems.append(f"{where}: marked_without needs a marks item")
        if cond.marked_without not in target.codes:
            problems.append(f"{where}: unknown option {cond.marked_without!r} of item {cond.item}")
    return problems


def _field_problems(f: RespondentField) -> list[str]:
    where = f"respondent field {f.label}"
    problems = []
    if f.kind not in FIELD_KINDS:
        problems.append(f"{where}: unknown kind {f.kind!r}")
    if f.filled_by not in FILLERS:
        problems.append(f"{where}: filled_by must be one of {FILLERS}")
    if f.kind == "choice" and not f.choices:
        problems.append(f"{where}: a choice field needs choices")
    if f.default is not None and f.choices and f.default not in f.choices:
        problems.append(f"{where}: default {f.default!r} is not a choice")
    problems += [f"{where}: alias target {v!r} is not a choice" for _, v in f.aliases if v not in f.choices]
    if f.is_org_kind and f.kind != "choice":
        problems.append(f"{where}: is_org_kind needs a choice field whose choices are org kind labels")
    for c in f.checks:
        problems += _field_check_problems(where, c)
    return problems


def _field_check_problems(where: str, check) -> list[str]:
    problems = []
    if check.kind not in CHECK_KINDS:
        problems.append(f"{where}: unknown check kind {check.kind!r}")
    if check.severity not in SEVERITIES:
        problems.append(f"{where}: unknown severity {check.severity!r}")
    if check.kind == "pattern":
        try:
            re.compile(check.pattern or "")
        except re.error as exc:
            problems.append(f"{where}: bad pattern: {exc}")
    if check.kind == "keywords_any" and not check.keywords:
        problems.append(f"{where}: keywords_any needs keywords")
    return problems


def _risk_problems(defn: Definition) -> list[str]:
    problems = [f"duplicate risk level {d!r}" for d in _duplicates([r.id for r in defn.risk_levels])]
    problems += [
        f"duplicate risk level rank {d!r}" for d in _duplicates([str(r.rank) for r in defn.risk_levels])
    ]
    if not defn.risk_levels:
        problems.append("at least one risk level is needed")
    problems += [f"duplicate risk rule {d!r}" for d in _duplicates([r.id for r in defn.risk_rules])]
    levels = {r.id for r in defn.risk_levels}
    order = {item.id: n for n, item in enumerate(defn.items)}
    for rule in defn.risk_rules:
        if rule.level not in levels:
            problems.append(f"risk rule {rule.id}: unknown level {rule.level!r}")
        problems += _condition_problems(defn, rule.condition, f"risk rule {rule.id}", order)
    return problems
