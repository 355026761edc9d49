"""Dashboards in a real browser: ministry staff and the 神奈川県 officer. axe on every page."""
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.aggregation.conftest import KNOWN, build_round
from tests.cast import log_in

pytestmark = pytest.mark.browser
# 状態 column of 回答一覧, written independently of aggregation.orgtable.
STATE_LABELS = {"submitted": "提出済", "draft": "下書き", "none": "未着手"}


@pytest.fixture
def dash_round(orgs, survey_version):
    return build_round(survey_version)


def test_ministry_opens_the_dashboards_and_clicks_a_prefecture(page, dash_round, ministry, assert_accessible):
    log_in(page, ministry)
    page.goto(f"/aggregation/rounds/{dash_round.pk}/status/")
    expect(page.get_by_role("heading", name="回答状況ダッシュボード")).to_be_visible()
    expect(page.get_by_test_id("scope")).to_have_text("全国")
    expect(page.get_by_test_id("total-targets")).to_have_text("9")
    assert_accessible(page)

    page.get_by_test_id("prefecture-map").locator("a[data-prefecture='14']").click()
    expect(page).to_have_url(re.compile(r"prefecture=14"))
    expect(page.get_by_test_id("scope")).to_have_text("神奈川県")
    expect(page.get_by_test_id("total-targets")).to_have_text("5")
    expect(page.get_by_test_id("non-submitters")).to_contain_text("鎌倉市")
    assert_accessible(page)

    page.get_by_role("link", name="集計結果").click()
    expect(page.get_by_role("heading", name="集計結果（設問別）")).to_be_visible()
    expect(page.get_by_test_id("submitted")).to_have_text("4")  # still filtered to 神奈川県
    assert_accessible(page)

    page.get_by_role("link", name="クロス集計").click()
    page.get_by_label("行の設問").select_option("3")
    page.get_by_label("列の設問").select_option("6")
    page.get_by_role("button", name="絞り込む").click()
    expect(page.get_by_test_id("crosstab")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="自由記述").click()
    expect(page.get_by_test_id("texts")).to_contain_text("照会文書を住所地に送付して確認")
    assert_accessible(page)

    page.get_by_role("link", name="リスク").click()
    page.get_by_label("都道府県").select_option("")
    page.get_by_label("リスク区分").select_option("critical")
    page.get_by_role("button", name="絞り込む").click()
    rows = page.get_by_test_id("risk-rows")
    expect(rows).to_contain_text("藤沢市")
    expect(rows).to_contain_text("東京都")
    assert_accessible(page)
    rows.get_by_role("link", name=re.compile("回答を見る")).first.click()
    expect(page).to_have_url(re.compile(rf"/rounds/{dash_round.pk}/orgs/\d{{6}}/$"))


def test_kanagawa_officer_sees_only_kanagawa(page, dash_round, kanagawa, assert_accessible):
    log_in(page, kanagawa)
    for path in ("status", "results", "texts", "risk"):
        page.goto(f"/aggregation/rounds/{dash_round.pk}/{path}/")
        expect(page.get_by_test_id("scope")).to_have_text("神奈川県")
        content = page.locator("main").inner_text()
        for other in ("東京都", "千代田区", "八王子市", "大阪府"):
            assert other not in content, (path, other)
        assert_accessible(page)
    expect(page.get_by_label("都道府県").locator("option")).to_have_count(1)
    response = page.goto(f"/aggregation/rounds/{dash_round.pk}/status/?prefecture=13")
    assert response.status == 404


def test_ministry_downloads_the_aggregate_workbook(page, dash_round, ministry, assert_accessible, settings,
                                                   tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    log_in(page, ministry)
    page.goto(f"/aggregation/rounds/{dash_round.pk}/risk/")
    page.get_by_role("link", name="集計表のダウンロード").click()
    expect(page.get_by_role("heading", name="集計表の出力", level=1)).to_be_visible()
    expect(page.get_by_test_id("export-scope")).to_have_text("全国")
    assert_accessible(page)

    page.get_by_label("Excel（.xlsx）").check()
    page.get_by_role("button", name="集計表を作成").click()
    expect(page.get_by_role("heading", name="集計表の作成状況", level=1)).to_be_visible()
    expect(page.get_by_test_id("job-status")).to_have_text("完了", timeout=60_000)
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_test_id("export-download").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)

    book = openpyxl.load_workbook(saved, read_only=True)
    rows = list(book["回答一覧"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == sorted(KNOWN)
    states = {r[0]: r[4] for r in rows}
    assert states == {code: STATE_LABELS[state] for code, (state, _, _) in KNOWN.items()}
    submitted = sum(state == "submitted" for state, _, _ in KNOWN.values())
    overall = list(book["集計（全体）"].iter_rows(min_row=2, max_row=2, values_only=True))[0]
    assert overall[:4] == ("対象団体数", len(KNOWN), "提出数", submitted)
    non = [r[0] for r in book["未提出団体"].iter_rows(min_row=2, values_only=True)]
    assert non == sorted(code for code, (state, _, _) in KNOWN.items() if state != "submitted")
