"""Answering journeys in a real browser: the officer answers and submits, the prefecture sees it.

Every page visited is checked with axe (no serious or critical violation).
"""
import re

import pytest
from playwright.sync_api import expect

# The cast's fixtures (until tests/conftest.py loads tests.cast as a plugin for every folder).
from tests.cast import *  # noqa: F403
from tests.cast import PASSWORD

pytestmark = pytest.mark.browser

RESPONDENT = {
    "担当部署名": "福祉局 生活福祉課",
    "回答責任者役職": "生活福祉課長",
    "回答責任者氏名": "相模 太郎",
    "連絡先氏名": "相模原 市郎",
    "電話番号": "042-754-1111",
    "メールアドレス": "fukushi@city.sagamihara.example.jp",
}


def log_in(page, user, assert_accessible):
    page.goto("/accounts/login/")
    assert_accessible(page)
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="ホーム", level=1)).to_be_visible()
    assert_accessible(page)


def item(page, item_id):
    return page.locator(f"[data-item='{item_id}']")


def choose(page, item_id, code):
    """Pick option `code` of an item (a radio, or one checkbox of a marks item)."""
    item(page, item_id).locator(f"input[value='{code}']").check()


def fill_respondent(page):
    for label, value in RESPONDENT.items():
        page.get_by_label(label, exact=False).first.fill(value)


