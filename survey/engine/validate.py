"""Checking canonical answers and respondent information against the definition.

All problems are collected and returned together, each with a code (see `messages.py` for
the texts). A draft (`complete=False`) is checked for format and for answers to items that
do not apply; `complete=True` adds everything required before submission.
"""

from __future__ import annotations

from . import messages as msg
from .branching import APPLICABLE, SKIPPED, SkipReason, followup_status, item_status, skip_reasons
from .definition import Definition, FollowUp, Item
from .issues import Issue
from .months import is_canonical_month
from .respondent import validate_respondent


def _range(item: Item) -> dict[str, str]:
    return {"first": item.options[0].mark, "last": item.options[-1].mark}


def _marks(item: Item, codes) -> str:
    """Circled digits of `codes`: "③", "①・③", or a run as "②〜④"."""
    numbers = sorted(int(c) for c in codes)
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{item.option(str(numbers[0])).mark}〜{item.option(str(numbers[-1])).mark}"
    return "・".join(item.option(str(n)).mark for n in numbers)


def _item_format(item: Item, value) -> list[Issue]:
    if item.kind == "one":
        if isinstance(value, str) and value in item.codes:
            return []
        text = msg.INVALID_OPTION.format(label=item.label, value=value, **_range(item))
        return [Issue("invalid_option", text, item=item.id, value=value)]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [
            Issue(
                "invalid_value",
                msg.INVALID_VALUE.format(label=item.label, value=value),
                item=item.id,
                value=value,
            )
        ]
    unknown = [v for v in value if v not in item.codes]
    if unknown:
        text = msg.INVALID_OPTION.format(label=item.label, value="・".join(unknown), **_range(item))
        return [Issue("invalid_option", text, item=item.id, value=value)]
    if len(set(value)) != len(value):
        return [
            Issue(
                "invalid_value",
                msg.INVALID_VALUE.format(label=item.label, value=value),
                item=item.id,
                value=value,
            )
        ]
    return []


def _followup_format(defn: Definition, f: FollowUp, value) -> list[Issue]:
    label = defn.item(f.item).label
    if f.kind == "month" and not is_canonical_month(value):
        text = msg.INVALID_MONTH.format(label=label, followup=f.label, value=value)
        return [Issue("invalid_month", text, item=f.key, value=value)]
    if not isinstance(value, str):
        return [
            Issue(
                "invalid_value", msg.INVALID_VALUE.format(label=label, value=value), item=f.key, value=value
            )
        ]
    if f.max_length and len(value) > f.max_length:
        text = msg.TOO_LONG.format(label=label, followup=f.label, max=f.max_length, length=len(value))
        return [Issue("too_long", text, item=f.key, value=value)]
    return []


def _skip_message(defn: Definition, item: Item, reason: SkipReason) -> str:
    if reason.kind == "org_kind":
        kinds = "・".join(defn.org_kind_label(k) for k in item.org_kinds)
        return msg.SKIPPED_ORG_KIND.format(label=item.label, org_kinds=kinds)
    source = defn.item(reason.item)
    if reason.kind == "goto":
        return msg.SKIPPED_GOTO.format(
            label=item.label, source=source.label, mark=source.option(reason.code).mark
        )
    if reason.code is None:
        return msg.SKIPPED_NOT_REACHED.format(label=item.label, source=source.label)
    return msg.SKIPPED_ONLY_IF.format(
        label=item.label, source=source.label, marks=_marks(source, item.only_if.any_of)
    )


def _followup_skip_message(defn: Definition, f: FollowUp, item_skipped: bool) -> str:
    item = defn.item(f.item)
    if item_skipped:
        return msg.FOLLOWUP_ITEM_SKIPPED.format(label=item.label, followup=f.label)
    return msg.FOLLOWUP_SKIPPED.format(label=item.label, followup=f.label, marks=_marks(item, f.when))


def _answer_issues(
    defn: Definition, org_kind: str, answers: dict, complete: bool, attached: frozenset[str]
) -> list[Issue]:
    status = item_status(defn, org_kind, answers)
    fstatus = followup_status(defn, org_kind, answers, status)
    reasons = skip_reasons(defn, org_kind, answers)
    issues = [
        Issue("unknown_item", msg.UNKNOWN_ITEM.format(value=k), item=k, value=v)
        for k, v in answers.items()
        if k not in status and k not in fstatus
    ]
    for item in defn.items:
        value = answers.get(item.id)
        if value not in (None, [], ""):
            issues += _item_format(item, value)
            if status[item.id] == SKIPPED:
                text = _skip_message(defn, item, reasons[item.id])
                issues.append(Issue("not_applicable_answered", text, item=item.id, value=value))
        elif complete and status[item.id] == APPLICABLE:
            issues.append(_required(item))
        for f in item.followups:
            satisfied = complete and f.attachments and f.key in attached
            issues += _followup_issues(
                defn, f, answers.get(f.key), fstatus[f.key], status[item.id], complete and not satisfied
            )
    return issues


def _required(item: Item) -> Issue:
    if item.kind == "marks":
        return Issue("marks_required", msg.MARKS_REQUIRED.format(label=item.label), item=item.id)
    return Issue("required", msg.REQUIRED.format(label=item.label, **_range(item)), item=item.id)


def _followup_issues(
    defn: Definition, f: FollowUp, value, state: str, item_state: str, complete: bool
) -> list[Issue]:
    if value not in (None, ""):
        issues = _followup_format(defn, f, value)
        if state == SKIPPED:
            text = _followup_skip_message(defn, f, item_state == SKIPPED)
            issues.append(Issue("not_applicable_answered", text, item=f.key, value=value))
        return issues
    if complete and f.required and state == APPLICABLE:
        item = defn.item(f.item)
        text = msg.FOLLOWUP_REQUIRED.format(label=item.label, marks=_marks(item, f.when), followup=f.label)
        return [Issue("followup_required", text, item=f.key)]
    return []


def validate(
    defn: Definition, org_kind: str, answers: dict, respondent: dict, *, complete: bool, attached=frozenset()
) -> list[Issue]:
    """Every issue of a response: respondent fields first, then items in survey order.

    Answers to items still pending (their branching answer is missing) are not errors;
    with `complete=True` the missing branching answer itself is reported as required.
    `attached`: follow-up keys for which a file was attached; for a follow-up that takes
    attachments a file stands in for the written outline.
    """
    return validate_respondent(defn, respondent, complete=complete, org_kind=org_kind) + _answer_issues(
        defn, org_kind, answers, complete, frozenset(attached)
    )
