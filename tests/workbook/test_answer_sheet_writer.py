"""The written answer sheet: layout, drop-downs, protection, printing, identity, formulas."""
from __future__ import annotations

import io
import random
import re
import zipfile

import openpyxl
import python_calamine
from hypothesis import given, settings
from hypothesis import strategies as st

from survey import engine
from survey.synthetic import random_answers
from survey.workbook import formulas as fx
from survey.workbook import write_answer_sheet, write_answer_sheet_to
from survey.workbook.model import (
    ANSWER_HEADER,
    IDENTITY_NAME,
    INFO_MISSING_TEXT,
    NO_HEADER,
    OPTIONS_SHEET_NAME,
    QUESTION_HEADER,
    SHEET_NAME,
    UNANSWERED_TEXT,
    parse_identity,
)
from tests.workbook.answer_sheet_helpers import DEFN, KANAGAWA, SAGAMIHARA, Sheet, sample


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _values(data: bytes) -> list[list]:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_name(SHEET_NAME).to_python(skip_empty_area=False)


def test_sheet_has_the_visible_answer_sheet_and_a_hidden_option_sheet():
    book = _book(write_answer_sheet(DEFN, context=SAGAMIHARA))
    assert book.sheetnames == [SHEET_NAME, OPTIONS_SHEET_NAME]
    assert book[SHEET_NAME].sheet_state == "visible"
    assert book[OPTIONS_SHEET_NAME].sheet_state == "hidden"
    option_texts = {c.value for col in book[OPTIONS_SHEET_NAME].iter_cols() for c in col}
    for item in DEFN.items:
        if item.kind == "one":
            assert {o.display for o in item.options} <= option_texts
    assert "○" in option_texts


def test_items_are_listed_in_survey_order_with_their_number_as_text():
    sheet = Sheet(write_answer_sheet(DEFN, context=SAGAMIHARA))
    header_row, no_col, answer_col = sheet.header()
    ws = sheet.ws
    assert ws.cell(header_row, no_col + 1).value == QUESTION_HEADER
    numbers = [ws.cell(r, no_col) for r in range(header_row + 1, ws.max_row + 1) if ws.cell(r, no_col).value]
    assert [c.value for c in numbers] == [i.id for i in DEFN.items]
    assert all(c.data_type == "s" for c in numbers)


def test_follow_up_and_mark_rows_sit_under_their_item():
    sheet = Sheet(write_answer_sheet(DEFN, context=SAGAMIHARA))
    q_col = sheet.header()[1] + 1
    for item in DEFN.items:
        row = sheet.item_row(item.id)
        offset = 1
        if item.kind == "marks":
            for option in item.options:
                assert sheet.ws.cell(row + offset, q_col).value.startswith(option.mark)
                offset += 1
        for f in item.followups:
            assert sheet.ws.cell(row + offset, q_col).value == f.prompt
            offset += 1


def test_respondent_block_in_spec_order_with_guidance():
    rows = _values(write_answer_sheet(DEFN, context=SAGAMIHARA))
    labels = [f.label for f in DEFN.respondent_fields]
    found = [(r, row.index(v)) for r, row in enumerate(rows) for v in row if v in labels]
    assert [rows[r][c] for r, c in found] == labels
    for (r, c), f in zip(found, DEFN.respondent_fields, strict=True):
        assert rows[r][c + 2] == f.guidance


def test_organisation_and_ministry_fields_are_prefilled():
    sheet = Sheet(write_answer_sheet(DEFN, context=SAGAMIHARA))
    assert sheet.field_cell("組織名").value == "14神奈川県相模原市"
    assert sheet.field_cell("組織区分").value == "市区町村"
    assert sheet.field_cell("制度等").value == DEFN.scheme
    assert sheet.field_cell("担当部署名").value in (None, "")


def test_one_choice_cells_have_list_drop_downs_and_marks_a_circle_list():
    data = write_answer_sheet(DEFN, context=SAGAMIHARA)
    sheet = Sheet(data)
    validations = {str(dv.sqref): dv for dv in sheet.ws.data_validations.dataValidation}
    for item in DEFN.items:
        if item.kind == "one":
            dv = validations[sheet.answer_cell(item.id).coordinate]
            assert dv.type == "list" and OPTIONS_SHEET_NAME in dv.formula1
        else:
            for n in range(1, len(item.options) + 1):
                dv = validations[sheet.answer_cell(item.id, n).coordinate]
                assert dv.type == "list"
    org_kind_cell = sheet.field_cell("組織区分").coordinate
    assert validations[org_kind_cell].type == "list"


def test_list_sources_point_at_the_option_texts():
    book = _book(write_answer_sheet(DEFN, context=SAGAMIHARA))
    sheet = Sheet(write_answer_sheet(DEFN, context=SAGAMIHARA))
    opts = book[OPTIONS_SHEET_NAME]
    dv = {str(d.sqref): d for d in sheet.ws.data_validations.dataValidation}[sheet.answer_cell("2").coordinate]
    m = re.search(r"\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", dv.formula1)
    cells = opts[f"{m.group(1)}{m.group(2)}:{m.group(3)}{m.group(4)}"]
    assert [row[0].value for row in cells] == [o.display for o in DEFN.item("2").options]


