"""The standard answer sheet (answer-sheet.md), written with xlsxwriter from the definition.

Layout (0-based columns): A 項番, B 質問 / field label, C 回答 / field input, D guidance,
E hidden helper column (per-item applicability flags and, in E1, the identity cell, also
reachable through the defined name `調査回答シート識別`). Nothing here knows an item number.

Every value that came from a user (answers, respondent fields, names) is written with
`write_string`, so text such as "=HYPERLINK(...)" stays text.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace
from typing import IO

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from survey import engine
from survey.engine import Definition, Item

from . import formulas as fx
from .model import (
    ANSWER_HEADER,
    IDENTITY_NAME,
    INFO_MISSING_TEXT,
    ITEMS_HEADING,
    MARK,
    NO_HEADER,
    OPTIONS_SHEET_NAME,
    QUESTION_HEADER,
    RESPONDENT_HEADING,
    SHEET_NAME,
    UNANSWERED_TEXT,
    Identity,
    SheetContext,
    cell_name,
    col_letter,
)
from .textcell import write_text

COL_NO, COL_Q, COL_A, COL_GUIDE, COL_HELPER = range(5)
WIDTHS = {COL_NO: 8, COL_Q: 62, COL_A: 44, COL_GUIDE: 40, COL_HELPER: 12}
FONT = "ＭＳ Ｐゴシック"
LINE_HEIGHT = 14.5
INPUT_FILL = "#FFF2CC"
INDICATOR_ROW_LABEL = "入力状況"
MONTH_HINT = "例：2024年3月"


def write_answer_sheet(defn: Definition, context: SheetContext, answers: dict | None = None,
                       respondent: dict | None = None) -> bytes:
    """The answer sheet for one organisation and round, as .xlsx bytes.

    `answers` / `respondent`: the current canonical values to pre-fill (optional).
    """
    buf = io.BytesIO()
    write_answer_sheet_to(buf, defn, context=context, answers=answers, respondent=respondent)
    return buf.getvalue()


def write_answer_sheet_to(target: str | IO[bytes], defn: Definition, context: SheetContext,
                          answers: dict | None = None, respondent: dict | None = None) -> None:
    """Write the answer sheet into a path or a binary file object (e.g. a zip member)."""
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
               "strings_to_urls": False}
    workbook = xlsxwriter.Workbook(target, options)
    try:
        _SheetWriter(workbook, defn, context, answers or {}, respondent or {}).write()
    finally:
        workbook.close()


def respondent_values(defn: Definition, context: SheetContext, respondent: dict) -> dict[str, str]:
    """Values for the 回答者情報 block: ministry fields from the context, organisation fields
    pre-filled, the rest from the current respondent information."""
    values = {"組織区分": context.org_section, "組織名": context.org_display_name}
    for f in defn.respondent_fields:
        if f.filled_by == "respondent" and respondent.get(f.label):
            values[f.label] = str(respondent[f.label])
    ministry = {"制度等": context.scheme, "属性": context.attribute}
    for f in defn.respondent_fields:
        if f.filled_by == "ministry":
            values[f.label] = ministry.get(f.label) or f.default or ""
    return {f.label: values.get(f.label, "") for f in defn.respondent_fields}


@lru_cache(maxsize=4096)
def _prepared_formula(formula: str, expand: bool, future: bool) -> str:
    return Worksheet._prepare_formula(SimpleNamespace(use_future_functions=future), formula, expand)


class _Worksheet(Worksheet):
    """xlsxwriter's worksheet with formula preparation (about 30 regex passes) memoised: every
    sheet of a round repeats the same formulas and list sources."""

    def _prepare_formula(self, formula, expand_future_functions=False):
        return _prepared_formula(formula, expand_future_functions, self.use_future_functions)


@dataclass
class _Formats:
    book: xlsxwriter.Workbook
    cache: dict = field(default_factory=dict)

    def get(self, name: str):
        if name not in self.cache:
            base = {"font_name": FONT, "font_size": 10, "valign": "top", "text_wrap": True}
            self.cache[name] = self.book.add_format({**base, **_STYLES[name]})
        return self.cache[name]


_BORDER = {"border": 1, "border_color": "#808080"}
_STYLES = {
    "title": {"bold": True, "font_size": 14, "text_wrap": False},
    "sub": {"text_wrap": False},
    "guide": {},
    "heading": {"bold": True, "font_size": 11, "bg_color": "#DDEBF7", **_BORDER},
    "label": {"bold": True, **_BORDER},
    "text": _BORDER,
    "header": {"bold": True, "align": "center", "bg_color": "#DDEBF7", **_BORDER},
    "no": {"align": "center", **_BORDER},
    "input": {"locked": False, "bg_color": INPUT_FILL, "num_format": "@", **_BORDER},
    "fixed": {"bg_color": "#F2F2F2", **_BORDER},
    "hint": {"font_color": "#595959", "font_size": 9},
    "indicator": {"bold": True, "font_color": "#C00000", **_BORDER},
    "hidden": {"font_color": "#FFFFFF", "text_wrap": False},
    "none": {"bg_color": "#F2F2F2", **_BORDER},
}


class _SheetWriter:
    """Writes one workbook; rows are laid out top to bottom as the definition dictates."""

    def __init__(self, book, defn: Definition, context: SheetContext, answers: dict, respondent: dict):
        defn.check_org_kind(context.org_kind)
        self.book, self.defn, self.ctx, self.answers = book, defn, context, answers
        self.respondent = respondent_values(defn, context, respondent)
        self.fmt = _Formats(book)
        self.ws = book.add_worksheet(SHEET_NAME, worksheet_class=_Worksheet)
        self.opts = book.add_worksheet(OPTIONS_SHEET_NAME, worksheet_class=_Worksheet)
        self.lists: dict[str, str] = {}
        self.values: fx.Values = {}
        self.cells = fx.Cells({}, {}, {}, {})
        self.row = 0
        self.header_row = 0

    def write(self) -> None:
        self._option_lists()
        self._head()
        self._respondent_block()
        indicator_row = self.row
        self.row += 2
        self._items()
        self._indicators(indicator_row)
        self._identity()
        self._page_setup()

    # -- hidden option lists -------------------------------------------------------------
    def _option_lists(self) -> None:
        """One column per list on `選択肢`; remembers each list's range for validations."""
        lists = [(item.id, [o.display for o in item.options]) for item in self.defn.items if item.kind == "one"]
        lists += [(f.label, list(f.choices)) for f in self.defn.respondent_fields if f.kind == "choice"]
        lists.append(("印", [MARK]))
        for col, (key, values) in enumerate(lists):
            self.opts.write_string(0, col, key)
            for row, text in enumerate(values, start=1):
                self.opts.write_string(row, col, text)
            letter = col_letter(col)
            self.lists[key] = f"='{OPTIONS_SHEET_NAME}'!${letter}$2:${letter}${len(values) + 1}"
        self.opts.set_column(0, len(lists) - 1, 30)
        self.opts.protect()
        self.opts.hide()

    # -- top ------------------------------------------------------------------------------
    def _head(self) -> None:
        ws, f = self.ws, self.fmt
        ws.write_string(0, COL_NO, self.defn.sheet_title, f.get("title"))
        ws.set_row(0, 21)
        deadline = f"（回答期限：{self.ctx.deadline}）" if self.ctx.deadline else ""
        ws.write_string(1, COL_NO, f"{self.ctx.round_title}{deadline}", f.get("sub"))
        self.row = 2
        for g in self.defn.guidance:  # the ministry's one layout: every kind's texts, not the web's own
            if g.place == "intro" and (not g.channels or "sheet" in g.channels):
                self._merged_text(g.text, "guide")
        self.row += 1

    def _merged_text(self, text: str, style: str) -> None:
        ws = self.ws
        ws.merge_range(self.row, COL_NO, self.row, COL_GUIDE, "", self.fmt.get(style))
        ws.write_string(self.row, COL_NO, text, self.fmt.get(style))
        width = sum(WIDTHS[c] for c in (COL_NO, COL_Q, COL_A, COL_GUIDE))
        ws.set_row(self.row, _height(text, width))
        self.row += 1

    # -- 回答者情報 ---------------------------------------------------------------------
    def _respondent_block(self) -> None:
        ws, f = self.ws, self.fmt
        ws.merge_range(self.row, COL_NO, self.row, COL_GUIDE, "", f.get("heading"))
        ws.write_string(self.row, COL_NO, RESPONDENT_HEADING, f.get("heading"))
        self.row += 1
        for field_ in self.defn.respondent_fields:
            r, value = self.row, self.respondent.get(field_.label, "")
            ws.write_string(r, COL_Q, field_.label, f.get("label"))
            style = "input" if field_.filled_by == "respondent" else "fixed"
            write_text(ws, r, COL_A, value, f.get(style))
            ws.write_string(r, COL_GUIDE, field_.guidance, f.get("hint"))
            if field_.kind == "choice" and field_.filled_by == "respondent":
                self._list_validation(r, self.lists[field_.label], field_.label)
            ws.set_row(r, max(_height(field_.guidance, WIDTHS[COL_GUIDE] * 1.1), _height(value, WIDTHS[COL_A])))
            self.cells.respondent[field_.label] = cell_name(r, COL_A)
            self.values[cell_name(r, COL_A)] = value
            self.row += 1

    def _indicators(self, r: int) -> None:
        """情報未入力あり / 未回答あり with cached results computed by the engine."""
        flags = engine.indicators(self.defn, self.ctx.org_kind, self._canonical_answers(), self._canonical_respondent())
        info = fx.info_missing(self.defn, self.cells).render()
        todo = fx.unanswered(self.defn, self.cells).render()
        ws, f = self.ws, self.fmt
        ws.write_string(r, COL_Q, INDICATOR_ROW_LABEL, f.get("label"))
        ws.write_formula(r, COL_A, f'=IF({info},"{INFO_MISSING_TEXT}","")', f.get("indicator"),
                         INFO_MISSING_TEXT if flags["info_missing"] else "")
        ws.write_formula(r, COL_GUIDE, f'=IF({todo},"{UNANSWERED_TEXT}","")', f.get("indicator"),
                         UNANSWERED_TEXT if flags["unanswered"] else "")

    def _canonical_answers(self) -> dict:
        answers, _ = engine.normalise_answers(self.defn, self.answers)
        return answers

    def _canonical_respondent(self) -> dict:
        respondent, _ = engine.normalise_respondent(self.defn, self.respondent)
        return respondent

    # -- 調査項目への回答 ---------------------------------------------------------------
    def _items(self) -> None:
        ws, f = self.ws, self.fmt
        ws.merge_range(self.row, COL_NO, self.row, COL_GUIDE, "", f.get("heading"))
        ws.write_string(self.row, COL_NO, ITEMS_HEADING, f.get("heading"))
        self.row += 1
        self.header_row = self.row
        for col, text in ((COL_NO, NO_HEADER), (COL_Q, QUESTION_HEADER), (COL_A, ANSWER_HEADER)):
            ws.write_string(self.row, col, text, f.get("header"))
        self.row += 1
        for item in self.defn.items:
            self._item(item)
        self._helpers()

    def _item(self, item: Item) -> None:
        ws, f, r = self.ws, self.fmt, self.row
        ws.write_string(r, COL_NO, item.id, f.get("no"))
        ws.write_string(r, COL_Q, item.sheet_text, f.get("text"))
        self.cells.helper[item.id] = f"${col_letter(COL_HELPER)}${r + 1}"
        if item.kind == "marks":
            ws.write_string(r, COL_A, "", f.get("none"))
            ws.set_row(r, _height(item.sheet_text, WIDTHS[COL_Q]))
            self.row += 1
            self._mark_rows(item)
        else:
            option = item.option(str(self.answers.get(item.id, ""))) if self.answers.get(item.id) else None
            value = option.display if option else str(self.answers.get(item.id) or "")
            self._input(r, value, self.lists[item.id], item.label)
            self.cells.answer[item.id] = cell_name(r, COL_A)
            ws.set_row(r, max(_height(item.sheet_text, WIDTHS[COL_Q]), _height(value, WIDTHS[COL_A])))
            self.row += 1
        for followup in item.followups:
            self._followup_row(followup)

    def _mark_rows(self, item: Item) -> None:
        marked = set(self.answers.get(item.id) or [])
        for option in item.options:
            r = self.row
            text = option.mark + (option.sheet_text or option.text)
            self.ws.write_string(r, COL_NO, "", self.fmt.get("no"))
            self.ws.write_string(r, COL_Q, text, self.fmt.get("text"))
            self._input(r, MARK if option.code in marked else "", self.lists["印"], f"{item.label} {option.mark}")
            self.cells.marks[(item.id, option.code)] = cell_name(r, COL_A)
            self.ws.set_row(r, _height(text, WIDTHS[COL_Q]))
            self.row += 1

    def _followup_row(self, followup: engine.FollowUp) -> None:
        r, value = self.row, str(self.answers.get(followup.key) or "")
        if followup.kind == "month":  # 2024年3月, as the sheet's people write it (the reader takes both)
            value = engine.format_month(value)
        self.ws.write_string(r, COL_NO, "", self.fmt.get("no"))
        self.ws.write_string(r, COL_Q, followup.prompt, self.fmt.get("text"))
        write_text(self.ws, r, COL_A, value, self.fmt.get("input"))
        self.values[cell_name(r, COL_A)] = value
        if followup.kind == "month":
            self.ws.data_validation(r, COL_A, r, COL_A, {
                "validate": "any", "input_title": followup.label, "input_message": MONTH_HINT})
        self.cells.answer[followup.key] = cell_name(r, COL_A)
        height = _height(value, WIDTHS[COL_A]) if followup.kind == "text" else 0
        self.ws.set_row(r, max(_height(followup.prompt, WIDTHS[COL_Q]), height, LINE_HEIGHT * 2))
        self.row += 1

    def _input(self, r: int, value: str, source: str, title: str) -> None:
        write_text(self.ws, r, COL_A, value, self.fmt.get("input"))
        self.values[cell_name(r, COL_A)] = value
        self._list_validation(r, source, title)

    def _list_validation(self, r: int, source: str, title: str) -> None:
        self.ws.data_validation(r, COL_A, r, COL_A, {
            "validate": "list", "source": source, "input_title": title[:32],
            "input_message": "リストから選択してください。", "error_title": "入力規則",
            "error_message": "リストから選択してください。", "error_type": "stop"})

    def _helpers(self) -> None:
        """Hidden per-item applicability flags (1/0), with cached results."""
        values = fx.helper_values(self.defn, self.ctx.org_kind, self.cells, self.values)
        self.values = values
        for item in self.defn.items:
            expr = fx.applicability(self.defn, self.ctx.org_kind, item, self.cells)
            ref = self.cells.helper[item.id].replace("$", "")
            cached = int(values[self.cells.helper[item.id]])
            self.ws.write_formula(ref, f"=IF({expr.render()},1,0)", self.fmt.get("hidden"), cached)

    # -- identity, protection, printing ----------------------------------------------------
    def _identity(self) -> None:
        ident = Identity(self.ctx.round_id, self.ctx.org_code, self.ctx.template_version)
        self.ws.write_string(0, COL_HELPER, ident.encode(), self.fmt.get("hidden"))
        self.book.define_name(IDENTITY_NAME, f"='{SHEET_NAME}'!${col_letter(COL_HELPER)}$1")

    def _page_setup(self) -> None:
        ws = self.ws
        for col, width in WIDTHS.items():
            ws.set_column(col, col, width, None, {"hidden": col == COL_HELPER})
        ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
        ws.set_paper(9)
        ws.set_portrait()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(self.header_row)
        ws.print_area(0, COL_NO, self.row - 1, COL_GUIDE)
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        ws.center_horizontally()
        ws.set_footer("&C&P / &N")
        ws.activate()
        ws.set_first_sheet()


@lru_cache(maxsize=2048)
def _height(text: str, width: float) -> float:
    """Row height for wrapped text: full-width characters count double against the width."""
    if not text:
        return LINE_HEIGHT
    lines = sum(max(1, math.ceil(_units(part) / max(width - 1, 1))) for part in text.split("\n"))
    return min(409, lines * LINE_HEIGHT + 3)


def _units(text: str) -> int:
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)
