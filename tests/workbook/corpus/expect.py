"""What a corpus case must give, compared on the plain report shape (a reader's SheetResult or
the JSON of an import), so the reader, the command and the web import are held to one standard."""
from __future__ import annotations

from .cases import Case
from .ministry import Built


def expected_errors(case: Case, built: Built) -> set[tuple[str, str | None]]:
    return {(code, built.cells.get(key, key)) for code, key in case.errors}


def mismatches(case: Case, built: Built, *, organization, answers, respondent, errors, warnings) -> list[str]:
    """Every way the outcome differs from the case's expectation (empty when it reads right).

    `errors` / `warnings`: dicts with "code" and "cell" (CellIssue.as_dict or an import's JSON).
    """
    problems = []
    found = {(e["code"], e["cell"] or None) for e in errors}
    if found != expected_errors(case, built):
        problems.append(f"errors {sorted(found, key=str)} != {sorted(expected_errors(case, built), key=str)}")
    if organization != case.org:
        problems.append(f"organisation {organization} != {case.org}")
    if not case.errors and answers != case.answers:
        problems.append(f"answers {answers} != {case.answers}")
    missing_warnings = case.warnings - {w["code"] for w in warnings}
    if missing_warnings:
        problems.append(f"warnings lack {sorted(missing_warnings)}: {[w['code'] for w in warnings]}")
    for label, value in case.expect_respondent.items():
        if respondent.get(label) != value:
            problems.append(f"{label} {respondent.get(label)!r} != {value!r}")
    return problems
