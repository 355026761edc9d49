"""Where a person types on a row: the input cell found from the row's shape, not a fixed column.

A respondent row reads label -> input -> guidance (◆…), with the label or the input possibly
merged over several columns; an item row reads 項番 -> 質問 -> 回答, where the 回答 heading
may be merged over more than one column or a column may have been inserted before it. The
input cell is never guidance, a prompt, a heading or a label, and when the sheet is protected
its unlocked cells are the input cells (`locks.unlocked_cells`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from survey.engine.text import compact

from .model import IDENTITY_PREFIX, INFO_MISSING_TEXT, UNANSWERED_TEXT

GUIDANCE_MARKS = ("◆", "◇", "※", "＊", "*", "→")
HINT_PREFIXES = ("例：", "例:", "（例", "(例")


def empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class Shape:
    """Merged ranges and unlocked cells of one sheet (0-based), and the texts that are never input."""

    merges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    unlocked: frozenset[tuple[int, int]] | None = None
    fixed_texts: frozenset[str] = frozenset()
    _covered: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict, init=False)
    _ends: dict[tuple[int, int], int] = field(default_factory=dict, init=False)
    _unlocked_rows: dict[int, list[int]] = field(default_factory=dict, init=False)
    _fixed_of: dict[str, bool] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._fixed_of = _fixed_memo(self.fixed_texts)
        for r, c in sorted(self.unlocked or ()):
            self._unlocked_rows.setdefault(r, []).append(c)
        for (r0, c0), (r1, c1) in self.merges:
            self._ends[(r0, c0)] = c1
            for r in range(r0, min(r1, r0 + 400) + 1):
                for c in range(c0, min(c1, c0 + 40) + 1):
                    if (r, c) != (r0, c0):
                        self._covered[(r, c)] = (r0, c0)

    def covered(self, r: int, c: int) -> bool:
        """Inside a merged range that starts at another cell (its value is the top-left's)."""
        return (r, c) in self._covered

    def span_end(self, r: int, c: int) -> int:
        """The last column of the merged range starting at (r, c); c when it is not merged."""
        return self._ends.get((r, c), c)

    def unlocked_in(self, r: int, cols: range) -> int | None:
        """The first unlocked column of `cols` on row r, when the sheet says which cells are input."""
        if not self.unlocked:
            return None
        row = self._unlocked_rows.get(r)
        if row is None:  # most rows have no unlocked cell: no need to walk the columns
            return None
        if cols.step > 0:  # the row's unlocked columns ascend: the first inside `cols` is the first of `cols`
            for c in row:
                if c in cols:
                    return c
            return None
        return next((c for c in cols if (r, c) in self.unlocked), None)

    def is_fixed_text(self, value: Any) -> bool:
        """Guidance (◆…, ※…), a hint, a prompt, a heading, a label, the indicators or the
        identity: text the sheet's maker wrote, never what the respondent typed."""
        if not isinstance(value, str):
            return False
        found = self._fixed_of.get(value)
        if found is None:
            text = value.strip()
            found = (text.startswith(GUIDANCE_MARKS) or text.startswith(HINT_PREFIXES)
                     or text.startswith(IDENTITY_PREFIX) or _compact(text) in self.fixed_texts)
            if len(self._fixed_of) < _FIXED_MEMO_SIZE and len(value) <= 200:
                self._fixed_of[value] = found
        return found


_compact = lru_cache(maxsize=8192)(compact)  # the same labels and guidance on every sheet a worker reads
_FIXED: dict[int, tuple[object, tuple, frozenset[str]]] = {}
_FIXED_MEMO_SIZE = 8192
_FIXED_MEMOS: dict[int, tuple[frozenset[str], dict[str, bool]]] = {}


def _fixed_memo(texts: frozenset[str]) -> dict[str, bool]:
    """`is_fixed_text`'s answers by cell text, shared by the shapes of one set of fixed texts (one
    definition's: `fixed_texts` gives the same object for it), as the same labels and guidance
    stand on every sheet a worker reads."""
    kept = _FIXED_MEMOS.get(id(texts))
    if kept is not None and kept[0] is texts:
        return kept[1]
    if len(_FIXED_MEMOS) > 16:
        _FIXED_MEMOS.clear()
    memo: dict[str, bool] = {}
    _FIXED_MEMOS[id(texts)] = (texts, memo)
    return memo


def fixed_texts(defn, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The definition's own texts that can stand beside an input cell (kept per definition: a
    worker reads thousands of sheets of one definition)."""
    kept = _FIXED.get(id(defn))
    if kept is not None and kept[0] is defn and kept[1] == extra:
        return kept[2]
    if len(_FIXED) > 16:
        _FIXED.clear()
    texts = _fixed_texts(defn, extra)
    _FIXED[id(defn)] = (defn, extra, texts)
    return texts


def _fixed_texts(defn, extra: tuple[str, ...]) -> frozenset[str]:
    texts = [INFO_MISSING_TEXT, UNANSWERED_TEXT, *extra]
    for f in defn.respondent_fields:
        texts += [f.label, f.guidance or ""]
    for item in defn.items:
        texts += [item.text, item.sheet_text or ""]
        texts += [f.prompt for f in item.followups]
    return frozenset(compact(t) for t in texts if t)


def row_input(grid, shape: Shape, r: int, cols: range, *, stop=None, skip=None,
              prefer: int | None = None, unlocked_cols: range | None = None) -> tuple[int, Any]:
    """(column, value) of the input cell of row r among `cols`.

    The unlocked cell when the sheet marks one; else `prefer` when it holds input; else the
    first cell that holds something other than fixed text; else the first free cell (empty,
    not covered by a merge), where a missing answer is reported. `stop(value)` ends the search
    (another label on the same row); `skip(value)` marks more fixed text (an option's own text).
    `unlocked_cols`: where an unlocked cell is looked for (default `cols`): a protected sheet may
    put its inputs beyond the columns its headings span.
    """
    row = grid[r] if r < len(grid) else []
    width = len(row)
    is_fixed = shape.is_fixed_text
    covered = shape._covered  # (row, col) -> the merge's first cell; see `Shape.covered`

    unlocked = shape.unlocked_in(r, unlocked_cols or cols)
    if unlocked is not None:
        value = row[unlocked] if unlocked < width else ""
        return unlocked, "" if is_fixed(value) or (skip is not None and skip(value)) else value
    if prefer is not None and (r, prefer) not in covered:
        value = row[prefer] if prefer < width else ""
        if not empty(value) and not (is_fixed(value) or (skip is not None and skip(value))):
            return prefer, value
    free = None
    for c in cols:
        if (r, c) in covered:
            continue
        value = row[c] if c < width else ""
        if value is None or (isinstance(value, str) and not value.strip()):  # `empty`
            free = c if free is None else free
            continue
        if stop is not None and stop(value):
            break
        if not (is_fixed(value) or (skip is not None and skip(value))):
            return c, value
    fallback = prefer if prefer is not None and (r, prefer) not in covered else free
    return (fallback if fallback is not None else cols.start), ""
