"""No text typed by a respondent ever becomes a formula in the aggregate workbook or the CSV.

The written .xlsx is unzipped and every <f> element of every worksheet is inspected: none may
hold anything a user typed. The payloads start with = ＝ + - @, a tab and a carriage return.
"""
import csv
import io
import re
import zipfile

import openpyxl
import pytest

from aggregation.aggregate_workbook import build_workbook
from aggregation.csvexport import build_csv, guard
from aggregation.source import FigureSource
from survey.services.responses import response_save
from tests.aggregation.conftest import KNOWN, build_round, respondent
from tests.cast import orgs, survey_version  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

PAYLOADS = [
    '=HYPERLINK("http://evil.example/","x")',
    "＝1+1",
    "+1+2",
    "-3+4",
    "@SUM(5,6)",
    "\t=7+8",
    "\r=9+10",
]
# xlsxwriter would copy a string shaped like rich text into the XML unescaped (see aggregation.xlsxfast).
RICH_TEXT = '<r><t>a</t></r></is></c><c r="A1"><f>HYPERLINK("http://evil.example/")</f></c><c><is><r>'

FOLLOWUP_ORG, RESPONDENT_ORG = "141500", "140007"


@pytest.fixture
def hostile_round(survey_version):  # noqa: F811
    """KNOWN's round, then one follow-up and every free-text respondent field set to payloads."""
    rnd = build_round(survey_version, title="数式注入テスト")
    targets = {t.organization.code: t for t in rnd.targets.select_related("round__survey", "organization")}
    answers = {**KNOWN[FOLLOWUP_ORG][1], "8-1:概要": PAYLOADS[0], "10:概要": "\n".join(PAYLOADS[1:])}
    response_save(target=targets[FOLLOWUP_ORG], answers=answers, acting_user=None, submit=True,
                  respondent=respondent(targets[FOLLOWUP_ORG].organization))
    target = targets[RESPONDENT_ORG]
    hostile = {**respondent(target.organization), "回答責任者氏名": PAYLOADS[1],
               "連絡先氏名": PAYLOADS[4], "回答責任者役職": PAYLOADS[3] + "課長", "担当部署名": RICH_TEXT}
    response_save(target=target, answers=KNOWN[RESPONDENT_ORG][1], respondent=hostile, acting_user=None,
                  submit=True)
    return rnd


def formulas(path) -> list[str]:
    """The text of every <f> element in every worksheet of the file."""
    found = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                found += re.findall(rb"<f[^>]*>(.*?)</f>", zf.read(name), flags=re.S)
    return [f.decode() for f in found]


def test_no_formula_comes_from_a_user(tmp_path, hostile_round):
    path = tmp_path / "book.xlsx"
    build_workbook(FigureSource(hostile_round), path)
    for formula in formulas(path):
        assert not any(token in formula for token in ("HYPERLINK", "SUM", "1+1", "+2", "+4", "+8", "+10")), formula
    # …and the payloads are there, as text.
    book = openpyxl.load_workbook(path)
    # xlsxwriter stores a carriage return as _x000D_ (Excel reads it back as CR; openpyxl does not).
    cells = {c.value.replace("_x000D_", "\r") for row in book["回答一覧"].iter_rows() for c in row
             if isinstance(c.value, str)}
    assert PAYLOADS[0] in cells and PAYLOADS[1] in cells and PAYLOADS[4] in cells and RICH_TEXT in cells
    assert "\n".join(PAYLOADS[1:]) in cells
    types = {c.value: c.data_type for row in book["回答一覧"].iter_rows() for c in row if c.value in PAYLOADS}
    assert set(types.values()) == {"s"}


def test_payload_cells_are_inline_strings_in_the_xml(tmp_path, hostile_round):
    path = tmp_path / "book.xlsx"
    build_workbook(FigureSource(hostile_round), path)
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<c r="[A-Z]+5" t="inlineStr"><is><t>＝1\+1</t></is></c>', sheet)
    assert '<t>=HYPERLINK("http://evil.example/","x")</t>' in sheet
    assert "<t>&lt;r&gt;&lt;t&gt;a&lt;/t&gt;&lt;/r&gt;&lt;/is&gt;" in sheet
    assert "<f>" not in sheet


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"])
def test_csv_guard_prefixes_an_apostrophe(start):
    assert guard(start + "1+1") == "'" + start + "1+1"
    assert guard("1" + start) == "1" + start and guard(-5) == "-5"


def test_csv_has_a_bom_opens_and_guards_formulas(tmp_path, hostile_round):
    path = tmp_path / "table.csv"
    build_csv(FigureSource(hostile_round), path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, body = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert header[:4] == ["団体コード", "都道府県", "団体区分", "団体名"]
    assert sorted(body) == sorted(KNOWN)
    hostile = body[RESPONDENT_ORG]
    assert hostile["担当部署名"] == RICH_TEXT
    assert hostile["回答責任者氏名"] == "'＝1+1"
    assert hostile["連絡先氏名"] == "'@SUM(5,6)"
    assert hostile["回答責任者役職"] == "'-3+4課長"
    assert body[FOLLOWUP_ORG]["Q10 概要"] == "'" + "\n".join(PAYLOADS[1:])
    for row in body.values():  # no cell may start with a formula character unguarded
        assert not any(v[:1] in "=+-@\t\r＝＋－＠" for v in row.values() if v), row
    assert body["141003"]["状態"] == "提出済" and body["131016"]["状態"] == "未着手"
