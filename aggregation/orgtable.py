"""The per-organisation table (one row per target), shared by the workbook and the CSV.

Columns come from the survey definition: respondent fields, then each item (one column with
the chosen option's number and text, or one column per option of a multi-select item, ○ when
marked), each follow-up right after its item, then the risk level and the rules that raised it.
Cells are plain values: str, int, datetime or None (empty).
"""
from __future__ import annotations

from django.utils import timezone

from survey import engine
from survey.models import OrgKind

MARK = "○"
UNANSWERED = "（未回答）"
STATUS_SUBMITTED = "提出済"
STATUS_DRAFT = "下書き"
STATUS_NOT_STARTED = "未着手"
STATUS_NOT_COUNTED = "未提出（確定時点）"
BASE_HEADERS = ["団体コード", "都道府県", "団体区分", "団体名", "状態", "提出日時"]


def org_headers(defn) -> list[str]:
    """Header of every column, in order."""
    headers = [*BASE_HEADERS, *(f.label for f in defn.respondent_fields)]
    for item in defn.items:
        if item.kind == "marks":
            headers += [f"{item.label} {o.display}" for o in item.options]
        else:
            headers.append(item.label)
        headers += [f"{item.label} {f.label}" for f in item.followups]
    return [*headers, "リスク区分", "該当したリスク判定ルール"]


# A submitted response's state (FigureSource.org_rows' `state`; a snapshot keeps it as it was).
SUBMITTED_STATES = {"submitted": STATUS_SUBMITTED, "returned": "差し戻し中", "approved": "承認済"}


def is_submitted(row: dict) -> bool:
    """Whether the organisation submitted (counted, or left out only by a state filter)."""
    return row["v_id"] is not None or row.get("state") in SUBMITTED_STATES


def status_label(row: dict, *, frozen: bool) -> str:
    """提出済・差し戻し中・承認済 / 下書き / 未着手, or 未提出（確定時点） for a snapshot."""
    if is_submitted(row):
        return SUBMITTED_STATES.get(row.get("state"), STATUS_SUBMITTED)
    if frozen:
        return STATUS_NOT_COUNTED
    return STATUS_DRAFT if row["live_status"] else STATUS_NOT_STARTED


def local_naive(value):
    """An aware datetime as Japan time without tzinfo (what Excel stores)."""
    return timezone.localtime(value).replace(tzinfo=None) if value is not None else None


class OrgTable:
    """Turns streamed rows (aggregation.source.FigureSource.org_rows) into cells."""

    def __init__(self, defn, *, frozen: bool):
        self.defn = defn
        self.frozen = frozen
        self.headers = org_headers(defn)
        self.width = len(self.headers)
        self._levels = {lv.id: lv.label for lv in defn.risk_levels}
        self._status_cache: dict[tuple, dict[str, str]] = {}
        self._branching = sorted(defn.branching_ids)
        self._displays = {(i.id, o.code): o.display for i in defn.items for o in i.options}

    def cells(self, row: dict) -> list:
        """The cells of one organisation's row."""
        head = [row["code"], row["prefecture_name"], OrgKind(row["kind"]).label, row["name"],
                status_label(row, frozen=self.frozen), local_naive(row["v_at"])]
        if row["v_id"] is None:
            return head
        respondent = row["v_respondent"] or {}
        cells = head + [respondent.get(f.label) or None for f in self.defn.respondent_fields]
        cells += self._answer_cells(row["kind"], row["v_answers"] or {})
        rules = "\n".join(rule.get("label", rule.get("id", "")) for rule in row["v_rules"] or [])
        return [*cells, self._levels.get(row["v_risk"], row["v_risk"]), rules or None]

    def _answer_cells(self, kind: str, answers: dict) -> list:
        status = self._item_status(kind, answers)
        cells: list = []
        for item in self.defn.items:
            value, applies = answers.get(item.id), status[item.id] != engine.SKIPPED
            if item.kind == "marks":
                marked = set(value or ())
                marks = [MARK if o.code in marked else None for o in item.options]
                if applies and not marked:
                    marks[0] = UNANSWERED
                cells += marks
            elif value:
                cells.append(self._displays.get((item.id, value)) or str(value))
            else:
                cells.append(UNANSWERED if applies else None)
            cells += [_followup_cell(f, answers.get(f.key)) for f in item.followups]
        return cells

    def _item_status(self, kind: str, answers: dict) -> dict[str, str]:
        """engine.item_status, cached on what it depends on (kind and the branching answers)."""
        engine_kind = "prefecture" if kind == OrgKind.PREFECTURE else "municipality"
        key = (engine_kind, *(_hashable(answers.get(i)) for i in self._branching))
        found = self._status_cache.get(key)
        if found is None:
            found = self._status_cache[key] = engine.item_status(self.defn, engine_kind, answers)
        return found


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _followup_cell(followup, value):
    """A follow-up as the ministry reads it: months as 2025年3月, text as typed."""
    if not value:
        return None
    return engine.format_month(value) if followup.kind == "month" else value
