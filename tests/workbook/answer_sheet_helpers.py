"""Helpers for the answer-sheet tests (imported by the test modules of this folder): the definition, sheet contexts, filling sheets as people do.

Pure: no database. The cast follows tests/cast.py: 相模原市 (municipality) and 神奈川県 (prefecture).
"""
from __future__ import annotations

import io
import random
from dataclasses import replace

import openpyxl

from survey import engine
from survey.synthetic import random_answers, random_respondent
from survey.workbook import SheetContext, write_answer_sheet
from survey.workbook.model import ANSWER_HEADER, NO_HEADER

DEFN = engine.load_definition(engine.DEFINITIONS_DIR / "linkage-2023.1.toml")

SAGAMIHARA = SheetContext(
    round_id=7, round_title="令和5年度 マイナンバー情報連携関係実態調査", org_code="141500",
    org_display_name="14神奈川県相模原市", org_section="市区町村", org_kind="municipality",
    scheme=DEFN.scheme, attribute="", deadline="2023-07-21", template_version="2023.1/1")
KANAGAWA = replace(SAGAMIHARA, org_code="140007", org_display_name="14神奈川県", org_section="都道府県",
                   org_kind="prefecture")
ORGS = {"14神奈川県相模原市": "141500", "14神奈川県": "140007", "14神奈川県横浜市": "141003"}
KINDS = {"141500": "municipality", "140007": "prefecture", "141003": "municipality"}


def resolve_org(name: str):
    """The organisation master stand-in: display name -> code."""
    return "ambiguous" if name == "14神奈川県府中市" else ORGS.get(name)


def org_kind_of(code: str):
    return KINDS.get(code)


def sample(context: SheetContext = SAGAMIHARA, seed: int = 1) -> tuple[dict, dict]:
    """A valid, complete (answers, respondent) for the context's organisation."""
    rng = random.Random(seed)
    answers = random_answers(DEFN, context.org_kind, rng)
    respondent = random_respondent(context.org_display_name, context.org_section, rng, domain="example.lg.jp")
    return answers, respondent


def read(data: bytes, filename: str = "回答.xlsx", **kwargs):
    from survey.workbook import read_answer_sheet

    return read_answer_sheet(data, filename, DEFN, resolve_org=resolve_org, org_kind_of=org_kind_of, **kwargs)


class Sheet:
    """An openpyxl view of a written sheet that finds rows the way a person would: by labels."""

    def __init__(self, data: bytes):
        self.book = openpyxl.load_workbook(io.BytesIO(data))
        self.ws = self.book.worksheets[0]

    def header(self) -> tuple[int, int, int]:
        """(row, 項番 column, 回答 column), 1-based."""
        for row in self.ws.iter_rows():
            values = {c.value: c.column for c in row if c.value}
            if NO_HEADER in values and ANSWER_HEADER in values:
                return row[0].row, values[NO_HEADER], values[ANSWER_HEADER]
        raise AssertionError("no header row")

    def item_row(self, item_id: str) -> int:
        hr, no_col, _ = self.header()
        for r in range(hr + 1, self.ws.max_row + 1):
            if self.ws.cell(r, no_col).value == item_id:
                return r
        raise KeyError(item_id)

    def answer_cell(self, item_id: str, offset: int = 0):
        return self.ws.cell(self.item_row(item_id) + offset, self.header()[2])

    def field_cell(self, label: str):
        for row in self.ws.iter_rows():
            for c in row:
                if c.value == label:
                    return self.ws.cell(c.row, c.column + 1)
        raise KeyError(label)

    def save(self) -> bytes:
        buf = io.BytesIO()
        self.book.save(buf)
        return buf.getvalue()


TYPING = ("display", "digit", "wide_digit", "circled", "circled_note", "text", "number")
MARKS = ("○", "〇", "◯", "●", "◎", "O", "o", "1", "✓", "✔", "レ")


def typed(item, code: str, style: str):
    """An option as a person might enter it."""
    option = item.option(code)
    return {
        "display": option.display, "digit": code, "wide_digit": chr(ord("０") + int(code)) if len(code) == 1 else code,
        "circled": option.mark, "circled_note": f"{option.mark} とします", "text": option.text,
        "number": int(code),
    }[style]


def fill(sheet: Sheet, answers: dict, respondent: dict, rng: random.Random) -> None:
    """Type answers and respondent fields into the sheet's input cells."""
    for label, value in respondent.items():
        sheet.field_cell(label).value = value
    for item in DEFN.items:
        value = answers.get(item.id)
        if item.kind == "marks":
            for n, option in enumerate(item.options, start=1):
                sheet.answer_cell(item.id, n).value = rng.choice(MARKS) if value and option.code in value else None
        else:
            sheet.answer_cell(item.id).value = typed(item, value, rng.choice(TYPING)) if value else None
        for n, f in enumerate(item.followups, start=1):
            offset = n + (len(item.options) if item.kind == "marks" else 0)
            text = answers.get(f.key)
            if text and f.kind == "month":
                year, month = text.split("-")
                text = rng.choice([f"{year}年{int(month)}月", f"{year}/{int(month)}", f"令和{int(year) - 2018}年{int(month)}月"])
            sheet.answer_cell(item.id, offset).value = text


def filled_sheet(answers: dict, respondent: dict, context: SheetContext = SAGAMIHARA, seed: int = 0) -> bytes:
    """A blank downloaded sheet, filled in by hand (openpyxl), as bytes."""
    sheet = Sheet(write_answer_sheet(DEFN, context=context))
    fill(sheet, answers, respondent, random.Random(seed))
    return sheet.save()
