"""Respondent information (回答者情報): normalising typed values and checking them."""

from __future__ import annotations

import re
import unicodedata

from . import messages as msg
from .contact import clean_phone, is_valid_email, is_valid_phone, restore_phone_zero
from .definition import Definition, FieldCheck, RespondentField
from .issues import WARNING, Issue
from .memo import frozen
from .text import clean_text, compact


def _choices_text(f: RespondentField) -> str:
    return "・".join(f.choices)


def _warn(f: RespondentField, raw, shown: str) -> Issue:
    text = msg.FIELD_NORMALISED.format(field=f.label, value=str(raw).strip(), shown=shown)
    return Issue("normalised", text, field=f.label, value=raw, severity=WARNING)


def _match_choice(f: RespondentField, text: str) -> str | None:
    key = compact(text)
    for choice in f.choices:
        if compact(choice) == key:
            return choice
    return next((target for alias, target in f.aliases if compact(alias) == key), None)


def _normalise_field(f: RespondentField, raw) -> tuple[str | None, list[Issue]]:
    if f.kind == "phone" and isinstance(raw, int | float) and not isinstance(raw, bool):
        restored = restore_phone_zero(raw)
        if restored:
            return restored, [_warn(f, raw, restored)]
    text = clean_text(raw)
    if f.strip_spaces:
        text = re.sub(r"\s+", "", text)
    if f.kind in ("phone", "email"):  # ASCII values: full NFKC is safe (＠ ． （）)
        text = unicodedata.normalize("NFKC", text)
    if f.kind == "phone":
        text = clean_phone(text)
    if not text or f.kind != "choice":
        # Widths, dashes and spaces only: the value means the same, a warning would be noise.
        return text or None, []
    choice = _match_choice(f, text)
    if choice is None:
        message = msg.INVALID_CHOICE.format(field=f.label, value=text, choices=_choices_text(f))
        return None, [Issue("invalid_choice", message, field=f.label, value=raw)]
    return choice, [] if choice == str(raw).strip() else [_warn(f, raw, choice)]


