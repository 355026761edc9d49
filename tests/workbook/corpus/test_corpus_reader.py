"""Every corpus sheet through the reader itself (pure: the bundled master, no database)."""
import pytest

from survey import engine
from survey.orgmaster import OrgNameIndex, load_master
from survey.workbook import read_answer_sheet

from .cases import CASES
from .expect import mismatches
from .ministry import SCHEME

DEFN = engine.load_definition(engine.DEFINITIONS_DIR / "linkage-2023.1.toml")
MASTER = load_master()
INDEX = OrgNameIndex(MASTER)
KINDS = {r.code: r.engine_kind for r in MASTER}


def _round_values(round_id, org_code):
    return {"制度等": SCHEME, "属性": ""}


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 40
    assert {c.convert for c in CASES} >= {"xlsx", "ods", "xls"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_sheet_reads_right(case, corpus):
    path, built = corpus[case.id]
    result = read_answer_sheet(path.read_bytes(), path.name, DEFN, resolve_org=INDEX.match, org_kind_of=KINDS.get,
                               ministry_values=_round_values)
    assert result.ok is not case.errors
    assert not mismatches(case, built, organization=result.org_code, answers=result.answers,
                          respondent=result.respondent, errors=[e.as_dict() for e in result.errors],
                          warnings=[w.as_dict() for w in result.warnings])


@pytest.mark.parametrize("case", [c for c in CASES if c.errors], ids=[c.id for c in CASES if c.errors])
def test_every_error_names_its_cell_item_or_field(case, corpus):
    path, _ = corpus[case.id]
    result = read_answer_sheet(path.read_bytes(), path.name, DEFN, resolve_org=INDEX.match, org_kind_of=KINDS.get,
                               ministry_values=_round_values)
    for error in result.errors:
        assert error.cell and (error.item or error.field), error
        subject = error.field or DEFN.item(error.item.split(":")[0]).label
        assert subject in error.message
