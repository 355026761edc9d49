"""What the answer-sheet services share: problems shaped like a reader's CellIssue, the
organisation lookups the reader needs, and reading through the isolated reader."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from django.conf import settings

from survey import workbook
from survey.models import Organization, Round, RoundTarget
from survey.orgmaster import NameMatch, OrgNameIndex, OrgRecord
from survey.services.responses import ministry_fields
from survey.workbook.safety import Limits

TEMPLATE_VERSION = "1"
READER_PROCESSES = os.cpu_count() or 2
READ_AHEAD = 100  # sheets a bulk import's readers may be ahead of the writes (read results are small)
SHEETS_FOLDER, UPLOADS_FOLDER, RESULTS_FOLDER = "sheets", "uploads", "results"
# What happened to a file of a bulk import (the report's 取込 / 不可 / 重複).
IMPORTED, REJECTED, DUPLICATE = "imported", "rejected", "duplicate"


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
    """組織名 as written -> `orgmaster.NameMatch`; plain data, so it can go to a child process."""

    def __init__(self, index: OrgNameIndex):
        self.index = index

    def __call__(self, display_name: str | None) -> NameMatch:
        return self.index.match(display_name)


class OrgKinds:
    """Organisation code -> the engine's kind ("prefecture" / "municipality"), from the master."""

    def __init__(self, kinds: dict[str, str]):
        self.kinds = kinds

    def __call__(self, code: str) -> str | None:
        return self.kinds.get(code)


class RoundFields:
    """(round id, organisation code) -> the values of the fields the ministry fills, for the
    reader: the round the sheet goes to (its hidden round id, else `default`; always `default`
    when `fixed`), for that organisation's target (its own 属性) or the round's. `default_targets`:
    (round, code) -> target for the default round, when the caller holds them already (a bulk
    import fetches every target of the round with its organisation once, for both)."""

    def __init__(self, default: Round | None = None, fixed: bool = False,
                 default_targets: Callable[[Round, str], RoundTarget | None] | None = None):
        self.default, self.fixed, self.default_targets = default, fixed, default_targets
        self.rounds: dict[int, Round | None] = {default.pk: default} if default else {}
        self.targets: dict[int, dict[str, RoundTarget]] = {}
        self.partial: set[int] = set()  # rounds of which only some targets were fetched
        self.values: dict[tuple[int, str], dict[str, str]] = {}  # what __call__ answered, per round and code

    def __call__(self, round_id: int | None, org_code: str | None) -> dict[str, str]:
        rnd = self.default if (round_id is None or self.fixed) else self._round(round_id)
        if rnd is None:
            return {}
        key = (rnd.pk, org_code or "")
        if key not in self.values:  # the same for every sheet of a target while the import runs
            target = self._target(rnd, org_code or "") or RoundTarget(round=rnd)
            target.round = rnd
            self.values[key] = ministry_fields(target)
        return dict(self.values[key])

    def _target(self, rnd: Round, code: str) -> RoundTarget | None:
        """The round's target for `code`: the first lookup of a round (one upload) fetches that
        target alone, a second one (a bulk import) all the round's targets at once."""
        if self.default_targets is not None and rnd is self.default:
            return self.default_targets(rnd, code)
        if rnd.pk not in self.targets:
            self.targets[rnd.pk] = {t.organization.code: t for t in RoundTarget.objects.filter(
                round=rnd, organization__code=code).select_related("organization")}
            self.partial.add(rnd.pk)
        elif rnd.pk in self.partial and code not in self.targets[rnd.pk]:
            self.targets[rnd.pk] = {t.organization.code: t for t in
                                    RoundTarget.objects.filter(round=rnd).select_related("organization")}
            self.partial.discard(rnd.pk)
        return self.targets[rnd.pk].get(code)

    def _round(self, round_id: int) -> Round | None:
        if round_id not in self.rounds:
            self.rounds[round_id] = Round.objects.select_related("survey").filter(pk=round_id).first()
        return self.rounds[round_id]


def org_lookups(round: Round | None = None, *, fixed: bool = False,
                default_targets: Callable[[Round, str], RoundTarget | None] | None = None,
                ) -> tuple[OrgResolver, OrgKinds, RoundFields]:
    """Name and kind lookups over the organisation master (an active organisation wins a name),
    and the ministry's fields of `round` (see RoundFields)."""
    rows = tuple(Organization.objects.order_by("code").values_list(
        "code", "prefecture_code", "prefecture_name", "name", "kind", "is_active"))
    return (*_master_lookups(rows), RoundFields(round, fixed, default_targets))


_MASTER: dict[int, tuple[tuple, OrgResolver, OrgKinds]] = {}


def _master_lookups(rows: tuple) -> tuple[OrgResolver, OrgKinds]:
    """The name index and kinds of the master's rows, built once per process for the same rows
    (building the index costs ten times fetching them; every single upload needs it)."""
    key = hash(rows)
    kept = _MASTER.get(key)
    if kept is not None and kept[0] == rows:
        return kept[1], kept[2]
    records, inactive, kinds = [], [], {}
    for code, pref_code, pref_name, name, kind, active in rows:
        records.append(OrgRecord(code, pref_code, pref_name, name, "", kind))
        kinds[code] = Organization(kind=kind).engine_kind
        if not active:
            inactive.append(code)
    built = OrgResolver(OrgNameIndex(records, inactive)), OrgKinds(kinds)
    _MASTER.clear()
    _MASTER[key] = (rows, *built)
    return built


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
    resolver, kinds, fields = lookups
    return workbook.read_answer_sheet_isolated(data, filename, defn, resolve_org=resolver, org_kind_of=kinds,
                                               timeout=settings.READER_TIMEOUT_SECONDS, complete=complete,
                                               limits=upload_limits(), ministry_values=fields)


def reader_pool() -> workbook.SheetReaderPool:
    """The reader pool of a batch: a worker per CPU, the upload bounds and timeout of the settings."""
    return workbook.SheetReaderPool(READER_PROCESSES, limits=upload_limits(), timeout=settings.READER_TIMEOUT_SECONDS,
                                    max_files_per_worker=1000)


def read_many(files: list[tuple[str, bytes]], defn, lookups, *,
              pool: workbook.SheetReaderPool | None = None) -> Iterator[workbook.SheetResult]:
    """Many sheets, read completely, through one reader pool (a worker per CPU), in order:
    `pool` (the caller's, from `reader_pool`, closed by the caller) or one of its own."""
    if pool is None:
        with reader_pool() as own:
            yield from read_many(files, defn, lookups, pool=own)
        return
    resolver, kinds, fields = lookups
    for _name, result in pool.read_many(files, defn, resolve_org=resolver, org_kind_of=kinds, complete=True,
                                        ministry_values=fields, ahead=READ_AHEAD):
        yield result
