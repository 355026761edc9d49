"""Stage 2 of reading a returned sheet: raw cells -> canonical values and a report by cell.

Normalisation and validation are the engine's, as for the web form. With `complete=True` (an
administrator's import: the sheet becomes a submitted version) every required answer must be
there; with `complete=False` (an officer's upload: the sheet becomes a draft) a missing answer is
not an error but is listed in `SheetResult.missing`. Either way an answer to an item the
branching skips, a malformed value and an identity problem are errors. Identity: the hidden
cell must agree with 組織名 (resolved by the caller's `resolve_org`); without it, 組織名 alone
identifies the organisation.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from survey import engine
from survey.engine import Definition, Issue
from survey.engine.text import clean_text
from survey.orgmaster.names import NameMatch

from . import messages as msg
from .extract import Extraction, RawCell, extract_sheet
from .model import CellIssue, SheetResult, parse_identity
from .safety import DEFAULT_LIMITS, Limits, UploadRejected

ResolveOrg = Callable[[str], "NameMatch | str | None"]
MinistryValues = Callable[["int | None", "str | None"], dict]  # (round id, org code) -> values by label
_BRACKETED = re.compile(r"[（(]([^）)]*)[）)]")
_REQUIRED_CODES = frozenset({"required", "marks_required", "followup_required", "respondent_required"})
OrgKindOf = Callable[[str], "str | None"]


def read_answer_sheet(data: bytes, filename: str, defn: Definition, *, resolve_org: ResolveOrg,
                      org_kind_of: OrgKindOf | None = None, limits: Limits = DEFAULT_LIMITS,
                      complete: bool = True, ministry_values: MinistryValues | None = None) -> SheetResult:
    """Read one returned answer sheet (in this process; see `read_answer_sheet_isolated`).

    `resolve_org(written 組織名)` -> a NameMatch (or an organisation code, None or "ambiguous");
    `org_kind_of(code)` -> "prefecture" | "municipality" (the master's kind; without it the
    sheet's 組織区分 decides the branching). `complete=False` reads a draft: missing required
    answers go to `missing` instead of `errors`. `ministry_values(round id, org code)` -> the
    round's values of the fields the ministry fills (without it: the definition's defaults).
    """
    digest = hashlib.sha256(data).hexdigest()
    try:
        extraction = extract_sheet(data, filename, defn, limits)
    except UploadRejected as exc:
        return rejected_result(digest, exc.code, exc.message)
    return interpret(extraction, defn, digest, resolve_org=resolve_org, org_kind_of=org_kind_of, complete=complete,
                     ministry_values=ministry_values)


def rejected_result(digest: str, code: str, message: str, sheet: str | None = None) -> SheetResult:
    """A result for a file that could not be read at all."""
    issue = CellIssue(sheet, None, None, None, None, code, message)
    return SheetResult(False, None, None, None, {}, {}, [issue], [], digest)


class _Report:
    def __init__(self, sheet: str | None):
        self.sheet = sheet
        self.errors: list[CellIssue] = []
        self.warnings: list[CellIssue] = []

    def add(self, issue: CellIssue, severity: str) -> None:
        (self.warnings if severity == engine.WARNING else self.errors).append(issue)

    def engine_issue(self, issue: Issue, cell: str | None, value=None) -> None:
        shown = issue.value if value is None else value
        self.add(CellIssue(self.sheet, cell, issue.item, issue.field, shown, issue.code, issue.message),
                 issue.severity)

    def new(self, cell, code, message, *, item=None, field=None, value=None, severity="error") -> None:
        self.add(CellIssue(self.sheet, cell, item, field, value, code, message), severity)

    def one_per_cell(self) -> None:
        """One message per cell, the first found (an invalid value, not also 未回答 for it); no
        "required" for an item or field that already has another error; no warning on a cell in error."""
        errors, cells = [], set()
        for e in self.errors:
            if not (e.cell and e.cell in cells):
                cells.add(e.cell)
                errors.append(e)
        flagged = {e.item or e.field for e in errors if e.code not in _REQUIRED_CODES} - {None}
        self.errors = [e for e in errors if not (e.code in _REQUIRED_CODES and (e.item or e.field) in flagged)]
        warnings = []
        for w in self.warnings:
            if not (w.cell and w.cell in cells):
                cells.add(w.cell)
                warnings.append(w)
        self.warnings = warnings


def interpret(ex: Extraction, defn: Definition, digest: str, *, resolve_org: ResolveOrg,
              org_kind_of: OrgKindOf | None = None, complete: bool = True,
              ministry_values: MinistryValues | None = None) -> SheetResult:
    """Canonical values, identity and the report for an extraction (see `read_answer_sheet`)."""
    report = _Report(ex.sheet)
    for severity, issue in ex.issues:
        report.add(issue, "error" if severity == "fatal" else severity)
    respondent = _respondent(ex, defn, report)
    answers, cells = _answers(ex, defn, report)
    _months_in_answers(ex, defn, answers, report)
    round_id, template, org_code = _identity(ex, respondent, report, resolve_org)
    respondent = _ministry_fields(ex, defn, respondent, report, ministry_values, round_id, org_code)
    org_kind = _org_kind(defn, respondent, org_code, org_kind_of, ex, report)
    attached = _followups_without_rows(ex, defn)
    missing: list[CellIssue] = []
    if org_kind is not None:
        _warn_missing_followup_rows(defn, org_kind, answers, attached, cells, report)
        issues = engine.validate(defn, org_kind, answers, respondent, complete=complete, attached=attached)
        for issue in issues:
            report.engine_issue(issue, _cell_of(issue, ex, cells))
        if not complete:
            missing = _missing(defn, org_kind, answers, respondent, attached, issues, ex, cells)
    else:
        for issue in _issues_for_any_kind(defn, answers, respondent, complete, attached):
            report.engine_issue(issue, _cell_of(issue, ex, cells))
    report.one_per_cell()
    return SheetResult(
        ok=not report.errors, round_id=round_id, org_code=org_code, org_display_name=respondent.get("組織名"),
        answers=answers, respondent=respondent, errors=report.errors, warnings=report.warnings,
        sha256=digest, template_version=template, org_kind=org_kind, sheet=ex.sheet,
        followup_rows_missing=list(ex.followup_rows_missing), missing=missing,
    )


def _issues_for_any_kind(defn: Definition, answers: dict, respondent: dict, complete: bool, attached) -> list[Issue]:
    """Without the organisation kind, the problems that hold whichever kind it is: one pass still
    reports every answer missing or contradicted, not only the unknown organisation."""
    found = [engine.validate(defn, k.id, answers, respondent, complete=complete, attached=attached)
             for k in defn.org_kinds]
    common = set.intersection(*({(i.code, i.item, i.field) for i in issues} for issues in found))
    return [i for i in found[0] if (i.code, i.item, i.field) in common]


def _cell_of(issue: Issue, ex: Extraction, cells: dict[str, str]) -> str | None:
    """The cell an issue is about; a follow-up without a row of its own is about its item's cell."""
    if issue.field:
        return ex.respondent_cells.get(issue.field)
    return cells.get(issue.item) or cells.get((issue.item or "").split(":")[0])


