"""Plain values shared by the writer, the reader and the callers: context, issues, results.

Also the labels of the sheet layout (the reader finds cells by these, never by coordinates)
and the identity string kept in a hidden cell.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any

SHEET_NAME = "回答シート"
OPTIONS_SHEET_NAME = "選択肢"
RESPONDENT_HEADING = "回答者情報"
ITEMS_HEADING = "調査項目への回答"
NO_HEADER = "項番"
QUESTION_HEADER = "質問"
ANSWER_HEADER = "回答をリストから選択 (一部自由記載)"
ANSWER_HEADER_PREFIX = "回答"
INFO_MISSING_TEXT = "情報未入力あり"
UNANSWERED_TEXT = "未回答あり"
MARK = "○"
IDENTITY_NAME = "調査回答シート識別"  # defined name pointing at the identity cell
IDENTITY_PREFIX = "SURVEY-SHEET"


@dataclass(frozen=True)
class SheetContext:
    """What the writer needs to know about the round and the organisation."""

    round_id: int
    round_title: str
    org_code: str
    org_display_name: str
    org_section: str
    org_kind: str
    scheme: str
    attribute: str
    deadline: str
    template_version: str


@dataclass(frozen=True)
class Identity:
    """Contents of the hidden identity cell."""

    round_id: int
    org_code: str
    template_version: str

    def encode(self) -> str:
        return f"{IDENTITY_PREFIX}|round={self.round_id}|org={self.org_code}|template={self.template_version}"


_IDENTITY_RE = re.compile(r"SURVEY-SHEET\|round=(\d{1,12})\|org=([0-9A-Za-z]{1,20})\|template=([^|]{0,100})")


def parse_identity(text: str) -> Identity | None:
    """The identity in a cell's text, or None when the text is not a well-formed identity."""
    m = _IDENTITY_RE.fullmatch(text.strip())
    return Identity(int(m.group(1)), m.group(2), m.group(3)) if m else None


def json_value(value: Any) -> Any:
    """A cell value in a JSON-able form (dates as ISO text, floats that are integers as ints)."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value


@dataclass(frozen=True)
class CellIssue:
    """One problem (or warning) in a returned sheet, located by sheet and cell address."""

    sheet: str | None
    cell: str | None
    item: str | None
    field: str | None
    value: Any
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["value"] = json_value(self.value)
        return data


@dataclass
class SheetResult:
    """What one returned file gave: values, identity and every problem, by cell.

    `ok` is False when there is any error; then nothing of the sheet may be stored but the
    report. `round_id` and `template_version` come from the hidden identity cell (None when
    the sheet has none); `org_code` is the organisation identified (hidden cell and 組織名
    agreeing, or 組織名 alone through `resolve_org`). `missing`: for a sheet read as a draft
    (`complete=False`), what must still be answered before submission (not errors).
    """

    ok: bool
    round_id: int | None
    org_code: str | None
    org_display_name: str | None
    answers: dict
    respondent: dict
    errors: list[CellIssue]
    warnings: list[CellIssue]
    sha256: str
    template_version: str | None = None
    org_kind: str | None = None
    sheet: str | None = None
    followup_rows_missing: list[str] = field(default_factory=list)
    missing: list[CellIssue] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in ("errors", "warnings", "missing")}
        data["errors"] = [e.as_dict() for e in self.errors]
        data["warnings"] = [w.as_dict() for w in self.warnings]
        data["missing"] = [m.as_dict() for m in self.missing]
        return data


def col_letter(col: int) -> str:
    """Column letters of a 0-based column index (0 -> A)."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_name(row: int, col: int) -> str:
    """A1-style address of 0-based (row, col)."""
    return f"{col_letter(col)}{row + 1}"