def normalise_respondent(defn: Definition, raw: dict) -> tuple[dict[str, str], list[Issue]]:
    """(respondent, issues) from typed values keyed by field label.

    Empty values are left out; a choice that matches nothing is left out with an error.
    The result follows the definition's field order.
    """
    found: dict[str, str] = {}
    issues: list[Issue] = []
    labels = [f.label for f in defn.respondent_fields]
    for key, value in raw.items():
        label = clean_text(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if label not in labels:
            issues.append(
                Issue("unknown_field", msg.UNKNOWN_FIELD.format(value=key), field=str(key), value=value)
            )
            continue
        text, these = _normalise_field(defn.respondent_field(label), value)
        issues += these
        if text is not None:
            found[label] = text
    return {k: found[k] for k in labels if k in found}, issues


def _check_fails(check: FieldCheck, value: str) -> bool:
    if check.kind == "pattern":
        return not re.search(check.pattern or "", value)
    matched = any(k in value for k in check.keywords)
    return not matched or any(x in value for x in check.exclude)


def _field_issues(f: RespondentField, value) -> list[Issue]:
    if not isinstance(value, str):
        return [
            Issue(
                "invalid_value",
                msg.INVALID_FIELD_VALUE.format(field=f.label, value=value),
                field=f.label,
                value=value,
            )
        ]
    formats = {
        "choice": (lambda v: v in f.choices, "invalid_choice", msg.INVALID_CHOICE),
        "phone": (is_valid_phone, "invalid_phone", msg.INVALID_PHONE),
        "email": (is_valid_email, "invalid_email", msg.INVALID_EMAIL),
    }
    if f.kind in formats:
        ok, code, template = formats[f.kind]
        if not ok(value):
            text = template.format(field=f.label, value=value, choices=_choices_text(f))
            return [Issue(code, text, field=f.label, value=value)]
    return [
        Issue(
            c.code,
            msg.FIELD_CHECK.format(field=f.label, message=c.message),
            field=f.label,
            value=value,
            severity=c.severity,
        )
        for c in f.checks
        if _check_fails(c, value)
    ]


def missing_fields(defn: Definition, respondent: dict) -> list[str]:
    """Labels of required fields that the respondent must fill and has not."""
    return [
        f.label
        for f in defn.respondent_fields
        if f.required and f.filled_by == "respondent" and not respondent.get(f.label)
    ]


def _org_kind_issues(defn: Definition, f: RespondentField, value: str, org_kind: str | None) -> list[Issue]:
    """The field that states the organisation kind must agree with the organisation."""
    if not f.is_org_kind or org_kind is None or value not in f.choices:
        return []
    expected = defn.org_kind_label(org_kind)
    if value == expected:
        return []
    text = msg.ORG_KIND_MISMATCH.format(field=f.label, value=value, expected=expected)
    return [Issue("org_kind_mismatch", text, field=f.label, value=value)]


def validate_respondent(
    defn: Definition, respondent: dict, *, complete: bool, org_kind: str | None = None
) -> list[Issue]:
    """Format issues of the given fields; with `complete`, the missing required ones too.

    Fields filled by the ministry are checked for format but are not the respondent's duty.
    With `org_kind`, the field marked `is_org_kind` must name that kind.
    """
    labels = {f.label for f in defn.respondent_fields}
    issues = [
        Issue("unknown_field", msg.UNKNOWN_FIELD.format(value=k), field=k, value=v)
        for k, v in respondent.items()
        if k not in labels
    ]
    for f in defn.respondent_fields:
        if respondent.get(f.label):
            issues += _field_issues(f, respondent[f.label])
            issues += _org_kind_issues(defn, f, respondent[f.label], org_kind)
    if complete:
        for label in missing_fields(defn, respondent):
            f = defn.respondent_field(label)
            template = msg.RESPONDENT_CHOICE_REQUIRED if f.kind == "choice" else msg.RESPONDENT_REQUIRED
            issues.append(
                Issue(
                    "respondent_required", template.format(field=label, choices=_choices_text(f)), field=label
                )
            )
    return issues


# Words that only say "the work of": a copy without them names the same scheme.
_WORDING_ONLY = ("関係事務", "関連事務", "事務", "関係", "制度")
_BRACKETS = re.compile(r"[（(【\[［][^）)】\]］]*[）)】\]］]")


def _names_of(text: str) -> set[str]:
    """What a ministry-filled value may be written as: with or without its bracketed part
    and the words that only say "the work of" (職業転換給付金制度（訓練手当）関係事務 ->
    職業転換給付金, 職業転換給付金（訓練手当）, 訓練手当)."""
    key = compact(text)
    plain = key
    for word in _WORDING_ONLY:
        plain = plain.replace(word, "")
    names = {key, plain, _BRACKETS.sub("", plain)}
    names |= {compact(m.group())[1:-1] for m in _BRACKETS.finditer(plain)}
    return {n for n in names if n}


def _same_thing(written: str, expected: str) -> bool:
    wanted = _names_of(expected)
    key = compact(written)
    for word in _WORDING_ONLY:
        key = key.replace(word, "")
    return bool({key, _BRACKETS.sub("", key)} & wanted)


def ministry_values(defn: Definition, written: dict, round_values: dict) -> tuple[dict[str, str], list[Issue]]:
    """The fields the ministry fills (`filled_by = "ministry"`) for a returned copy: always the
    round's values. A copy that leaves one blank or words it differently (without 関係事務, without
    the bracketed part) takes the round's value with a warning; a copy that names something
    else (another scheme) is an error. `round_values` by label; a label it lacks takes the
    field's default. Kept per definition for plain values (every sheet of a bulk import asks
    this with the same round values and, mostly, the same written ones)."""
    key = (frozen(written), frozen(round_values))
    if key[0] is None or key[1] is None:
        return _ministry_values(defn, written, round_values)
    table = defn.memo.table("ministry_values")
    found = table.get(key)
    if found is None:
        found = _ministry_values(defn, written, round_values)
        if all(frozen(i.value) == (type(i.value), i.value) for i in found[1]):  # no list or dict kept
            table[key] = found
    return dict(found[0]), list(found[1])


def _ministry_values(defn: Definition, written: dict, round_values: dict) -> tuple[dict[str, str], list[Issue]]:
    values: dict[str, str] = {}
    issues: list[Issue] = []
    for f in defn.respondent_fields:
        if f.filled_by != "ministry":
            continue
        expected = str(round_values.get(f.label) or f.default or "")
        raw = written.get(f.label)
        text = "" if raw is None else clean_text(raw)
        if expected:
            values[f.label] = expected
        if compact(text) == compact(expected):
            continue
        if not text:
            message = msg.MINISTRY_FIELD_BLANK.format(field=f.label, expected=expected)
            issues.append(Issue("ministry_field_filled", message, field=f.label, value=raw, severity=WARNING))
        elif not expected:
            message = msg.MINISTRY_FIELD_IGNORED.format(field=f.label, value=text)
            issues.append(Issue("ministry_field_ignored", message, field=f.label, value=raw, severity=WARNING))
        elif _same_thing(text, expected):
            message = msg.MINISTRY_FIELD_REWORDED.format(field=f.label, value=text, expected=expected)
            issues.append(Issue("ministry_field_reworded", message, field=f.label, value=raw, severity=WARNING))
        else:
            message = msg.MINISTRY_FIELD_OTHER.format(field=f.label, value=text, expected=expected)
            issues.append(Issue("ministry_field_mismatch", message, field=f.label, value=raw))
    return values, issues