def _missing(defn, org_kind: str, answers: dict, respondent: dict, attached, draft_issues: list[Issue],
             ex: Extraction, cells: dict[str, str]) -> list[CellIssue]:
    """What the complete check adds to a draft's: the answers still needed before submission."""
    seen = {(i.code, i.item, i.field) for i in draft_issues}
    full = engine.validate(defn, org_kind, answers, respondent, complete=True, attached=attached)
    return [CellIssue(ex.sheet, _cell_of(i, ex, cells), i.item, i.field, None, i.code, i.message)
            for i in full if i.severity != engine.WARNING and (i.code, i.item, i.field) not in seen]


def _respondent(ex: Extraction, defn: Definition, report: _Report) -> dict[str, str]:
    """The respondent's fields, normalised in one engine call per sheet; each issue goes to the
    cell of the field it names (the labels the extraction found are the definition's own)."""
    ministry, labels = _respondent_labels(defn)
    typed = {label: raw for label, raw in ex.respondent.items() if label not in ministry}
    if not typed.keys() <= labels:  # a label the definition does not spell so: one call per label
        return _respondent_per_label(typed, defn, report)
    values, issues = engine.normalise_respondent(defn, {label: raw.value for label, raw in typed.items()})
    for issue in issues:
        raw = typed[issue.field]
        report.engine_issue(issue, raw.cell, raw.value)
    return values


def _respondent_labels(defn: Definition) -> tuple[frozenset[str], frozenset[str]]:
    """(the labels of the fields the ministry fills, every field's label the engine reads as
    itself: the label its issues name), kept per definition."""
    table = defn.memo.table("reader_respondent_labels")
    if not table:
        table[None] = (frozenset(f.label for f in defn.respondent_fields if f.filled_by == "ministry"),
                       frozenset(f.label for f in defn.respondent_fields if clean_text(f.label) == f.label))
    return table[None]


