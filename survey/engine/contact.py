"""Checks for the respondent's telephone number and e-mail address."""

from __future__ import annotations

import re

_PHONE = re.compile(
    r"(?P<number>\+?[0-9][0-9()\-\s]*[0-9])"
    r"\s*(?:[(]?\s*(?:内線|ext\.?|x)\s*[:.]?\s*(?P<ext>[0-9]+(?:\s*[,、・/]\s*[0-9]+)*)\s*[)]?)?",
    re.IGNORECASE,
)
_PHONE_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−ー－"})
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def clean_phone(text: str) -> str:
    """Unify the dashes people type in phone numbers (ー, −, －) to '-'."""
    return text.translate(_PHONE_DASHES).replace("（", "(").replace("）", ")")


def is_valid_phone(text: str) -> bool:
    """A Japanese number: 10 or 11 digits starting with 0 (or +81), any of -, ( ), spaces
    between, optionally followed by an extension (内線 5785 / ext. 12 / (内線5785, 5792))."""
    m = _PHONE.fullmatch(clean_phone(text).strip())
    if not m or m.group("number").count("(") != m.group("number").count(")"):
        return False
    digits = re.sub(r"\D", "", m.group("number"))
    if m.group("number").startswith("+"):
        if not digits.startswith("81"):
            return False
        digits = "0" + digits[2:]
    return digits.startswith("0") and len(digits) in (10, 11)


def restore_phone_zero(value: int | float) -> str | None:
    """Excel stores 0312345678 typed as a number as 312345678: put the 0 back."""
    if float(value).is_integer():
        digits = str(int(value))
        if len(digits) in (9, 10) and not digits.startswith("0"):
            return "0" + digits
    return None


def is_valid_email(text: str) -> bool:
    """Address rules close to Django's EmailValidator, ASCII domains only."""
    if len(text) > 254 or text.count("@") != 1:
        return False
    local, domain = text.split("@")
    if len(local) > 64 or not _LOCAL.fullmatch(local):
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return False
    return bool(re.fullmatch(r"[A-Za-z]{2,63}|xn--[A-Za-z0-9-]+", labels[-1]))