def open_questionnaire(page, assert_accessible):
    page.get_by_role("link", name="回答する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("回答の入力")
    assert_accessible(page)
    expect(page.get_by_test_id("guidance-key")).to_contain_text("より慎重な選択肢")
    expect(page.get_by_label("組織名")).to_have_value("14神奈川県相模原市")
    expect(page.get_by_test_id("indicators")).to_contain_text("情報未入力あり")
    expect(page.get_by_test_id("indicators")).to_contain_text("未回答あり")


def submit_through_confirmation(page, assert_accessible):
    page.get_by_role("button", name="確認へ進む").click()
    expect(page.get_by_role("heading", name="提出内容の確認")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="提出する").click()
    expect(page.get_by_text("回答を提出しました")).to_be_visible()
    expect(page.get_by_test_id("response-state")).to_contain_text("提出済")
    assert_accessible(page)


def test_officer_answers_the_long_path_and_submits(page, round_, sagamihara, assert_accessible):
    log_in(page, sagamihara, assert_accessible)
    open_questionnaire(page, assert_accessible)
    fill_respondent(page)
    expect(page.get_by_test_id("indicators")).to_contain_text("回答者情報：入力済み")

    # Items whose way depends on an unanswered answer wait hidden; the closing item shows.
    for hidden in ("1-2", "4", "5", "6", "7-1", "9"):
        expect(item(page, hidden)).to_be_hidden()
    expect(item(page, "10")).to_be_visible()

    choose(page, "1-1", "1")
    expect(page.get_by_text("Q2以降は上記以外の者（住登外者等）に対する調査としてご回答ください。").last).to_be_visible()
    choose(page, "2", "3")
    page.get_by_label("③を選択の場合、予定年月を記載してください。").fill("令和6年3月")
    choose(page, "3", "1")
    expect(item(page, "4")).to_be_visible()
    expect(item(page, "5")).to_be_visible()
    expect(item(page, "6")).to_be_hidden()
    choose(page, "4", "1")
    choose(page, "5", "2")
    for shown in ("6", "7-1", "7-2", "9"):
        expect(item(page, shown)).to_be_visible()
    expect(item(page, "7-3")).to_be_hidden()
    choose(page, "6", "1")
    choose(page, "6", "2")
    choose(page, "7-1", "2")
    choose(page, "7-2", "1")
    expect(item(page, "7-3")).to_be_visible()
    expect(item(page, "8-1")).to_be_visible()
    choose(page, "7-3", "1")
    expect(item(page, "7-4")).to_be_visible()
    choose(page, "7-4", "2")
    choose(page, "7-4", "3")

    # Changing 7-2 to ② skips to Q9: the answers that stop applying are cleared, and said so.
    choose(page, "7-2", "2")
    for gone in ("7-3", "7-4", "8-1", "8-2"):
        expect(item(page, gone)).to_be_hidden()
    expect(page.get_by_test_id("cleared-notice")).to_contain_text("Q7-3、Q7-4")
    choose(page, "7-2", "1")
    expect(item(page, "7-3")).to_be_visible()
    expect(item(page, "7-3").locator("input:checked")).to_have_count(0)
    choose(page, "7-3", "1")
    choose(page, "7-4", "2")
    choose(page, "7-4", "3")

    choose(page, "8-1", "1")
    page.get_by_label(re.compile("「別途の方法」の概要を記載してください")).fill("追加の本人確認情報を用い、複数担当者で確認する。")
    expect(item(page, "8-2")).to_be_visible()
    choose(page, "8-2", "1")
    choose(page, "9", "1")
    choose(page, "10", "2")
    page.get_by_label("②～④を選択の場合、事例の概要を記載してください。").fill("令和4年に1件。原因を特定し改善済み。")
    expect(page.get_by_test_id("indicators")).to_contain_text("調査項目：すべて回答済み")
    assert_accessible(page)

    submit_through_confirmation(page, assert_accessible)
    answers = page.get_by_test_id("answers-table")
    expect(answers.get_by_test_id("answer-2")).to_contain_text("定める予定である")
    expect(answers.get_by_test_id("answer-2")).to_contain_text("2024年3月（令和6年3月）")
    expect(answers.get_by_test_id("answer-7-4")).to_contain_text("カナ氏名")
    expect(answers.get_by_test_id("answer-1-2")).to_contain_text("対象外")
    expect(page.get_by_test_id("risk")).to_contain_text("住所を含まない情報で照会している")


def test_officer_answers_the_short_path_and_submits(page, round_, sagamihara, assert_accessible):
    log_in(page, sagamihara, assert_accessible)
    open_questionnaire(page, assert_accessible)
    fill_respondent(page)
    choose(page, "1-1", "2")
    choose(page, "2", "1")
    choose(page, "3", "2")
    expect(item(page, "4")).to_be_hidden()
    expect(item(page, "5")).to_be_hidden()
    expect(item(page, "6")).to_be_visible()
    choose(page, "6", "1")
    choose(page, "7-1", "1")
    choose(page, "7-2", "2")
    expect(item(page, "8-1")).to_be_hidden()
    expect(item(page, "9")).to_be_visible()
    choose(page, "9", "1")
    choose(page, "10", "1")
    expect(page.get_by_test_id("indicators")).to_contain_text("調査項目：すべて回答済み")

    # A draft first: saved, and the form comes back with the answers.
    page.get_by_role("button", name="下書き保存").click()
    expect(page.get_by_text("下書きを保存しました。")).to_be_visible()
    expect(item(page, "3").locator("input[value='2']")).to_be_checked()
    assert_accessible(page)

    submit_through_confirmation(page, assert_accessible)
    expect(page.get_by_test_id("answer-4")).to_contain_text("対象外")
    expect(page.get_by_test_id("answer-5")).to_contain_text("対象外")


def test_missing_answers_are_listed_at_the_top(page, round_, sagamihara, assert_accessible):
    log_in(page, sagamihara, assert_accessible)
    open_questionnaire(page, assert_accessible)
    choose(page, "3", "1")
    page.get_by_role("button", name="確認へ進む").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_contain_text("担当部署名を入力してください。")
    expect(summary).to_contain_text("Q4：未回答です。")
    expect(summary).to_be_focused()
    assert_accessible(page)
    summary.get_by_role("link", name="Q4：未回答です。").click()
    expect(item(page, "4").locator("input").first).to_be_in_viewport()


def test_prefecture_sees_the_municipality_submitted(page, round_, sagamihara, kanagawa, assert_accessible):
    from survey.services.responses import response_save

    target = round_.targets.select_related("round__survey", "organization").get(organization__code="141500")
    answers = {"1-1": "2", "2": "1", "3": "2", "6": ["1"], "7-1": "1", "7-2": "2", "9": "1", "10": "1"}
    respondent = {"組織区分": "市区町村", "組織名": "14神奈川県相模原市", **RESPONDENT}
    response_save(target=target, answers=answers, respondent=respondent, acting_user=sagamihara, submit=True)

    log_in(page, kanagawa, assert_accessible)
    expect(page.locator("[data-org='141500']")).to_contain_text("提出済")
    page.get_by_role("link", name=re.compile("回答状況一覧")).first.click()
    expect(page.get_by_role("heading", name="回答状況一覧")).to_be_visible()
    assert_accessible(page)
    row = page.locator("[data-org='141500']")
    expect(row).to_contain_text("相模原市")
    expect(row).to_contain_text("提出済")
    expect(page.locator("[data-org='131016']")).to_have_count(0)

    page.get_by_label("回答状況", exact=True).select_option("submitted")
    page.get_by_role("button", name="絞り込む").click()
    expect(page.get_by_test_id("result-count")).to_contain_text("1団体")
    assert_accessible(page)
    page.locator("[data-org='141500']").get_by_role("link", name=re.compile("回答を見る")).click()
    expect(page.get_by_test_id("response-state")).to_contain_text("提出済")
    assert_accessible(page)
