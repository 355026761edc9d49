"""Text that looks like xlsxwriter's raw rich-text XML stays plain text in every written workbook."""
import io
import random
import zipfile

import openpyxl
import xlsxwriter

from survey.synthetic import random_answers
from survey.workbook.textcell import write_text
from tests.workbook.answer_sheet_helpers import DEFN, SAGAMIHARA, read

INJECTION = "<r><t>ok</t></r></si><si><t>planted</t></r>"


def test_write_text_keeps_rich_text_lookalikes_as_text():
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = book.add_worksheet("s")
    write_text(ws, 0, 0, INJECTION)
    write_text(ws, 1, 0, "=1+1")
    book.close()
    xml = zipfile.ZipFile(io.BytesIO(buf.getvalue())).read("xl/sharedStrings.xml").decode()
    assert "<t>planted</t>" not in xml and "&lt;/si&gt;" in xml
    sheet = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
    assert sheet["A1"].value == INJECTION and sheet["A2"].value == "=1+1"
    assert sheet["A2"].data_type == "s"


def test_answer_sheet_writes_a_respondent_value_that_looks_like_xml_as_text():
    answers = random_answers(DEFN, SAGAMIHARA.org_kind, random.Random(1))
    from survey.workbook import write_answer_sheet

    data = write_answer_sheet(DEFN, SAGAMIHARA, answers=answers, respondent={"担当部署名": INJECTION})
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        shared = z.read("xl/sharedStrings.xml").decode()
    assert "<t>planted</t>" not in shared
    book = openpyxl.load_workbook(io.BytesIO(data))
    values = {c.value for row in book["回答シート"].iter_rows() for c in row}
    assert INJECTION in values
    assert read(data).respondent["担当部署名"] == INJECTION
