"""The aggregate workbook (集計表), written with xlsxwriter in constant-memory mode.

Sheets: 回答一覧 (one row per target organisation), 集計（全体）, 集計（都道府県別）,
集計（団体区分別）, グラフ (native bar charts per item), 未提出団体, リスク一覧, 作成情報; with a
round to compare with, also 比較（全体） and 比較（都道府県別） (aggregation.compare).
Everything is generated from the survey definition. Rows are streamed from the database and
written in order, so memory stays flat whatever the number of responses.

Formula safety: every string goes through `write_text` (xlsxwriter's write_string, never
`write`) on a worksheet that always escapes inline strings (aggregation.xlsxfast), and the
workbook is opened with strings_to_formulas=False as well, so a respondent's `=HYPERLINK(...)`, `＝1+1`,
`+1`, `-1` or `@SUM(...)` is stored as text and never becomes a formula in the ministry's Excel.
The only formulas in the file are the chart ranges xlsxwriter writes itself.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import xlsxwriter
from django.utils import timezone

from aggregation.compare import compare_groups, compare_items
from aggregation.orgtable import MARK, UNANSWERED, OrgTable, is_submitted
from aggregation.source import FigureSource, GroupFigures, version_line
from aggregation.xlsxfast import TextSafeWorksheet
from survey.models import OrgKind

SHEET_ORGS = "回答一覧"
SHEET_OVERALL = "集計（全体）"
SHEET_PREF = "集計（都道府県別）"
SHEET_KIND = "集計（団体区分別）"
SHEET_CHARTS = "グラフ"
SHEET_NON = "未提出団体"
SHEET_RISK = "リスク一覧"
SHEET_INFO = "作成情報"
SHEET_COMPARE = "比較（全体）"
SHEET_COMPARE_PREF = "比較（都道府県別）"
PROGRESS_EVERY = 2000
OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
           "strings_to_urls": False}


@dataclass
class BuildResult:
    """What the file was built from (kept in job.result)."""

    targets: int
    responses: int
    non_responders: int
    risk_rows: int
    content_sha256: str
    built_at: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class _Writer:
    """Writes plain values into a worksheet: strings always as text."""

    def __init__(self, book: xlsxwriter.Workbook):
        self.header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                       "valign": "top"})
        self.date = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.percent = book.add_format({"num_format": "0.0%"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.bold = book.add_format({"bold": True})

    def row(self, ws, r: int, values, fmt=None) -> None:
        for c, value in enumerate(values):
            self.cell(ws, r, c, value, fmt)

    def cell(self, ws, r: int, c: int, value, fmt=None) -> None:
        if value is None or value == "":
            return
        if value.__class__ is str:
            ws.write_text(r, c, value, fmt)  # always text, never write(): '=…' must stay a string
        elif isinstance(value, dt.datetime):
            ws.write_datetime(r, c, value, fmt or self.date)
        elif isinstance(value, bool):
            ws.write_boolean(r, c, value, fmt)
        else:
            ws.write_number(r, c, value, fmt)


def build_workbook(source: FigureSource, path, *, progress: Callable[[int], None] | None = None,
                   compare_with: FigureSource | None = None) -> BuildResult:
    """Write the aggregate workbook of `source` to `path`; returns what it was built from.

    With `compare_with` (another round's figures in the same scope) the comparison sheets are added.
    """
    book = xlsxwriter.Workbook(str(path), OPTIONS)
    w = _Writer(book)
    names = [SHEET_ORGS, SHEET_OVERALL, SHEET_PREF, SHEET_KIND, SHEET_CHARTS, SHEET_NON, SHEET_RISK, SHEET_INFO]
    if compare_with is not None:
        names[5:5] = [SHEET_COMPARE, SHEET_COMPARE_PREF]
    sheets = {name: book.add_worksheet(name, worksheet_class=TextSafeWorksheet) for name in names}
    if compare_with is not None:
        _write_compare(sheets[SHEET_COMPARE], w, source, compare_with)
        _write_compare_groups(sheets[SHEET_COMPARE_PREF], w, source, compare_with)
    overall = source.overall()
    ranges = _write_overall(sheets[SHEET_OVERALL], w, overall)
    _write_groups(sheets[SHEET_PREF], w, source.by_prefecture(), overall, key_header="都道府県コード")
    _write_groups(sheets[SHEET_KIND], w, source.by_kind(), overall, key_header=None)
    _write_charts(book, sheets[SHEET_CHARTS], w, overall, ranges)
    orgs = _write_orgs(sheets[SHEET_ORGS], sheets[SHEET_NON], w, source, progress)
    risk_count = _write_risk(sheets[SHEET_RISK], w, source)
    result = BuildResult(targets=orgs["targets"], responses=orgs["responses"],
                         non_responders=orgs["non_submitters"], risk_rows=risk_count,
                         content_sha256=orgs["sha256"], built_at=timezone.localtime().isoformat())
    _write_info(sheets[SHEET_INFO], w, source, result)
    book.close()
    return result


# --- 回答一覧 and 未提出団体 (one streamed pass) -----------------------------------------------


def _write_orgs(ws, ws_non, w: _Writer, source: FigureSource, progress) -> dict:
    table = OrgTable(source.defn, frozen=source.is_frozen)
    ws.set_row(0, 45)
    ws.set_column(0, 0, 9)
    ws.set_column(1, 3, 12)
    ws.set_column(4, table.width - 1, 16)
    ws.freeze_panes(1, 4)
    w.row(ws, 0, table.headers, w.header)
    contact_fields = [f.label for f in source.defn.respondent_fields if f.filled_by == "respondent"]
    non_headers = ["団体コード", "都道府県", "団体区分", "団体名", "状態", *(f"（下書き）{f}" for f in contact_fields)]
    ws_non.set_column(0, len(non_headers) - 1, 14)
    ws_non.freeze_panes(1, 0)
    w.row(ws_non, 0, non_headers, w.header)
    digest, r, nr, counted, dates = hashlib.sha256(), 0, 0, 0, {5: w.date}
    for row in source.org_rows():
        r += 1
        cells = table.cells(row)
        ws.write_cells_row(r, cells, dates)
        if row["v_id"] is not None:
            counted += 1
            digest.update(version_line(row["v_id"], row["v_answers"]))
        elif not is_submitted(row):  # a submission a state filter leaves out is no non-submitter
            nr += 1
            draft = row["draft_respondent"] or {}
            ws_non.write_cells_row(nr, cells[:5] + [draft.get(f) for f in contact_fields])
        if progress and r % PROGRESS_EVERY == 0:
            progress(r)
    ws.autofilter(0, 0, max(r, 1), table.width - 1)
    ws_non.autofilter(0, 0, max(nr, 1), len(non_headers) - 1)
    if progress:
        progress(r)
    return {"targets": r, "responses": counted, "non_submitters": nr, "sha256": digest.hexdigest()}


# --- summaries ------------------------------------------------------------------------------


def _chart_label(display: str, limit: int = 22) -> str:
    return display if len(display) <= limit else display[: limit - 1] + "…"


def _write_overall(ws, w: _Writer, g: GroupFigures) -> dict[str, tuple[int, int]]:
    """Counts and shares per item × option; returns each item's option rows (for the charts)."""
    ws.set_column(0, 0, 8)
    ws.set_column(1, 1, 40)
    ws.set_column(2, 2, 50)
    ws.set_column(3, 4, 10)
    ws.set_column(5, 5, 26)
    w.row(ws, 0, [f"集計（全体）: {g.label}"], w.bold)
    w.row(ws, 1, ["対象団体数", g.targets, "提出数", g.responses, "提出率"])
    w.cell(ws, 1, 5, g.rate, w.percent)
    w.row(ws, 3, ["項番", "質問", "選択肢", "件数", "割合", "グラフ表示"], w.header)
    r, ranges = 4, {}
    for s in g.items:
        first = r
        for i, o in enumerate(s.options):
            w.row(ws, r, [s.item.label if i == 0 else None, s.item.text if i == 0 else None, o.label, o.count])
            w.cell(ws, r, 4, o.share if s.base else None, w.percent)
            w.cell(ws, r, 5, _chart_label(o.label))
            r += 1
        ranges[s.item.id] = (first, r - 1)
        w.row(ws, r, [None, None, UNANSWERED, s.unanswered])
        w.cell(ws, r, 4, s.unanswered_share if s.base else None, w.percent)
        w.row(ws, r + 1, [None, None, "該当団体数（割合の分母）", s.base])
        w.row(ws, r + 2, [None, None, "対象外（設問に該当しない提出団体）", s.not_applicable])
        r += 4
    return ranges


def _group_columns(items) -> list[tuple[str, list[str]]]:
    """(item label, sub-headers) per item for the grouped sheets."""
    columns = []
    for s in items:
        subs = [h for o in s.options for h in (f"{o.label[:1]} 件数", f"{o.label[:1]} 割合")]
        columns.append((s.item.label, [*subs, "未回答", "対象外", "該当数"]))
    return columns


def _write_groups(ws, w: _Writer, groups: list[GroupFigures], total: GroupFigures, *, key_header) -> None:
    """One row per group (prefecture or type) and a total row; per item counts and shares."""
    lead = ([key_header] if key_header else []) + ["名称", "対象団体数", "提出数", "提出率"]
    ws.set_column(0, len(lead) - 1, 11)
    ws.freeze_panes(2, len(lead))
    columns, c = _group_columns(total.items), len(lead)
    for label, subs in columns:  # row 0 first: constant-memory mode writes rows in order
        if len(subs) > 1:
            ws.merge_range(0, c, 0, c + len(subs) - 1, label, w.header)
        else:
            w.cell(ws, 0, c, label, w.header)
        c += len(subs)
    w.row(ws, 1, lead + [sub for _, subs in columns for sub in subs], w.header)
    rows = [*groups, total] if len(groups) != 1 else groups
    for r, g in enumerate(rows, start=2):
        _write_group_row(ws, w, r, g, with_key=bool(key_header))


def _write_group_row(ws, w: _Writer, r: int, g: GroupFigures, *, with_key: bool) -> None:
    lead = ([g.key] if with_key else []) + [g.label, g.targets, g.responses]
    w.row(ws, r, lead)
    c = len(lead)
    w.cell(ws, r, c, g.rate, w.percent)
    c += 1
    for s in g.items:
        for o in s.options:
            w.cell(ws, r, c, o.count)
            w.cell(ws, r, c + 1, o.share if s.base else None, w.percent)
            c += 2
        for i, value in enumerate((s.unanswered, s.not_applicable, s.base)):
            w.cell(ws, r, c + i, value)
        c += 3


def _write_charts(book, ws, w: _Writer, g: GroupFigures, ranges: dict[str, tuple[int, int]]) -> None:
    """A native bar chart per item, reading the counts on 集計（全体）."""
    w.row(ws, 0, [f"設問ごとの回答分布（{g.label}、提出 {g.responses} 団体）"], w.bold)
    for n, s in enumerate(g.items):
        first, last = ranges[s.item.id]
        chart = book.add_chart({"type": "bar"})
        chart.add_series({
            "name": s.item.label,
            "categories": [SHEET_OVERALL, first, 5, last, 5],
            "values": [SHEET_OVERALL, first, 3, last, 3],
            "data_labels": {"value": True},
            "fill": {"color": "#2F6EBA"},
        })
        chart.set_title({"name": f"{s.item.label}（該当 {s.base} 団体）", "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis({"min": 0, "major_gridlines": {"visible": True}})
        chart.set_size({"width": 560, "height": 90 + 34 * len(s.options)})
        ws.insert_chart(2 + (n // 2) * 16, (n % 2) * 9, chart)


# --- comparison with another round -------------------------------------------------------------


COMPARE_HEADERS = ["前回 件数", "前回 割合", "今回 件数", "今回 割合", "増減（ポイント）"]


def _write_change_cells(ws, w: _Writer, r: int, c: int, o) -> None:
    """前回/今回 count and share and the change of one option (blank where a side lacks it)."""
    w.cell(ws, r, c, o.before)
    w.cell(ws, r, c + 1, o.before_share, w.percent)
    w.cell(ws, r, c + 2, o.after)
    w.cell(ws, r, c + 3, o.after_share, w.percent)
    w.cell(ws, r, c + 4, round(o.change * 100, 1) if o.change is not None else None)


def _write_compare(ws, w: _Writer, source: FigureSource, other: FigureSource) -> None:
    """Per item and option, both rounds' counts and shares and the change in points."""
    ws.set_column(0, 1, 12)
    ws.set_column(2, 2, 50)
    ws.set_column(3, 7, 11)
    w.row(ws, 0, [f"比較（全体）: 前回「{other.round.title}」→ 今回「{source.round.title}」"], w.bold)
    w.row(ws, 1, ["設問は項目番号、選択肢は番号で対応づけています。割合の分母はその設問に該当する提出団体の数、"
                  "増減は割合の差（ポイント）です。"])
    w.row(ws, 3, ["項番", "変更", "選択肢", *COMPARE_HEADERS], w.header)
    r = 4
    for c in compare_items(source, other):
        for i, o in enumerate(c.options):
            w.row(ws, r, [c.item.label if i == 0 else None, c.state_label if i == 0 else None, o.label])
            _write_change_cells(ws, w, r, 3, o)
            r += 1
        w.row(ws, r, [None, None, "該当団体数（割合の分母）", c.before.base if c.before else None, None,
                      c.after.base if c.after else None])
        r += 2


def _write_compare_groups(ws, w: _Writer, source: FigureSource, other: FigureSource) -> None:
    """One row per prefecture, item and option (filterable), both rounds and the change."""
    headers = ["都道府県コード", "都道府県", "項番", "選択肢", "前回 該当数", "今回 該当数", *COMPARE_HEADERS]
    ws.set_column(0, 2, 10)
    ws.set_column(3, 3, 40)
    ws.set_column(4, len(headers) - 1, 11)
    ws.freeze_panes(1, 4)
    w.row(ws, 0, headers, w.header)
    labels = {i.id: i.label for i in [*other.defn.items, *source.defn.items]}
    r = 0
    for item_id, groups in compare_groups(source, other, by="prefecture").items():
        for g in groups:
            for o in g.options:
                r += 1
                w.row(ws, r, [g.key, g.label, labels[item_id], o.label, g.before_base, g.after_base])
                _write_change_cells(ws, w, r, 6, o)
    ws.autofilter(0, 0, max(r, 1), len(headers) - 1)


# --- risk list and build information --------------------------------------------------------


def _write_risk(ws, w: _Writer, source: FigureSource) -> int:
    levels = {lv.id: lv.label for lv in source.defn.risk_levels}
    headers = ["団体コード", "都道府県", "団体区分", "団体名", "リスク区分", "該当したルール", "ルールID"]
    ws.set_column(0, 3, 12)
    ws.set_column(4, 4, 12)
    ws.set_column(5, 5, 70)
    ws.set_column(6, 6, 30)
    ws.freeze_panes(1, 0)
    w.row(ws, 0, headers, w.header)
    r = 0
    for row in source.risk_rows():
        r += 1
        rules = row["v_rules"] or []
        ws.write_cells_row(r, [row["code"], row["prefecture_name"], OrgKind(row["kind"]).label, row["name"],
                               levels.get(row["v_risk"], row["v_risk"]), "\n".join(x.get("label", "") for x in rules),
                               ", ".join(x.get("id", "") for x in rules)], {5: w.wrap})
    ws.autofilter(0, 0, max(r, 1), len(headers) - 1)
    return r


def _write_info(ws, w: _Writer, source: FigureSource, result: BuildResult) -> None:
    snap = source.snapshot
    rows = [
        ("調査", source.defn.title),
        ("調査回", source.round.title),
        ("集計の基準", source.describe()),
        ("確定集計ID", snap.pk if snap else None),
        ("確定時の内容ハッシュ", snap.content_sha256 if snap else None),
        ("集計した回答の内容ハッシュ（SHA-256）", result.content_sha256),
        ("範囲", source.prefecture_label() if source.prefecture else "全国"),
        ("対象団体数", result.targets),
        ("提出数", result.responses),
        ("未提出数", result.non_responders),
        ("作成日時", timezone.localtime().replace(tzinfo=None)),
        ("凡例", f"{MARK}: 印あり。空欄: 設問に該当しない（対象外）か未提出。{UNANSWERED}: 該当するが未回答。"),
        ("割合", "割合の分母は、その設問に該当する提出団体の数（複数選択の設問は合計が100%を超えることがあります）。"),
        ("注意", "回答者が入力した文字列はすべて文字列として書き込んでおり、数式として実行されることはありません。"),
    ]
    ws.set_column(0, 0, 36)
    ws.set_column(1, 1, 90)
    for r, (label, value) in enumerate(rows):
        w.cell(ws, r, 0, label, w.bold)
        w.cell(ws, r, 1, value, w.wrap if isinstance(value, str) else None)
