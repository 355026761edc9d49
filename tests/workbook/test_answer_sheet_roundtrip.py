"""Round trip: any valid answer set, written or typed into the sheet, reads back the same,
also after LibreOffice re-saves the filled sheet (xlsx, ods, xls)."""
from __future__ import annotations

import random
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.synthetic import random_answers, random_respondent
from survey.workbook import write_answer_sheet
from tests.infra.requirements import require, soffice_path
from tests.workbook.answer_sheet_helpers import DEFN, KANAGAWA, SAGAMIHARA, Sheet, filled_sheet, read, sample

CONTEXTS = {"municipality": SAGAMIHARA, "prefecture": KANAGAWA}


def _case(seed: int, org_kind: str):
    rng = random.Random(seed)
    ctx = CONTEXTS[org_kind]
    answers = random_answers(DEFN, org_kind, rng)
    respondent = random_respondent(ctx.org_display_name, ctx.org_section, rng, domain="example.lg.jp")
    return ctx, answers, respondent


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**9), org_kind=st.sampled_from(sorted(CONTEXTS)))
def test_prefilled_sheet_reads_back_the_same(seed, org_kind):
    ctx, answers, respondent = _case(seed, org_kind)
    result = read(write_answer_sheet(DEFN, context=ctx, answers=answers, respondent=respondent))
    assert result.ok, [e.as_dict() for e in result.errors]
    assert result.answers == answers
    assert result.org_code == ctx.org_code and result.round_id == ctx.round_id
    assert result.org_kind == org_kind
    assert not result.warnings


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**9), org_kind=st.sampled_from(sorted(CONTEXTS)), typing=st.integers(0, 10**6))
def test_sheet_filled_by_hand_reads_back_the_same(seed, org_kind, typing):
    """Typed as people do: the drop-down text, ２, ②, 2, ② with a note, 〇 or レ for marks,
    令和6年3月 for a month."""
    ctx, answers, respondent = _case(seed, org_kind)
    result = read(filled_sheet(answers, respondent, ctx, seed=typing))
    assert result.ok, [e.as_dict() for e in result.errors]
    assert result.answers == answers
    assert result.respondent["組織名"] == ctx.org_display_name
    assert {w.code for w in result.warnings} <= {"normalised"}


def test_respondent_fields_read_back():
    answers, respondent = sample(SAGAMIHARA, seed=11)
    result = read(filled_sheet(answers, respondent))
    assert result.ok
    for label, value in respondent.items():
        assert result.respondent[label] == value
    assert result.respondent["制度等"] == DEFN.scheme


# -- LibreOffice -------------------------------------------------------------------------------

def _soffice() -> str | None:
    require("libreoffice")
    return soffice_path()


def _convert(soffice: str, paths, fmt: str, out_dir) -> None:
    profile = out_dir / "lo-profile"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
         "--outdir", str(out_dir), *map(str, paths)],
        check=True, capture_output=True, timeout=180)


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "xls"])
def test_sheet_resaved_by_libreoffice_reads_the_same(tmp_path, fmt):
    soffice = _soffice()
    cases = [_case(seed, kind) for seed, kind in ((1, "municipality"), (2, "prefecture"), (3, "municipality"))]
    src_dir, out_dir = tmp_path / "src", tmp_path / "out"
    src_dir.mkdir()
    out_dir.mkdir()
    paths = []
    for n, (ctx, answers, respondent) in enumerate(cases):
        path = src_dir / f"sheet{n}.xlsx"
        path.write_bytes(filled_sheet(answers, respondent, ctx, seed=n))
        paths.append(path)
    wrong = Sheet(paths[0].read_bytes())
    wrong.answer_cell("9").value = "⑨"
    wrong.ws.insert_rows(3, 2)  # and rows inserted, so that addresses matter
    (src_dir / "wrong.xlsx").write_bytes(wrong.save())
    _convert(soffice, paths + [src_dir / "wrong.xlsx"], fmt, out_dir)
    for n, (ctx, answers, _) in enumerate(cases):
        converted = out_dir / f"sheet{n}.{fmt}"
        result = read(converted.read_bytes(), converted.name)
        assert result.ok, [e.as_dict() for e in result.errors]
        assert result.answers == answers
        assert result.org_code == ctx.org_code and result.round_id == ctx.round_id
    error = read((out_dir / f"wrong.{fmt}").read_bytes(), f"wrong.{fmt}").errors[0]
    assert (error.code, error.cell, error.item) == ("invalid_option", wrong.answer_cell("9").coordinate, "9")
