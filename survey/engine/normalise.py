"""Answers as people type them (web form, returned workbooks) -> canonical answers.

Used by the web form and the workbook reader alike, so it accepts every reasonable way of
writing an answer, reports what it could not read (the value is then left out) and warns
when it had to reinterpret a value ("normalised").
"""

from __future__ import annotations

import re

from . import messages as msg
from .definition import Definition, FollowUp, Item, Option
from .issues import WARNING, Issue
from .memo import MAX_TEXT, frozen
from .months import parse_month
from .text import answer_key, clean_text, compact, safe_nfkc

_LIST_SPLIT = re.compile(r"[,、，;；\s]+")


def _exact_forms(option: Option) -> set[str]:
    """Ways of writing an option that need no warning (what the drop-down and form give)."""
    forms = {option.code, option.mark, option.text, option.display, f"{option.mark} {option.text}"}
    if option.sheet_text:
        forms |= {option.sheet_text, option.mark + option.sheet_text}
    return forms


def match_option(item: Item, raw) -> tuple[str | None, bool]:
    """(code, exact) for a typed one-choice value; code None when nothing matches."""
    if isinstance(raw, bool):
        return None, False
    if isinstance(raw, int | float):
        code = str(int(raw)) if float(raw).is_integer() else None
        return (code, True) if code in item.codes else (None, False)
    text = str(raw).strip()
    for option in item.options:
        if text in _exact_forms(option):
            return option.code, True
    by_mark = {o.mark: o.code for o in item.options}
    if text[:1] in by_mark:  # circled digit followed by any text, but not "①②"
        return (None, False) if text[1:2] in by_mark else (by_mark[text[:1]], False)
    digits = safe_nfkc(text).strip()
    if re.fullmatch(r"[0-9]+", digits):
        return (digits, False) if digits in item.codes else (None, False)
    key = compact(text)
    for option in item.options:
        if key and key in {compact(f) for f in _exact_forms(option)}:
            return option.code, False
    return None, False


def _range(item: Item) -> dict[str, str]:
    return {"first": item.options[0].mark, "last": item.options[-1].mark}


def _shown(value) -> str:
    return value if isinstance(value, str) else repr(value)


def _normalise_one(item: Item, raw) -> tuple[str | None, list[Issue]]:
    code, exact = match_option(item, raw)
    if code is None:
        text = msg.INVALID_OPTION.format(label=item.label, value=_shown(raw).strip(), **_range(item))
        return None, [Issue("invalid_option", text, item=item.id, value=raw)]
    if exact:
        return code, []
    shown = item.option(code).display
    text = msg.NORMALISED.format(label=item.label, value=_shown(raw).strip(), shown=shown)
    return code, [Issue("normalised", text, item=item.id, value=raw, severity=WARNING)]


def _mark_state(defn: Definition, item: Item, option: Option, raw) -> tuple[bool | None, list[Issue]]:
    """True marked / False not marked / None unreadable, for one option's mark cell."""
    if raw is None or raw is False or (isinstance(raw, str) and not raw.strip()):
        return False, []
    if raw is True:
        return True, []
    label = f"{item.label} {option.mark}"
    text = clean_text(raw)
    if text not in defn.marks:
        message = msg.INVALID_MARK.format(label=item.label, option=option.mark, value=_shown(raw).strip())
        return None, [Issue("invalid_mark", message, item=item.id, value=raw)]
    if isinstance(raw, int | float) or str(raw).strip() in defn.marks:
        return True, []
    message = msg.NORMALISED.format(label=label, value=_shown(raw).strip(), shown=text)
    return True, [Issue("normalised", message, item=item.id, value=raw, severity=WARNING)]


def _normalise_marks(defn: Definition, item: Item, raw) -> tuple[list[str], list[Issue]]:
    """A marks answer: a list of options (codes, circled digits, texts) or {option: mark}."""
    if isinstance(raw, str):
        raw = [p for p in _LIST_SPLIT.split(raw) if p]
    if not isinstance(raw, dict):
        raw = {v: True for v in (raw if isinstance(raw, list | tuple | set | frozenset) else [raw])}
    codes, issues = set(), []
    for key, mark in raw.items():
        found, these = _normalise_one(item, key)
        issues += these
        if found is None:
            continue
        marked, these = _mark_state(defn, item, item.option(found), mark)
        issues += these
        if marked:
            codes.add(found)
    return sorted(codes, key=int), issues