def test_inputs_are_unlocked_and_shaded_everything_else_locked_and_protected():
    sheet = Sheet(write_answer_sheet(DEFN, context=SAGAMIHARA))
    ws = sheet.ws
    assert ws.protection.sheet is True
    assert not ws.protection.password
    inputs = {sheet.answer_cell(i.id).coordinate for i in DEFN.items if i.kind == "one"}
    inputs |= {sheet.field_cell(f.label).coordinate for f in DEFN.respondent_fields if f.filled_by == "respondent"}
    for coord in inputs:
        cell = ws[coord]
        assert cell.protection.locked is False, coord
        assert cell.fill.fgColor.rgb not in (None, "00000000"), coord
    for coord in ("A1", sheet.answer_cell("2").offset(0, -1).coordinate, sheet.field_cell("制度等").coordinate):
        assert ws[coord].protection.locked is True


def test_print_setup_a4_portrait_one_page_wide_with_repeated_header():
    book = _book(write_answer_sheet(DEFN, context=SAGAMIHARA))
    ws = book[SHEET_NAME]
    header_row = Sheet(write_answer_sheet(DEFN, context=SAGAMIHARA)).header()[0]
    assert ws.page_setup.paperSize == 9
    assert ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the default, left out by xlsxwriter
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == f"${header_row}:${header_row}"
    assert ws.print_area
    assert ws.column_dimensions["B"].width > 40


def test_identity_cell_is_hidden_locked_and_named():
    data = write_answer_sheet(DEFN, context=SAGAMIHARA)
    book = _book(data)
    ws = book[SHEET_NAME]
    name = book.defined_names[IDENTITY_NAME]
    sheet_name, ref = next(name.destinations)
    cell = book[sheet_name][ref.replace("$", "")]
    ident = parse_identity(cell.value)
    assert (ident.round_id, ident.org_code, ident.template_version) == (7, "141500", "2023.1/1")
    assert ws.column_dimensions[cell.column_letter].hidden
    assert cell.protection.locked


def test_current_answers_are_prefilled():
    answers, respondent = sample(SAGAMIHARA, seed=3)
    sheet = Sheet(write_answer_sheet(DEFN, context=SAGAMIHARA, answers=answers, respondent=respondent))
    for key, value in answers.items():
        if ":" in key:
            continue
        item = DEFN.item(key)
        if item.kind == "one":
            assert sheet.answer_cell(key).value == item.option(value).display
        else:
            marked = [o.code for n, o in enumerate(item.options, 1) if sheet.answer_cell(key, n).value == "○"]
            assert marked == value
    assert sheet.field_cell("担当部署名").value == respondent["担当部署名"]


def _indicators(data: bytes) -> tuple[str, str]:
    rows = _values(data)
    flat = [v for row in rows for v in row]
    return (INFO_MISSING_TEXT if INFO_MISSING_TEXT in flat else "",
            UNANSWERED_TEXT if UNANSWERED_TEXT in flat else "")


def test_blank_sheet_shows_both_indicators_as_cached_values():
    assert _indicators(write_answer_sheet(DEFN, context=SAGAMIHARA)) == (INFO_MISSING_TEXT, UNANSWERED_TEXT)


def test_complete_sheet_shows_no_indicator():
    answers, respondent = sample(SAGAMIHARA, seed=5)
    data = write_answer_sheet(DEFN, context=SAGAMIHARA, answers=answers, respondent=respondent)
    assert _indicators(data) == ("", "")


def test_indicator_formulas_exist_and_follow_the_branching():
    data = write_answer_sheet(DEFN, context=SAGAMIHARA)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    formulas = re.findall(r"<f>(.*?)</f>", xml)
    assert any(INFO_MISSING_TEXT in f for f in formulas)
    assert any(UNANSWERED_TEXT in f for f in formulas)
    # the helper flag of an item behind a go-to refers to the item that jumps
    assert any("LEFT(TRIM(" in f for f in formulas)


USER_TEXTS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "＝1+1", "+1", "-1", "@SUM(A1)", "\t=1+2",
              "\r=3+4", "=cmd|' /C calc'!A0"]
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _cells(data: bytes) -> list[tuple[str | None, str | None]]:
    """(formula, text value) of every cell of the answer sheet, from the XML itself."""
    from defusedxml import ElementTree

    archive = zipfile.ZipFile(io.BytesIO(data))
    shared = [
        "".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t"))
        for si in ElementTree.fromstring(archive.read("xl/sharedStrings.xml")).findall("m:si", NS)
    ]
    out = []
    for c in ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml")).iter(f"{{{NS['m']}}}c"):
        f, v = c.find("m:f", NS), c.find("m:v", NS)
        text = shared[int(v.text)] if c.get("t") == "s" and v is not None else (v.text if v is not None else None)
        out.append((f.text if f is not None else None, text))
    return out