def _respondent_per_label(typed: dict[str, RawCell], defn: Definition, report: _Report) -> dict[str, str]:
    found: dict[str, str] = {}
    for label, raw in typed.items():
        values, issues = engine.normalise_respondent(defn, {label: raw.value})
        found.update(values)
        for issue in issues:
            report.engine_issue(issue, raw.cell, raw.value)
    return {f.label: found[f.label] for f in defn.respondent_fields if f.label in found}


def _ministry_fields(ex: Extraction, defn: Definition, respondent: dict, report: _Report,
                     ministry_values: MinistryValues | None, round_id, org_code) -> dict:
    """The fields the ministry fills take the round's values (`engine.ministry_values`)."""
    labels = [f.label for f in defn.respondent_fields if f.filled_by == "ministry"]
    written = {label: ex.respondent[label].value for label in labels if label in ex.respondent}
    expected = ministry_values(round_id, org_code) if ministry_values else {}
    values, issues = engine.ministry_values(defn, written, expected or {})
    for issue in issues:
        report.engine_issue(issue, ex.respondent_cells.get(issue.field))
    merged = {**{k: v for k, v in respondent.items() if k not in labels}, **values}
    return {f.label: merged[f.label] for f in defn.respondent_fields if f.label in merged}


def _answers(ex: Extraction, defn: Definition, report: _Report) -> tuple[dict, dict[str, str]]:
    """Canonical answers, and the cell that stands for each answers key in the report."""
    answers: dict = {}
    cells: dict[str, str] = dict(ex.item_cells)
    for key, raw in ex.answers.items():
        cells[key] = raw.cell
        item = defn.item(key) if key in defn.item_ids else None
        if item is not None and item.kind == "marks":
            if ex.marks.get(key):
                report.new(raw.cell, "ignored_cell", msg.MARKS_ITEM_ROW_IGNORED.format(label=item.label),
                           item=key, value=raw.value, severity="warning")
                continue
        _normalise_cell(defn, key, raw, raw.value, answers, report)
    for key, options in ex.marks.items():
        codes: set[str] = set()
        first_marked = None
        for code, raw in options.items():
            found: dict = {}
            _normalise_cell(defn, key, raw, {code: raw.value}, found, report)
            if found.get(key):
                codes.update(found[key])
                first_marked = first_marked or raw.cell
        if options:
            cells[key] = first_marked or next(iter(options.values())).cell
        if codes:
            answers[key] = sorted(codes, key=int)
    order = [i.id for i in defn.items] + list(defn.followups)
    return {k: answers[k] for k in order if k in answers}, cells


def _months_in_answers(ex: Extraction, defn: Definition, answers: dict, report: _Report) -> None:
    """A month follow-up without a row of its own (the ministry's form): the month typed into
    the option's own brackets, "③定める予定である（2025年3月）", is that follow-up's answer."""
    for key in ex.followup_rows_missing:
        f = defn.followups[key]
        raw = ex.answers.get(f.item)
        if f.kind != "month" or key in answers or raw is None or not isinstance(raw.value, str) \
                or answers.get(f.item) not in f.when:
            continue
        for part in _BRACKETED.findall(raw.value) + [raw.value.lstrip(" ①②③④⑤⑥⑦⑧⑨⑩")]:
            if month := engine.parse_month(part):
                answers[key] = month
                shown = defn.item(f.item).option(answers[f.item]).display
                text = msg.MONTH_FROM_ANSWER.format(label=defn.item(f.item).label, followup=f.label,
                                                    value=raw.value, shown=shown, month=part.strip())
                report.warnings = [w for w in report.warnings if w.cell != raw.cell]  # this one says it all
                report.new(raw.cell, "month_from_answer", text, item=key, value=raw.value, severity="warning")
                break


def _normalise_cell(defn, key: str, raw: RawCell, value, into: dict, report: _Report) -> None:
    values, issues = engine.normalise_answers(defn, {key: value})
    into.update(values)
    for issue in issues:
        report.engine_issue(issue, raw.cell, raw.value)


def _as_match(found) -> NameMatch:
    """A resolver's answer as a NameMatch (a plain code, "ambiguous" or None are accepted too)."""
    if isinstance(found, NameMatch):
        return found
    if found == "ambiguous":
        return NameMatch(ambiguous=True)
    return NameMatch(code=found, exact=True) if found else NameMatch()


