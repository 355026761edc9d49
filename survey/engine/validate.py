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
from .memo import frozen
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
    attached = frozenset(attached)
    key = _validate_key(defn, org_kind, answers, respondent, complete, attached)
    if key is None:
        return _validate(defn, org_kind, answers, respondent, complete, attached)
    table = defn.memo.setdefault("validate", {})
    found = table.get(key)
    if found is None:
        found = _validate(defn, org_kind, answers, respondent, complete, attached)
        if all(frozen(i.value) == (type(i.value), i.value) for i in found):  # no list or dict kept
            if len(table) >= VALIDATE_MEMO_ENTRIES:
                del table[next(iter(table))]  # the oldest: the import's sheets are still to come
            table[key] = found
    return list(found)


# A bulk import checks each sheet twice with the same values: when it reads the sheet (the
# reader's report) and when it submits it (survey.services.versions.answers_check, the one
# submission path), at most a chunk of sheets apart (sheets.imports.IMPORT_CHUNK, 100). The
# second check takes the first one's issues. Kept small: each entry holds a whole answer set.
VALIDATE_MEMO_ENTRIES = 256


def _validate_key(defn: Definition, org_kind: str, answers: dict, respondent: dict, complete: bool,
                  attached: frozenset):
    """The memo key of a validation, or None when a value is not plain text (or a list of texts).

    A respondent field of the definition left empty ("", None) is left out of the key: the
    checks read a field with `respondent.get(label)`, so an empty one is an absent one (the
    reader leaves out the ministry's fields it has no value for; the submission adds them as "")."""
    labels = defn.memo.get("respondent_labels")
    if labels is None:
        labels = defn.memo["respondent_labels"] = frozenset(f.label for f in defn.respondent_fields)
    answers_key = _texts(answers.items())
    respondent_key = _texts((k, v) for k, v in respondent.items() if v or k not in labels)
    if answers_key is None or respondent_key is None or type(org_kind) is not str:
        return None
    return org_kind, answers_key, respondent_key, bool(complete), attached


def _texts(items) -> tuple | None:
    """(key, value) pairs of text keys and text values (a list of texts as a tuple), or None."""
    found = []
    for key, value in items:
        if type(key) is not str:
            return None
        kind = type(value)
        if kind is str:
            found.append((key, value))
        elif kind is list and all(type(v) is str for v in value):
            found.append((key, tuple(value)))
        else:
            return None
    return tuple(found)


def _validate(defn: Definition, org_kind: str, answers: dict, respondent: dict, complete: bool,
              attached: frozenset) -> list[Issue]:
    return validate_respondent(defn, respondent, complete=complete, org_kind=org_kind) + _answer_issues(
        defn, org_kind, answers, complete, attached
    )
