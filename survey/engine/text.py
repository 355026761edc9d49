"""Text helpers shared by the normalisers: safe NFKC, comparison keys, item-id keys."""

from __future__ import annotations

import re
import unicodedata

# Full-width digits and Latin letters, and half-width katakana: NFKC on these only, so that
# Japanese punctuation （）「」, circled digits, ㈱ and the like in free text stay as typed.
_WIDE = re.compile(r"[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A\uFF61-\uFF9F]+")
_DASHES = "-‐‑‒–—―−ー－ｰ"
_WHITESPACE = re.compile(r"\s+")


def safe_nfkc(text: str) -> str:
    """NFKC only where it is safe: full-width digits and Latin letters, half-width kana,
    and every kind of space (to a plain space)."""
    text = _WIDE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    # Every space separator (Zs) is whitespace to `\s`: only those characters are looked at.
    return _ANY_SPACE.sub(_plain_space, text)


_ANY_SPACE = re.compile(r"\s")


def _plain_space(match: re.Match) -> str:
    return " " if unicodedata.category(match.group()) == "Zs" else match.group()


def clean_text(value) -> str:
    """A typed value as canonical text: str, safe NFKC, trimmed."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel gives 12.0 for a typed 12
    return safe_nfkc(str(value)).strip()


def compact(text: str) -> str:
    """Comparison key: full NFKC, no whitespace, no closing 。 (people drop it)."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text)).rstrip("。.")


def answer_key(key) -> str:
    """Canonical answers key from a typed one: "１２－３" / "Q12ｰ3" -> "12-3",
    "１２：予定年月" -> "12:予定年月" (only the item-id part gets its dashes unified)."""
    text = unicodedata.normalize("NFKC", str(key)).strip()
    item, sep, label = text.partition(":")
    item = _WHITESPACE.sub("", item)
    item = "".join("-" if c in _DASHES else c for c in item)
    if item[:1] in ("Q", "q") and item[1:2].isdigit():
        item = item[1:]
    return f"{item}{sep}{label.strip()}"
