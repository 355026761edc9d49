"""What the answer-sheet services share: problems shaped like a reader's CellIssue, the
organisation lookups the reader needs, and reading through the isolated reader."""
from __future__ import annotations

import os
from collections.abc import Iterator

from django.conf import settings

from survey import workbook
from survey.models import Organization
from survey.workbook.safety import Limits

TEMPLATE_VERSION = "1"
READER_PROCESSES = os.cpu_count() or 2
SHEETS_FOLDER, UPLOADS_FOLDER, RESULTS_FOLDER = "sheets", "uploads", "results"


class SheetRejected(Exception):
    """The uploaded sheet cannot be taken; `errors` lists every problem (dicts with a cell)."""

    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


def problem(code: str, message: str, **where) -> dict:
    """A problem that is not about one cell, shaped like a reader's CellIssue."""
    return {"sheet": "", "cell": "", "item": None, "field": None, "value": None, "code": code,
            "message": message, **where}


def as_dicts(issues) -> list[dict]:
    return [issue.as_dict() if hasattr(issue, "as_dict") else dict(issue) for issue in issues]


def engine_issues(issues) -> list[dict]:
    return [problem(i.code, i.message, item=i.item, field=i.field, value=i.value) for i in issues]


def too_large_problem() -> dict:
    limit = settings.UPLOAD_MAX_BYTES // 1024 // 1024
    return problem("too_large", f"ファイルが大きすぎます（上限 {limit} MB）。")


def file_suffix(filename: str) -> str:
    return "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


# --- identity -----------------------------------------------------------------------------------


class OrgResolver:
    """組織名 -> organisation code, "ambiguous" or None; plain data, so it can go to a child process."""

    def __init__(self, names: dict[str, str]):
        self.names = names

    def __call__(self, display_name: str | None) -> str | None:
        return self.names.get("".join((display_name or "").split()))


class OrgKinds:
    """Organisation code -> the engine's kind ("prefecture" / "municipality"), from the master."""

    def __init__(self, kinds: dict[str, str]):
        self.kinds = kinds

    def __call__(self, code: str) -> str | None:
        return self.kinds.get(code)


def org_lookups() -> tuple[OrgResolver, OrgKinds]:
    """Name and kind lookups over the organisation master (an active organisation wins a name)."""
    names: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for code, pref_code, pref_name, name, kind, active in Organization.objects.order_by("-is_active", "code").values_list(
            "code", "prefecture_code", "prefecture_name", "name", "kind", "is_active"):
        org = Organization(code=code, prefecture_code=pref_code, prefecture_name=pref_name, name=name, kind=kind)
        kinds[code] = org.engine_kind
        key = org.display_name
        if key not in names:
            names[key] = code
        elif active and names[key] != code:
            names[key] = "ambiguous"
    return OrgResolver(names), OrgKinds(kinds)


def org_resolver() -> OrgResolver:
    """組織名 -> code over the organisation master."""
    return org_lookups()[0]


# --- reading --------------------------------------------------------------------------------------


def upload_limits() -> Limits:
    """The reader's bounds, from the settings (UPLOAD_MAX_BYTES, BULK_UPLOAD_MAX_BYTES, ZIP_MAX_*,
    READER_MAX_SHEETS, READER_MAX_CELLS)."""
    return Limits(max_upload_bytes=settings.BULK_UPLOAD_MAX_BYTES, max_workbook_bytes=settings.UPLOAD_MAX_BYTES,
                  max_zip_entries=settings.ZIP_MAX_ENTRIES, max_zip_entry_bytes=settings.UPLOAD_MAX_BYTES,
                  max_zip_total_bytes=settings.ZIP_MAX_TOTAL_BYTES, max_sheets=settings.READER_MAX_SHEETS,
                  max_total_cells=settings.READER_MAX_CELLS)


def read_one(data: bytes, filename: str, defn, lookups, *, complete: bool = True) -> workbook.SheetResult:
    """One sheet through the isolated reader: a warm child process lent to this read alone, with
    memory and time (READER_TIMEOUT_SECONDS) limits."""
    resolver, kinds = lookups
    return workbook.read_answer_sheet_isolated(data, filename, defn, resolve_org=resolver, org_kind_of=kinds,
                                               timeout=settings.READER_TIMEOUT_SECONDS, complete=complete,
                                               limits=upload_limits())


def read_many(files: list[tuple[str, bytes]], defn, lookups) -> Iterator[workbook.SheetResult]:
    """Many sheets, read completely, through one reader pool (a worker per CPU), in order."""
    resolver, kinds = lookups
    with workbook.SheetReaderPool(READER_PROCESSES, limits=upload_limits(), timeout=settings.READER_TIMEOUT_SECONDS,
                                  max_files_per_worker=1000) as pool:
        for _name, result in pool.read_many(files, defn, resolve_org=resolver, org_kind_of=kinds, complete=True):
            yield result