def _normalise_followup(item: Item, f: FollowUp, raw) -> tuple[str | None, list[Issue]]:
    if f.kind == "month":
        month = parse_month(raw)
        if month is None:
            text = msg.INVALID_MONTH.format(label=item.label, followup=f.label, value=_shown(raw).strip())
            return None, [Issue("invalid_month", text, item=f.key, value=raw)]
        if isinstance(raw, int | float):  # a float/serial is a guess worth showing
            text = msg.NORMALISED.format(label=f"{item.label} {f.label}", value=_shown(raw), shown=month)
            return month, [Issue("normalised", text, item=f.key, value=raw, severity=WARNING)]
        return month, []
    return clean_text(raw) or None, []


def _is_empty(raw) -> bool:
    return (
        raw is None
        or (isinstance(raw, str) and not raw.strip())
        or (isinstance(raw, list | tuple | set | dict) and not raw)
    )


def normalise_value(defn: Definition, key: str, raw) -> tuple[object | None, list[Issue]]:
    """Canonical value for one answers key (already canonical); None when empty or unreadable."""
    if _is_empty(raw):
        return None, []
    if key in defn.followups:
        f = defn.followups[key]
        return _normalise_followup(defn.item(f.item), f, raw)
    item = defn.item(key)
    if item.kind == "marks":
        codes, issues = _normalise_marks(defn, item, raw)
        return (codes or None), issues
    return _normalise_one(item, raw)


def _label(defn: Definition, key: str) -> str:
    item_id, _, followup = key.partition(":")
    return f"{defn.item(item_id).label} {followup}".strip()


def normalise_answers(defn: Definition, raw: dict) -> tuple[dict, list[Issue]]:
    """(answers, issues) from raw answers keyed by item id or follow-up key.

    Unreadable values are left out with an error; empty values are left out silently.
    The result is in survey order. Kept per definition for a raw value of plain types (the
    reader asks this for every cell of thousands of sheets that share their option texts).
    """
    key = _one_cell_key(raw) or frozen(raw)
    if key is None:
        return _normalise_answers(defn, raw)
    table = defn.memo.table("normalise_answers")
    found = table.get(key)
    if found is None:
        found = _normalise_answers(defn, raw)
        if all(frozen(i.value) == (type(i.value), i.value) for i in found[1]):  # no list or dict kept
            table[key] = found
    answers, issues = found
    return {k: list(v) if isinstance(v, list) else v for k, v in answers.items()}, list(issues)


def _one_cell_key(raw: dict) -> tuple | None:
    """The memo key of one key and a plain value, quicker than `frozen` (which never gives a
    tuple starting with a str, so the keys cannot meet)."""
    if len(raw) != 1:
        return None
    ((key, value),) = raw.items()
    kind = type(value)
    if type(key) is str and len(key) <= MAX_TEXT and (
            (kind is str and len(value) <= MAX_TEXT) or kind is int or kind is bool or value is None):
        return (key, kind, value)
    if kind is float and type(key) is str and len(key) <= MAX_TEXT:
        return (key, kind, value.hex())  # 0.0 == -0.0, but a message shows the sign
    return None


def _normalise_answers(defn: Definition, raw: dict) -> tuple[dict, list[Issue]]:
    found: dict[str, object] = {}
    issues: list[Issue] = []
    for raw_key, raw_value in raw.items():
        if _is_empty(raw_value):
            continue
        key = answer_key(raw_key)
        if not defn.is_answer_key(key):
            issues.append(
                Issue(
                    "unknown_item", msg.UNKNOWN_ITEM.format(value=raw_key), item=str(raw_key), value=raw_value
                )
            )
            continue
        value, these = normalise_value(defn, key, raw_value)
        issues += these
        if value is None:
            continue
        if key in found and found[key] != value:
            issues.append(
                Issue(
                    "duplicate_item",
                    msg.DUPLICATE_ITEM.format(label=_label(defn, key), value=raw_key),
                    item=key,
                    value=raw_value,
                )
            )
        found[key] = value
    return {k: found[k] for k in defn.answer_keys if k in found}, issues
