"""Stage 1 of reading a returned sheet: from bytes to raw cell values, located by labels.

Runs where a hostile file can do the least harm (see `isolation.py`): the container is checked
first (`safety.check_workbook`), then python-calamine reads at most MAX_ROWS x MAX_COLS of
each sheet. The result holds only plain, picklable values; stage 2 (`reader.py`) normalises
and validates them with the engine.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import python_calamine as calamine

from survey.engine import Definition, Item
from survey.engine.text import answer_key, compact

from . import messages as msg
from .model import (
    ANSWER_HEADER,
    ANSWER_HEADER_PREFIX,
    IDENTITY_PREFIX,
    ITEMS_HEADING,
    NO_HEADER,
    QUESTION_HEADER,
    RESPONDENT_HEADING,
    SHEET_NAME,
    CellIssue,
)
from .model import cell_name as _cell_name
from .safety import (
    DEFAULT_LIMITS,
    Limits,
    UploadRejected,
    check_workbook,
    too_many_cells,
    too_many_sheets,
)
from .shape import Shape, fixed_texts, row_input
from .sheetmeta import ods_merges, unlocked_cells

_SPACES = re.compile(r"\s+")
cell_name = lru_cache(maxsize=16384)(_cell_name)  # the reader's area is 400 x 40 cells
_HEADINGS = (NO_HEADER, QUESTION_HEADER, ANSWER_HEADER, RESPONDENT_HEADING, ITEMS_HEADING)
MAX_ROWS = 400
MAX_COLS = 40
FIELD_SPAN = 6  # columns right of a respondent label searched for its input cell


@dataclass(frozen=True)
class RawCell:
    """A value as found, with its address (e.g. "C23")."""

    cell: str
    value: Any


@dataclass
class Extraction:
    """Raw values of one sheet, keyed as the engine expects, plus structural problems."""

    sheet: str | None = None
    identity: RawCell | None = None
    answers: dict[str, RawCell] = field(default_factory=dict)
    marks: dict[str, dict[str, RawCell]] = field(default_factory=dict)
    item_cells: dict[str, str] = field(default_factory=dict)
    respondent: dict[str, RawCell] = field(default_factory=dict)
    respondent_cells: dict[str, str] = field(default_factory=dict)
    followup_rows_missing: list[str] = field(default_factory=list)
    issues: list[tuple[str, CellIssue]] = field(default_factory=list)  # (severity, issue)

    def add(self, severity: str, cell: str | None, code: str, message: str, *, item=None, field_=None,
            value=None) -> None:
        self.issues.append((severity, CellIssue(self.sheet, cell, item, field_, value, code, message)))

    @property
    def fatal(self) -> bool:
        return self.sheet is None or any(s == "fatal" for s, _ in self.issues)


def text_key(value: Any) -> str:
    """Comparison key of a label cell: NFKC, no spaces, no decoration."""
    if value is None or isinstance(value, bool):
        return ""
    return _text_key(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=8192)
def _text_key(text: str) -> str:
    """(Kept: a worker reads thousands of sheets that share their labels.)"""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).strip("◆※*＊:：・")


def extract_sheet(data: bytes, filename: str, defn: Definition, limits: Limits = DEFAULT_LIMITS) -> Extraction:
    """Raw values of the answer sheet in `data`; UploadRejected for an unsafe or foreign file."""
    checked = check_workbook(data, filename, limits)
    grids = _read_grids(data, limits)
    found = [(name, grid, merges, table) for name, grid, merges in grids if (table := _find_table(grid))]
    if not found:
        raise UploadRejected("no_answer_table", msg.NO_TABLE)
    # A kept copy of the sheet may sit beside it: the one still named 回答シート wins, else the first.
    name, grid, merges, (header_row, no_col, answer_col, question_col) = next(
        (f for f in found if f[0] == SHEET_NAME), found[0])
    out = Extraction(sheet=name)
    if len(found) > 1:
        others = "、".join(f[0] for f in found if f[0] != name)
        out.add("warning", None, "several_answer_tables", msg.SEVERAL_TABLES.format(sheet=name, others=others))
    if not merges and data[:4] == b"PK\x03\x04":
        merges = ods_merges(data, name, checked.parts)
    unlocked = unlocked_cells(data, name, checked.parts) if checked.kind == "xlsx" else None
    shape = Shape(merges=merges, unlocked=unlocked, fixed_texts=fixed_texts(defn, _HEADINGS))
    _Table(out, defn, grid, shape, header_row, no_col, answer_col, question_col).read()
    _read_respondent(out, defn, grid, shape, header_row)
    out.identity = _find_identity(grid) or next(
        (ident for other, g, _m in grids if other != name and (ident := _find_identity(g))), None)
    return out


def _read_grids(data: bytes, limits: Limits = DEFAULT_LIMITS) -> list[tuple[str, list[list[Any]], list]]:
    """Every sheet's top-left MAX_ROWS x MAX_COLS values (absolute positions kept) and merged ranges.

    The caps on sheets and on cells across sheets are applied here too, for `.xls` (which the
    pre-scan cannot open): the sheet count before any sheet is parsed, the cells after each.
    """
    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except calamine.PasswordError:
        raise UploadRejected("encrypted", msg.ENCRYPTED) from None
    except Exception as exc:  # noqa: BLE001 - calamine raises many types for broken files
        raise UploadRejected("unreadable", msg.UNREADABLE.format(detail=type(exc).__name__)) from None
    grids, cells = [], 0
    with book:
        if len(book.sheet_names) > limits.max_sheets:
            raise too_many_sheets(len(book.sheet_names), limits)
        for index, name in enumerate(book.sheet_names):
            try:
                sheet = book.get_sheet_by_index(index)
                rows = sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS)
            except Exception:  # noqa: BLE001 - a chart sheet or a broken part: skip that sheet
                continue
            cells += sheet.height * sheet.width
            if cells > limits.max_total_cells:
                raise too_many_cells(cells, limits)
            grids.append((name, [row[:MAX_COLS] for row in rows[:MAX_ROWS]], _merges(sheet)))
    return grids


def _merges(sheet) -> list:
    """Merged ranges inside the read area (.xlsx and .xls give them; .ods does not)."""
    try:
        ranges = sheet.merged_cell_ranges or []
    except Exception:  # noqa: BLE001 - merge info is a hint only
        return []
    return [(start, end) for start, end in ranges[:5000] if start[0] < MAX_ROWS and start[1] < MAX_COLS]


def _find_table(grid) -> tuple[int, int, int, int | None] | None:
    """(header row, 項番 column, 回答 column, 質問 column or None) of the first header row."""
    for r, row in enumerate(grid):
        # `_text_key` itself: these are str (what `text_key` would hand it); "" is its own key.
        keys = [_text_key(v) if v and isinstance(v, str) and len(v) <= 60 else "" for v in row]
        if NO_HEADER not in keys:
            continue
        no_col = keys.index(NO_HEADER)
        answers = [c for c, k in enumerate(keys) if k.startswith(ANSWER_HEADER_PREFIX) and c != no_col]
        if not answers:
            continue
        answer_col = next((c for c in answers if c > no_col), answers[0])
        question_col = keys.index(QUESTION_HEADER) if QUESTION_HEADER in keys else None
        return r, no_col, answer_col, question_col
    return None


def _cell(grid, r: int, c: int) -> Any:
    row = grid[r] if r < len(grid) else []
    return row[c] if c < len(row) else ""


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def item_id(value: Any, ids: set[str]) -> str | None:
    """The item id written in a 項番 cell: "7-4", "７－４", "7ｰ4", "Q7-4", 2.0, or a date
    that Excel made of a typed "7-4"."""
    if isinstance(value, bool) or _empty(value):
        return None
    if isinstance(value, dt.datetime | dt.date):
        text = f"{value.month}-{value.day}"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    key = _item_key(text) if len(text) <= 40 else _item_key.__wrapped__(text)  # only short texts kept
    return key if key in ids else None


_ITEM_PREFIX = re.compile(r"^(問|設問|項番|No\.?)", flags=re.IGNORECASE)


@lru_cache(maxsize=8192)
def _item_key(text: str) -> str:
    """(Kept: every sheet a worker reads has the same 項番 column.)"""
    key = _ITEM_PREFIX.sub("", answer_key(text)).rstrip(".．。")
    return answer_key(key)


class _Table:
    """Walks the rows under the header: item rows, then their follow-up and mark rows."""

    def __init__(self, out: Extraction, defn: Definition, grid, shape: Shape, header_row, no_col, answer_col,
                 question_col):
        self.out, self.defn, self.grid, self.shape = out, defn, grid, shape
        self.header_row, self.no_col, self.answer_col = header_row, no_col, answer_col
        self.question_col = question_col
        # The answer may sit anywhere under the 回答 heading (merged over several columns) or
        # in a column inserted between 質問 and 回答.
        first = question_col + 1 if question_col is not None and question_col < answer_col else answer_col
        self.answer_cols = range(first, shape.span_end(header_row, answer_col) + 1)
        # A protected sheet says where its inputs are: any unlocked cell right of 質問 counts.
        self.unlocked_cols = range(first, MAX_COLS)
        self.ids = {i.id for i in defn.items}
        self.current: Item | None = None
        self.open_followups: list = []
        self.adjacent = False  # the row is right under the item (or its follow-up rows)

    def read(self) -> None:
        for r in range(self.header_row + 1, len(self.grid)):
            self._row(r)
        found = {f for f in self.out.answers if ":" in f}
        self.out.followup_rows_missing = [k for k in self.defn.followups if k not in found
                                          and k.split(":")[0] in self.out.item_cells]

    def _question(self, r: int) -> str:
        if self.question_col is not None and self.question_col != self.answer_col:
            cols = [self.question_col]
        else:
            lo, hi = sorted((self.no_col, self.answer_col))
            cols = range(lo + 1, hi)
        return "".join(str(v) for c in cols if not _empty(v := _cell(self.grid, r, c)))

    def _input(self, r: int, skip=None) -> tuple[Any, str]:
        col, value = row_input(self.grid, self.shape, r, self.answer_cols, prefer=self.answer_col, skip=skip,
                               unlocked_cols=self.unlocked_cols)
        return value, cell_name(r, col)

    def _row(self, r: int) -> None:
        no = _cell(self.grid, r, self.no_col)
        key = item_id(no, self.ids)
        if key is not None:
            self._item_row(r, key, *self._input(r))
            return
        if not _empty(no):
            self.current, self.adjacent = None, False
        if self.current is None:
            answer, address = self._input(r)
            if not _empty(answer):
                self.out.add("warning", address, "ignored_cell", msg.IGNORED_CELL.format(value=answer), value=answer)
            return
        self._sub_row(r)

    def _item_row(self, r: int, key: str, answer, address: str) -> None:
        if key in self.out.item_cells:
            self.out.add("error", cell_name(r, self.no_col), "duplicate_item_row",
                         msg.DUPLICATE_ROW.format(label=self.defn.item(key).label), item=key, value=key)
            self.current, self.adjacent = None, False
            return
        item = self.defn.item(key)
        self.current, self.adjacent = item, True
        self.open_followups = list(item.followups)
        self.out.item_cells[key] = address
        if item.kind == "marks":
            self.out.marks[key] = {}
        if not _empty(answer) or item.kind == "one":
            self.out.answers[key] = RawCell(address, answer)

    def _sub_row(self, r: int) -> None:
        item, question = self.current, self._question(r)
        if item.kind == "marks":
            option = _option_of_row(item, question) or self._option_in_answer_cells(item, r)
            if option is not None:
                answer, address = self._input(r, skip=lambda v: _option_of_row(item, str(v)) is option)
                self.out.marks[item.id].setdefault(option.code, RawCell(address, answer))
                return
        answer, address = self._input(r)
        followup = _followup_of_row(self.open_followups, question)
        by_position = not question.strip() or not _empty(answer)
        if followup is None and self.adjacent and self.open_followups and by_position \
                and not _is_option_row(item, question):
            followup = self.open_followups[0]  # by position: right under its item
        if followup is not None:
            self.open_followups.remove(followup)
            self.out.answers[followup.key] = RawCell(address, answer)
            return
        self.adjacent = False
        if not _empty(answer):
            self.out.add("warning", address, "ignored_cell",
                         msg.IGNORED_ITEM_CELL.format(label=item.label, value=answer), item=item.id, value=answer)


    def _option_in_answer_cells(self, item: Item, r: int):
        """The option of a mark row whose option text stands under the 回答 heading, left of its mark."""
        for c in self.answer_cols:
            value = _cell(self.grid, r, c)
            if isinstance(value, str) and (option := _option_of_row(item, value)) is not None:
                return option
        return None


def _option_of_row(item: Item, question: str):
    text = question.strip()
    if not text:
        return None
    by_mark, by_key = _option_keys(item)
    if text[:1] in by_mark:
        return by_mark[text[:1]]
    return by_key.get(_compact(text))


_OPTION_KEYS: dict[int, tuple[Item, dict, dict]] = {}


def _option_keys(item: Item) -> tuple[dict, dict]:
    """An item's options by their mark (the last option of a mark, as a dict of them gives) and by
    the compact form of their text, sheet text and display (the first option that has the key):
    kept per item object (a worker reads thousands of sheets of one definition)."""
    kept = _OPTION_KEYS.get(id(item))
    if kept is not None and kept[0] is item:
        return kept[1], kept[2]
    if len(_OPTION_KEYS) > 512:
        _OPTION_KEYS.clear()
    by_mark = {o.mark: o for o in item.options}
    by_key: dict = {}
    for o in item.options:
        for key in (compact(o.text), compact(o.sheet_text or o.text), compact(o.display)):
            by_key.setdefault(key, o)
    _OPTION_KEYS[id(item)] = (item, by_mark, by_key)
    return by_mark, by_key


def _compact(text: str) -> str:
    """`compact`, kept for the short texts every sheet repeats (questions, options, prompts)."""
    return _compact_kept(text) if len(text) <= 200 else compact(text)


_compact_kept = lru_cache(maxsize=8192)(compact)


def _is_option_row(item: Item, question: str) -> bool:
    return item.kind == "marks" and _option_of_row(item, question) is not None


def _followup_of_row(followups, question: str):
    key = _compact(question)
    if not key:
        return None
    for f in followups:
        prompt = _compact(f.prompt)
        if key == prompt or (len(key) >= 8 and (prompt.startswith(key) or key.startswith(prompt[:20]))):
            return f
    return None


def _read_respondent(out: Extraction, defn: Definition, grid, shape: Shape, header_row: int) -> None:
    """Respondent fields by their labels, anywhere in the sheet above the table (or below)."""
    labels, initials = _respondent_labels(defn)
    # A short text's label (or None), kept per definition: the labels, guidance and questions
    # of every sheet a worker reads are the same texts.
    label_of = defn.memo.table("sheet_respondent_label_of")
    rows = list(range(header_row)) + list(range(header_row + 1, len(grid)))
    for r in rows:
        for c, value in enumerate(grid[r]):
            # `_maybe_label`, inline (most cells are empty or long texts)
            if not value or not isinstance(value, str) or len(value) > 30:
                continue
            label = label_of.get(value, _UNSEEN)
            if label is _UNSEEN:
                head = value.lstrip(_LABEL_DECORATION)[:1]
                maybe = head in initials or _nfkc(head) in initials
                label = label_of[value] = labels.get(text_key(value)) if maybe else None
            if label is None or label in out.respondent:
                continue
            address, found = _field_value(grid, shape, r, c, labels)
            out.respondent[label] = RawCell(address, found)
            out.respondent_cells[label] = address


def _respondent_labels(defn: Definition) -> tuple[dict[str, str], set[str]]:
    """The respondent fields' labels by their key, and the keys' first characters (per definition)."""
    table = defn.memo.table("sheet_respondent_labels")
    found = table.get("labels")
    if found is None:
        labels = {text_key(f.label): f.label for f in defn.respondent_fields}
        found = table["labels"] = (labels, {k[:1] for k in labels})
    return found


def _maybe_label(value: Any, initials: set[str]) -> bool:
    """Cheap test before normalising a cell: a short text whose first real character starts a label."""
    if not isinstance(value, str) or len(value) > 30:
        return False
    head = value.lstrip(_LABEL_DECORATION)[:1]
    return head in initials or _nfkc(head) in initials


_LABEL_DECORATION = " 　\t◆※*＊"
_UNSEEN = object()


@lru_cache(maxsize=4096)
def _nfkc(char: str) -> str:
    """NFKC of one character (kept: the first characters of a sheet's cells repeat)."""
    return unicodedata.normalize("NFKC", char)


def _field_value(grid, shape: Shape, r: int, c: int, labels: dict[str, str]) -> tuple[str, Any]:
    """The input cell of the label at (r, c): the first cell to its right that holds neither
    guidance (◆…), a prompt nor a label (the unlocked one when the sheet says), whatever column
    the item table below uses for 回答; the search ends at another field's label."""
    end = min(MAX_COLS, shape.span_end(r, c) + 1 + FIELD_SPAN)
    col, value = row_input(grid, shape, r, range(c + 1, end), stop=lambda v: text_key(v) in labels)
    return cell_name(r, col), value


def _find_identity(grid) -> RawCell | None:
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if isinstance(value, str) and value.startswith(IDENTITY_PREFIX):
                return RawCell(cell_name(r, c), value)
    return None
