"""The per-organisation table as CSV: UTF-8 with a BOM (so Excel opens it in Japanese), csv module.

Formula guard: a CSV has no cell types, so Excel would run `=…` typed by a respondent. Any
text cell that starts with = + - @ (or their full-width forms ＝ ＋ － ＠), a tab or a carriage
return gets a leading apostrophe ('), the guard OWASP recommends: Excel then shows the text
as it was written and runs nothing. Numbers and dates are not touched.
"""
from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable

from aggregation.orgtable import OrgTable
from aggregation.source import FigureSource

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
PROGRESS_EVERY = 2000


def guard(value) -> str:
    """A cell as CSV text, with the formula guard applied to strings."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        return "'" + value if value.startswith(DANGEROUS_START) else value
    return str(value)


def build_csv(source: FigureSource, path, *, progress: Callable[[int], None] | None = None) -> dict:
    """Write one row per target organisation of `source` to `path`; returns the counts."""
    table = OrgTable(source.defn, frozen=source.is_frozen)
    rows = responses = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(table.headers)
        for row in source.org_rows():
            cells = table.cells(row)
            writer.writerow([guard(c) for c in cells] + [""] * (table.width - len(cells)))
            rows += 1
            responses += row["v_id"] is not None
            if progress and rows % PROGRESS_EVERY == 0:
                progress(rows)
    return {"targets": rows, "responses": responses, "non_responders": rows - responses}