def test_user_text_is_never_written_as_a_formula():
    answers = {"2": "3", "2:予定年月": USER_TEXTS[0], "10": "2", "10:概要": USER_TEXTS[4]}
    respondent = {f.label: USER_TEXTS[n % len(USER_TEXTS)]
                  for n, f in enumerate(DEFN.respondent_fields) if f.filled_by == "respondent"}
    data = write_answer_sheet(DEFN, context=SAGAMIHARA, answers=answers, respondent=respondent)
    cells = _cells(data)
    formulas = [f for f, _ in cells if f]
    assert formulas  # the indicators and helper flags
    for text in set(USER_TEXTS) | {"HYPERLINK", "SUM(A1)", "cmd|", "1+2", "3+4"}:
        assert not any(text.strip("\t\r=") in f for f in formulas), text
    texts = {(v or "").replace("_x000D_", "\r") for f, v in cells if f is None}  # OOXML escape of CR
    written = set(respondent.values()) | {answers["2:予定年月"], answers["10:概要"]}
    assert written <= texts


def test_organisation_names_from_context_are_text_too():
    from dataclasses import replace

    data = write_answer_sheet(DEFN, context=replace(SAGAMIHARA, org_display_name="=1+1", round_title="=2+2"))
    formulas = re.findall(r"<f>(.*?)</f>", zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode())
    assert not any("1+1" in f or "2+2" in f for f in formulas)


def test_writes_into_a_file_object_for_zips(tmp_path):
    path = tmp_path / "all.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for ctx in (SAGAMIHARA, KANAGAWA):
            with archive.open(f"{ctx.org_code}.xlsx", "w") as member:
                write_answer_sheet_to(member, DEFN, context=ctx)
    with zipfile.ZipFile(path) as archive:
        assert len(archive.namelist()) == 2
        assert _book(archive.read("140007.xlsx"))[SHEET_NAME]["A1"].value == DEFN.sheet_title


def test_prefecture_sheet_marks_only_prefecture_items_applicable():
    sheet = Sheet(write_answer_sheet(DEFN, context=KANAGAWA))
    assert sheet.field_cell("組織区分").value == "都道府県"


# -- the formulas against the engine --------------------------------------------------------


def _cells_and_values(answers: dict, respondent: dict, org_kind: str):
    """Render answers into the text a sheet cell would hold, keyed like the writer's Cells."""
    cells = fx.Cells({}, {}, {}, {})
    values: dict[str, str] = {}
    for n, item in enumerate(DEFN.items):
        cells.helper[item.id] = f"H{n}"
        if item.kind == "marks":
            for option in item.options:
                ref = f"M{item.id}_{option.code}"
                cells.marks[(item.id, option.code)] = ref
                values[ref] = "○" if option.code in (answers.get(item.id) or []) else ""
        else:
            cells.answer[item.id] = f"A{item.id}"
            code = answers.get(item.id)
            values[f"A{item.id}"] = item.option(code).display if code else ""
        for f in item.followups:
            cells.answer[f.key] = f"F{f.key}"
            values[f"F{f.key}"] = answers.get(f.key, "")
    for f in DEFN.respondent_fields:
        cells.respondent[f.label] = f"R{f.label}"
        values[f"R{f.label}"] = respondent.get(f.label, "")
    return cells, fx.helper_values(DEFN, org_kind, cells, values)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**6), org_kind=st.sampled_from(["municipality", "prefecture"]),
       drop=st.lists(st.integers(0, 30), max_size=4))
def test_formula_indicators_agree_with_the_engine(seed, org_kind, drop):
    rng = random.Random(seed)
    answers = random_answers(DEFN, org_kind, rng, complete=rng.random() < 0.5)
    keys = list(answers)
    for n in drop:  # leave some answers out, as a respondent midway would
        if keys:
            answers.pop(keys[n % len(keys)], None)
    respondent = {"組織名": "14神奈川県相模原市"} if rng.random() < 0.5 else {}
    cells, values = _cells_and_values(answers, respondent, org_kind)
    expected = engine.indicators(DEFN, org_kind, answers, respondent)
    assert fx.unanswered(DEFN, cells).eval(values) == expected["unanswered"]
    assert fx.info_missing(DEFN, cells).eval(values) == expected["info_missing"]


def test_rendered_formulas_are_excel_sized():
    cells, _ = _cells_and_values({}, {}, "municipality")
    for item in DEFN.items:
        assert len(fx.applicability(DEFN, "municipality", item, cells).render()) < 8000
    assert len(fx.unanswered(DEFN, cells).render()) < 8000


def test_header_labels_are_the_spec_labels():
    rows = _values(write_answer_sheet(DEFN, context=SAGAMIHARA))
    assert any(row[:3] == [NO_HEADER, QUESTION_HEADER, ANSWER_HEADER] for row in rows)


def test_a_month_is_written_as_people_write_it_and_reads_back():
    from tests.workbook.answer_sheet_helpers import read

    answers = {"1-1": "2", "2": "3", "2:予定年月": "2025-03"}
    data = write_answer_sheet(DEFN, context=SAGAMIHARA, answers=answers, respondent={})
    cells = [v for row in _values(data) for v in row]
    assert "2025年3月" in cells and "2025-03" not in cells
    assert read(data).answers["2:予定年月"] == "2025-03"