def _identity(ex: Extraction, respondent: dict, report: _Report, resolve_org: ResolveOrg):
    """(round id, template version, organisation code) from the hidden cell and 組織名.

    組織名 is matched as people write it (`orgmaster.OrgNameIndex`); once it names exactly one
    organisation, the master's spelling replaces the written one, with a warning.
    """
    name = respondent.get("組織名")
    name_cell = ex.respondent_cells.get("組織名")
    match = _as_match(resolve_org(name)) if name else NameMatch()
    if ex.identity is not None:
        ident = parse_identity(str(ex.identity.value))
        if ident is None:
            report.new(ex.identity.cell, "bad_identity", msg.IDENTITY_BAD, value=ex.identity.value)
            return None, None, None
        if name and ident.org_code not in (match.code, *match.candidate_codes):
            report.new(name_cell, "org_mismatch", msg.ORG_MISMATCH.format(name=name, code=ident.org_code),
                       field="組織名", value=name)
        elif name and match.code and not match.exact:
            _take_master_name(respondent, match, report, name_cell, msg.ORG_NAME_NORMALISED)
        return ident.round_id, ident.template_version, ident.org_code
    if not name:
        report.new(name_cell, "org_unknown", msg.ORG_NAME_MISSING, field="組織名")
        return None, None, None
    if match.code is None:
        candidates = "、".join(match.candidates)
        if match.ambiguous:
            listed = f"（{candidates}）" if candidates else ""
            code, text = "org_ambiguous", msg.ORG_AMBIGUOUS.format(name=name, candidates=listed)
        elif candidates:
            code, text = "org_unknown", msg.ORG_UNKNOWN_SUGGEST.format(name=name, candidates=candidates)
        else:
            code, text = "org_unknown", msg.ORG_UNKNOWN.format(name=name)
        report.new(name_cell, code, text, field="組織名", value=name)
        return None, None, None
    if match.exact:
        report.new(name_cell, "identity_missing", msg.IDENTITY_MISSING.format(name=name), field="組織名",
                   value=name, severity="warning")
    else:
        _take_master_name(respondent, match, report, name_cell, msg.IDENTITY_MISSING_NORMALISED)
    return None, None, match.code


def _take_master_name(respondent: dict, match: NameMatch, report: _Report, cell, template: str) -> None:
    name = respondent["組織名"]
    notes = "".join(f"、{n}" for n in match.notes)
    respondent["組織名"] = match.display
    report.new(cell, "org_name_normalised", template.format(name=name, shown=match.display, code=match.code,
                                                              notes=notes),
               field="組織名", value=name, severity="warning")


def _org_kind(defn: Definition, respondent: dict, org_code, org_kind_of, ex: Extraction, report: _Report):
    """The organisation kind for the branching: the master's, checked against 組織区分."""
    section = respondent.get("組織区分")
    by_section = next((k.id for k in defn.org_kinds if k.label == section), None)
    master = org_kind_of(org_code) if (org_kind_of and org_code) else None
    if master and by_section and master != by_section:
        report.new(ex.respondent_cells.get("組織区分"), "org_kind_mismatch",
                   msg.ORG_KIND_MISMATCH.format(value=section, expected=defn.org_kind_label(master)),
                   field="組織区分", value=section)
    kind = master or by_section
    if kind is None and not any(i.field == "組織区分" for i in report.errors):
        report.new(ex.respondent_cells.get("組織区分"), "org_kind_unknown", msg.ORG_KIND_UNKNOWN, field="組織区分")
    return kind


def _followups_without_rows(ex: Extraction, defn: Definition) -> frozenset[str]:
    """Follow-ups that take files and have no row in this sheet (the ministry's own form):
    a file sent with the sheet stands in for them."""
    return frozenset(k for k in ex.followup_rows_missing if defn.followups[k].attachments)


def _warn_missing_followup_rows(defn, org_kind: str, answers: dict, keys, cells, report: _Report) -> None:
    status = engine.followup_status(defn, org_kind, answers)
    for key in keys:
        if status[key] == engine.APPLICABLE:
            f = defn.followups[key]
            text = msg.FOLLOWUP_ROW_MISSING.format(label=defn.item(f.item).label, followup=f.label)
            report.new(cells.get(f.item), "followup_row_missing", text, item=key, severity="warning")
