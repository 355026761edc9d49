"""Answer sheets in a real browser: the 相模原市 officer downloads the sheet, fills it and uploads
it; an administrator uploads a zip of returned sheets and reads the report.

Every page visited is checked with axe (no serious or critical violation).
"""
import io
import zipfile

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.cast import log_in as cast_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWERS = {"1-1": "2", "2": "1", "3": "2", "6": ["1", "2"], "7-1": "1", "7-2": "2", "9": "1", "10": "1"}
RESPONDENT = {
    "担当部署名": "福祉局 生活福祉課", "回答責任者役職": "生活福祉課長", "回答責任者氏名": "相模 太郎",
    "連絡先氏名": "相模原 市郎", "電話番号": "042-754-1111", "メールアドレス": "fukushi@city.sagamihara.example.jp",
}
CIRCLED = "①②③④⑤⑥⑦⑧⑨"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


def log_in(page, user, assert_accessible):
    cast_log_in(page, user)
    assert_accessible(page)


def fill_like_an_officer(data: bytes, answers: dict, respondent: dict) -> bytes:
    """Fill the downloaded sheet in openpyxl as a person does in Excel: option numbers, ○ marks."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["回答シート"]
    current = None
    for row in sheet.iter_rows(min_col=1, max_col=3):
        number, question, answer = (str(c.value or "").strip() for c in row)
        if question in respondent:
            row[2].value = respondent[question]
        elif number in answers:
            current = number
            if isinstance(answers[number], str):
                row[2].value = answers[number]
        elif number == "" and current and isinstance(answers.get(current), list) and question[:1] in CIRCLED:
            if str(CIRCLED.index(question[0]) + 1) in answers[current]:
                row[2].value = "○"
        elif number:
            current = None
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_officer_downloads_fills_and_uploads_the_sheet(page, cast, round_, assert_accessible, tmp_path):
    officer = cast["sagamihara"]
    log_in(page, officer, assert_accessible)
    page.goto(f"/rounds/{round_.pk}/orgs/141500/upload/")
    expect(page.get_by_role("heading", name="回答シートのアップロード", level=1)).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_test_id("download-blank").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    filled = tmp_path / "相模原市_記入済.xlsx"
    filled.write_bytes(fill_like_an_officer(open(download.value.path(), "rb").read(), ANSWERS, RESPONDENT))

    page.get_by_label("回答シートのファイル").set_input_files(str(filled))
    page.get_by_role("button", name="アップロードして内容を確認する").click()
    expect(page.get_by_text("下書き（版1）として保存しました")).to_be_visible()
    assert "/confirm/" in page.url
    assert_accessible(page)

    page.goto(f"/rounds/{round_.pk}/orgs/141500/upload/")
    page.get_by_label("回答シートのファイル").set_input_files(str(filled))
    page.get_by_role("button", name="アップロードして内容を確認する").click()
    expect(page.get_by_text("既に版1として取り込まれています")).to_be_visible()


def test_officer_sees_errors_by_cell(page, cast, round_, assert_accessible, tmp_path):
    log_in(page, cast["sagamihara"], assert_accessible)
    page.goto(f"/rounds/{round_.pk}/orgs/141500/upload/")
    with page.expect_download() as download:
        page.get_by_test_id("download-blank").click()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(fill_like_an_officer(open(download.value.path(), "rb").read(), {**ANSWERS, "3": "たぶん"}, RESPONDENT))
    page.get_by_label("回答シートのファイル").set_input_files(str(bad))
    page.get_by_role("button", name="アップロードして内容を確認する").click()
    errors = page.get_by_test_id("upload-errors")
    expect(errors).to_contain_text("取り込めませんでした")
    expect(errors).to_contain_text("たぶん")
    expect(errors).to_contain_text("Q3")
    assert_accessible(page)


def test_administrator_uploads_a_zip_and_reads_the_report(page, cast, round_, orgs, assert_accessible, tmp_path):
    from survey.models import RoundTarget
    from survey.services.sheets import sheet_context
    from survey.workbook import write_answer_sheet

    def sheet(code, answers):
        target = RoundTarget.objects.select_related("round__survey", "organization").get(round=round_, organization__code=code)
        org = target.organization
        respondent = {**RESPONDENT, "組織区分": org.section_label, "組織名": org.display_name}
        return write_answer_sheet(round_.survey.engine, context=sheet_context(target), answers=answers, respondent=respondent)

    path = tmp_path / "返送分.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("横浜市.xlsx", sheet("141003", ANSWERS))
        zf.writestr("鎌倉市.xlsx", sheet("142042", ANSWERS))
        zf.writestr("千代田区.xlsx", sheet("131016", {"1-1": "2"}))  # incomplete: rejected
    log_in(page, cast["admin"], assert_accessible)
    page.goto("/manage/imports/")
    expect(page.get_by_role("heading", name="回答シートの一括取込", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("回答シートまたは zip ファイル").set_input_files(str(path))
    page.get_by_role("button", name="取込を開始する").click()

    expect(page.get_by_test_id("job-status")).to_have_text("完了", timeout=60_000)
    expect(page.get_by_test_id("import-summary")).to_contain_text("取込 2 件、取込不可 1 件、重複 0 件")
    report = page.get_by_test_id("import-report")
    expect(report.locator("tr[data-status='rejected']")).to_contain_text("千代田区.xlsx")
    expect(report.locator("tr[data-status='imported']")).to_have_count(2)
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_test_id("job-download").click()
    assert download.value.suggested_filename.endswith(".xlsx")
