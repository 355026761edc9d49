"""The corpus: returned sheets as other hands make them, each with the result it must give.

A case says how the sheet is laid out (`ministry.Layout`), what the respondent typed and in
which form (①, 1, １, the option text, ○ marks, 和暦 months…), whether LibreOffice re-saved it,
and what reading it must give: the organisation and the canonical answers, or the exact set
of errors as (code, input) pairs, where the input is a key of `ministry.Built.cells` (the
address is where the builder put that input cell).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .ministry import BY_NO, SCHEME, Layout

SAGAMIHARA = "141500"
RESPONDENT = {
    "制度等": SCHEME, "組織区分": "市区町村", "属性": "", "組織名": "14神奈川県相模原市",
    "担当部署名": "福祉部 生活福祉課", "回答責任者役職": "生活福祉課長", "回答責任者氏名": "相模 太郎",
    "連絡先氏名": "原 花子", "電話番号": "042-754-1111", "メールアドレス": "seikatsu@city.example.jp",
}
# A short path (3 = ② skips 4 and 5; 7-2 = ② skips 7-3 to 8-2) and the long one.
SHORT = {"1-1": "2", "2": "1", "3": "2", "6": ["1", "2"], "7-1": "1", "7-2": "2", "9": "1", "10": "1"}
LONG = {"1-1": "1", "2": "4", "3": "1", "4": "1", "5": "2", "6": ["2"], "7-1": "2", "7-2": "1", "7-3": "1",
        "7-4": ["1", "3", "5"], "8-1": "2", "9": "2", "10": "1"}
PREFECTURE = {**SHORT, "1-2": "1"}
del PREFECTURE["1-1"]

STYLES = ("display", "circled", "digit", "wide", "number", "circled_note", "text")
MARKS = ("○", "〇", "◯", "●", "◎", "O", "o", "1", "✓", "✔", "レ")
CIRCLED = "①②③④⑤"

MINISTRY = Layout()  # label | input | guidance, with the guidance in the item table's 回答 column
OURS = Layout(resp=(2, 3, 4), followup_rows=True)
MERGED_LABEL = Layout(resp=(1, 3, 4), label_span=2)  # label | (merged) | input | guidance
MERGED_INPUT = Layout(resp=(1, 2, 4), input_span=2)
WIDE_ANSWER = Layout(answer_span=2)  # 回答 heading merged over two columns, inputs in the second
OPTIONS_IN_ANSWER = Layout(answer_span=2, options_in_answer=True)
SHIFTED = Layout(resp=(2, 3, 4), table=(2, 3, 4), top_rows=3)  # a column and rows inserted
MEMO_ROWS = Layout(memo_rows=("5", "9", "10"))
RENAMED = Layout(sheet_title="Sheet1", extra_sheets=("メモ", "控え"))
PROTECTED = Layout(protect=True, guidance_in_input=True)
FOLLOWUPS = Layout(followup_rows=True)
NOTE_BEFORE_INPUT = Layout(resp=(1, 3, 4), note_col=2, protect=True)  # label | 必須 | input: the lock decides
RIGHT_OF_HEADING = Layout(answer_offset=1, protect=True)  # inputs one column right of 回答, heading not merged


def typed_option(no: str, code: str, style: str):
    """Option `code` of item `no` as a person types it."""
    text = BY_NO[no].options[int(code) - 1]
    return {
        "display": text, "circled": text[0], "digit": code, "wide": chr(ord("０") + int(code)),
        "number": int(code), "circled_note": f"{text[0]} とします", "text": text[1:],
    }[style]


@dataclass(frozen=True)
class Case:
    id: str
    answers: dict  # canonical: what the sheet means (codes, months as YYYY-MM)
    layout: Layout = MINISTRY
    org: str | None = SAGAMIHARA
    styles: tuple[str, ...] = ("display",)
    marks: tuple[str, ...] = ("○",)
    respondent: dict = field(default_factory=dict)  # changes to RESPONDENT
    typed: dict = field(default_factory=dict)  # raw cells that override the typed answers
    followups: dict = field(default_factory=dict)  # "2:followup" -> typed text (needs follow-up rows)
    convert: str | None = None  # LibreOffice re-save: "xlsx", "ods" or "xls"
    errors: frozenset = frozenset()  # {(code, input key)}
    warnings: frozenset = frozenset()  # codes that must be among the warnings
    expect_respondent: dict = field(default_factory=dict)  # canonical respondent values to check

    @property
    def suffix(self) -> str:
        return f".{self.convert or 'xlsx'}"

    def typed_answers(self) -> dict:
        out: dict = {}
        for n, (no, value) in enumerate(self.answers.items()):
            if ":" in no:
                continue
            if BY_NO[no].marks:
                out[no] = {CIRCLED[int(c) - 1]: self.marks[(n + i) % len(self.marks)] for i, c in enumerate(value)}
            else:
                out[no] = typed_option(no, value, self.styles[n % len(self.styles)])
        out.update(self.followups)
        out.update(self.typed)
        return out

    def typed_respondent(self) -> dict:
        return {**RESPONDENT, **self.respondent}


def _ok(id_: str, answers=SHORT, **kw) -> Case:
    return Case(id_, answers, **kw)


def _bad(id_: str, errors: set, answers=SHORT, **kw) -> Case:
    return Case(id_, answers, errors=frozenset(errors), **kw)


CASES: list[Case] = [
    # -- every answer form --------------------------------------------------------------
    *[_ok(f"form-{style}", LONG, styles=(style,)) for style in STYLES],
    _ok("form-mixed-styles", LONG, styles=STYLES),
    *[_ok(f"marks-{i}", LONG, marks=MARKS[i:i + 3]) for i in range(0, len(MARKS), 3)],
    # -- months, in the product's follow-up row ----------------------------------------
    *[_ok(f"month-{name}", {**SHORT, "2": "3", "2:予定年月": "2025-03"}, layout=FOLLOWUPS,
          followups={"2:followup": typed})
      for name, typed in [("kanji", "2025年3月"), ("wareki", "令和7年3月"), ("r-dot", "R7.3"), ("slash", "2025/3"),
                          ("iso", "2025-03"), ("full-width", "２０２５年３月"), ("date-cell", dt.datetime(2025, 3, 1))]],
    _ok("month-in-option-text", {**SHORT, "2": "3", "2:予定年月": "2025-03"},
        typed={"2": "③定める予定である（2025年3月）"}, warnings=frozenset({"month_from_answer"})),
    _ok("outlines-written", {**LONG, "8-1": "1", "8-1:概要": "4情報すべてで特定し、複数職員で確認する。", "8-2": "1",
                             "10": "2", "10:概要": "住所の表記ゆれで誤りがあり、照合手順を改めた。"},
        layout=FOLLOWUPS, followups={"8-1:followup": "4情報すべてで特定し、複数職員で確認する。",
                                     "10:followup": "住所の表記ゆれで誤りがあり、照合手順を改めた。"}),
    _ok("outline-attached-separately", {**SHORT, "10": "2"}, warnings=frozenset({"followup_row_missing"})),
    # -- layouts -----------------------------------------------------------------------
    _ok("layout-product-columns", LONG, layout=OURS, styles=("circled",)),
    _ok("layout-merged-label", LONG, layout=MERGED_LABEL, styles=("digit",)),
    _ok("layout-merged-input", SHORT, layout=MERGED_INPUT),
    _ok("layout-answer-heading-over-two-columns", LONG, layout=WIDE_ANSWER, styles=("wide",)),
    _ok("layout-option-text-under-answer", LONG, layout=OPTIONS_IN_ANSWER),
    _ok("layout-column-and-rows-inserted", LONG, layout=SHIFTED, styles=("circled_note",)),
    _ok("layout-memo-rows-in-table", LONG, layout=MEMO_ROWS),
    _ok("layout-sheet-renamed-extra-sheets", SHORT, layout=RENAMED),
    _ok("layout-protected-unlocked-inputs", SHORT, layout=PROTECTED, styles=("number",)),
    _ok("layout-unlocked-input-after-a-note", SHORT, layout=NOTE_BEFORE_INPUT),
    _ok("layout-unlocked-answers-right-of-heading", LONG, layout=RIGHT_OF_HEADING, styles=("circled",)),
    # -- LibreOffice re-saves ----------------------------------------------------------
    _ok("libreoffice-xlsx", LONG, convert="xlsx", styles=("circled",)),
    _ok("libreoffice-ods", LONG, convert="ods", styles=("digit",)),
    _ok("libreoffice-xls", LONG, convert="xls"),
    _ok("libreoffice-ods-merged-label", SHORT, layout=MERGED_LABEL, convert="ods"),
    _ok("libreoffice-xls-followups", {**SHORT, "2": "3", "2:予定年月": "2024-03"}, layout=FOLLOWUPS,
        followups={"2:followup": "令和6年3月"}, convert="xls"),
    _ok("libreoffice-ods-answer-heading-over-two-columns", SHORT, layout=WIDE_ANSWER, convert="ods"),
    # -- fields the ministry fills -----------------------------------------------------
    _ok("ministry-scheme-blank", SHORT, respondent={"制度等": ""}, warnings=frozenset({"ministry_field_filled"}),
        expect_respondent={"制度等": SCHEME}),
    _ok("ministry-scheme-without-kankei-jimu", SHORT, respondent={"制度等": "職業転換給付金制度"},
        warnings=frozenset({"ministry_field_reworded"}), expect_respondent={"制度等": SCHEME}),
    _ok("ministry-attribute-typed-by-respondent", SHORT, respondent={"属性": "訓練手当受給者"},
        warnings=frozenset({"ministry_field_ignored"})),
    _bad("ministry-scheme-of-another-scheme", {("ministry_field_mismatch", "制度等")},
         respondent={"制度等": "雇用保険制度関係事務"}),
    # -- 組織名 as people write it -----------------------------------------------------
    _ok("org-with-county", SHORT, org="473821", respondent={"組織名": "47沖縄県八重山郡与那国町"},
        warnings=frozenset({"org_name_normalised"}), expect_respondent={"組織名": "47沖縄県与那国町"}),
    _ok("org-spaces-full-width-digits", SHORT, respondent={"組織名": "１４ 神奈川県　相模原市"},
        expect_respondent={"組織名": "14神奈川県相模原市"}),
    _ok("org-no-code-ke-for-small-ke", SHORT, org="142077", respondent={"組織名": "神奈川県茅ケ崎市"},
        warnings=frozenset({"org_name_normalised"}), expect_respondent={"組織名": "14神奈川県茅ヶ崎市"}),
    _ok("org-small-ke-for-ke", SHORT, org="082082", respondent={"組織名": "08茨城県龍ヶ崎市"},
        expect_respondent={"組織名": "08茨城県龍ケ崎市"}),
    _ok("org-itaiji", SHORT, org="394050", respondent={"組織名": "39高知県檮原町"},
        expect_respondent={"組織名": "39高知県梼原町"}),
    _ok("org-wrong-prefecture-code", SHORT, respondent={"組織名": "13神奈川県相模原市"},
        warnings=frozenset({"org_name_normalised"})),
    _ok("org-prefecture", PREFECTURE, org="140007", respondent={"組織名": "14神奈川県", "組織区分": "都道府県"}),
    _bad("org-ambiguous-without-prefecture", {("org_ambiguous", "組織名")}, org=None, respondent={"組織名": "府中市"}),
    _bad("org-unknown-in-that-prefecture", {("org_unknown", "組織名")}, org=None,
         respondent={"組織名": "14神奈川県府中市"}),
    # -- contradictions and mistakes the spec names --------------------------------------
    _bad("invalid-option-and-missing-item-and-field", {("invalid_option", "9"), ("required", "7-1"),
                                                        ("respondent_required", "回答責任者氏名")},
         typed={"9": "⑤", "7-1": None}, respondent={"回答責任者氏名": ""}),
    _bad("unknown-org-and-no-section-still-checks-answers",
         {("org_unknown", "組織名"), ("org_kind_unknown", "組織区分"), ("invalid_option", "9"), ("required", "7-1")},
         org=None, typed={"9": "九", "7-1": None}, respondent={"組織名": "99どこかの市", "組織区分": ""}),
    _bad("answer-to-skipped-item", {("not_applicable_answered", "4")}, typed={"4": "①"}),
    _bad("answer-after-goto", {("not_applicable_answered", "8-2")}, LONG, typed={"8-2": "1"}),
    _bad("missing-applicable-item", {("required", "7-1")}, typed={"7-1": None}),
    _bad("month-missing", {("followup_required", "2:followup")}, {**SHORT, "2": "3"}, layout=FOLLOWUPS),
    _bad("month-unreadable", {("invalid_month", "2:followup")}, {**SHORT, "2": "3"}, layout=FOLLOWUPS,
         followups={"2:followup": "来年度中"}),
    _bad("month-without-its-option", {("not_applicable_answered", "2:followup")}, layout=FOLLOWUPS,
         followups={"2:followup": "2025年3月"}),
    _bad("invalid-mark", {("invalid_mark", "6:②")}, typed={"6": {"①": "○", "②": "×"}}),
    _bad("no-mark-where-required", {("marks_required", "6:①")}, typed={"6": {}}),
    _bad("prefecture-item-by-municipality", {("not_applicable_answered", "1-2")}, typed={"1-2": "②"}),
    _bad("org-kind-contradicts-master", {("org_kind_mismatch", "組織区分")}, respondent={"組織区分": "都道府県"}),
    _bad("bad-phone-and-email", {("invalid_phone", "電話番号"), ("invalid_email", "メールアドレス")},
         respondent={"電話番号": "内線のみ", "メールアドレス": "seikatsu＠city"}),
    _ok("title-below-section-chief", SHORT, respondent={"回答責任者役職": "係長"},
        warnings=frozenset({"title_below_section_chief"})),
]
assert len({c.id for c in CASES}) == len(CASES)
