"""Results of pure engine functions kept per definition (a bulk import asks the same questions
thousands of times: the same branching answers, the same typed option texts).

The memo lives on the Definition object (`Definition.memo`), so a new definition starts empty
and a definition pickled to a reader process travels without it. Only results of pure functions
of the definition and hashable arguments go in; callers get copies of anything mutable.
"""

from __future__ import annotations

MAX_ENTRIES = 4096  # per definition and kind of result; past it the memo starts again
MAX_TEXT = 200  # longer texts (what people write, not options they pick) are not kept


class Memo(dict):
    """A dict of dicts (one per kind of result) that pickles empty."""

    def __reduce__(self):
        return (Memo, ())

    def table(self, name: str, limit: int = MAX_ENTRIES) -> dict:
        found = self.get(name)
        if found is None or len(found) >= limit:
            found = self[name] = {}
        return found


def frozen(value):
    """A hashable stand-in for a typed value (its type included: True, 1 and 1.0 are kept apart),
    or None when it holds something else than str (up to MAX_TEXT characters), int, float, bool,
    None, lists and dicts of them."""
    kind = type(value)
    if kind is str:
        return (kind, value) if len(value) <= MAX_TEXT else None
    if kind is float:
        return (kind, value.hex())  # 0.0 == -0.0, but a message shows the sign
    if value is None or kind is int or kind is bool:
        return (kind, value)
    if isinstance(value, list | tuple):
        items = tuple(frozen(v) for v in value)
        return None if None in items else (type(value), items)
    if isinstance(value, dict):
        items = tuple((frozen(k), frozen(v)) for k, v in value.items())
        return None if any(k is None or v is None for k, v in items) else (dict, items)
    return None
