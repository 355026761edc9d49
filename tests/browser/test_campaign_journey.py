"""Issue 9's campaign journey in a real browser, one role after another in one session.

The ministry publishes the round; 相模原市 reads the notice in the mail outbox, follows its
link, answers and submits; 神奈川県 returns it with a
comment on Q7-2; the officer reads the comment beside the item, replies, fixes and resubmits;
神奈川県 approves and the response shows as locked; after the round's deadline an extension
lets 相模原市 save while 横浜市 cannot. Every page visited is checked with axe, and the `page`
fixture fails the test on any Content-Security-Policy violation.
"""
import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.cast import *  # noqa: F403  (the cast's fixtures)
from tests.cast import log_in

pytestmark = pytest.mark.browser

RESPONDENT = {
    "担当部署名": "福祉局 生活福祉課", "回答責任者役職": "生活福祉課長", "回答責任者氏名": "相模 太郎",
    "連絡先氏名": "相模原 市郎", "電話番号": "042-754-1111", "メールアドレス": "fukushi@city.sagamihara.example.jp",
}
TITLE = "マイナンバー情報連携関係実態調査（令和8年度）"
COMMENT = "Q7-2 は②（照会していない）となっていますが、Q6 の回答と合いません。確認してください。"


@pytest.fixture
def draft_round(db, orgs, survey_version):
    """A round in preparation (準備中) for the cast's organisations, deadline in 14 days."""
    from survey.services.rounds import round_create

    return round_create(survey=survey_version, title=TITLE, deadline=timezone.now() + dt.timedelta(days=14),
                        scheme="職業転換給付金制度（訓練手当）関係事務", organizations=list(orgs.values()),
                        open_now=False)


def item(page, item_id):
    return page.locator(f"[data-item='{item_id}']")


def choose(page, item_id, code):
    item(page, item_id).locator(f"input[value='{code}']").check()


def switch_to(page, user, assert_accessible):
    """Log out whoever is signed in, then sign `user` in (with the code step where owed)."""
    logout = page.get_by_role("button", name="ログアウト")
    if logout.count():
        logout.click()
        expect(page.get_by_role("button", name="ログアウト")).to_have_count(0)
    log_in(page, user)
    assert_accessible(page)


def see(page, assert_accessible, heading):
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    assert_accessible(page)


def publish(page, rnd, ministry, assert_accessible):
    switch_to(page, ministry, assert_accessible)
    page.goto(f"/publish/rounds/{rnd.pk}/status/")
    see(page, assert_accessible, TITLE)
    page.get_by_role("button", name="「回答受付中」にする").click()
    expect(page.get_by_text(f"調査回「{TITLE}」を「回答受付中」にしました。")).to_be_visible()
    assert_accessible(page)  # the notices page: who was told, who has no contact


def read_notice(rnd, officer) -> str:
    """The publication notice in the mail outbox for `officer`: the path of the response page it links."""
    from django.core import mail

    from survey.jobs import run_job
    from survey.models import Job

    job = Job.objects.get(kind="round_notice", round=rnd)
    if not job.is_finished:  # tasks run eagerly in tests; run it here if the queue kept it
        run_job(job.pk)
    notice = next(m for m in mail.outbox if m.to == [officer.email])
    assert TITLE in notice.subject and "相模原市" in notice.body
    link = re.search(r"https?://\S+/rounds/\d+/orgs/141500/", notice.body)
    assert link, notice.body
    return urlsplit(link.group(0)).path


def answer_and_submit(page, path, assert_accessible):
    """From the notice's link: the short path (Q7-2 ②), then the confirmation page and 提出する."""
    page.goto(path)
    see(page, assert_accessible, "相模原市の回答")
    page.get_by_role("link", name=re.compile("回答する")).first.click()
    see(page, assert_accessible, "回答の入力")
    for label, value in RESPONDENT.items():
        page.get_by_label(label, exact=False).first.fill(value)
    for item_id, code in (("1-1", "2"), ("2", "1"), ("3", "2"), ("6", "1"), ("7-1", "1"), ("7-2", "2"),
                          ("9", "1"), ("10", "1")):
        choose(page, item_id, code)
    expect(page.get_by_test_id("indicators")).to_contain_text("調査項目：すべて回答済み")
    submit(page, assert_accessible)


def submit(page, assert_accessible):
    page.get_by_role("button", name="確認へ進む").click()
    see(page, assert_accessible, "提出内容の確認")
    page.get_by_role("button", name="提出する").click()
    expect(page.get_by_text("回答を提出しました")).to_be_visible()


def return_with_comment(page, rnd, assert_accessible):
    page.goto(f"/rounds/{rnd.pk}/orgs/141500/")
    page.get_by_test_id("review-link").click()
    see(page, assert_accessible, "相模原市の回答の審査")
    page.get_by_label("コメント1の対象").select_option("item:7-2")
    page.get_by_label("コメント1の内容").fill(COMMENT)
    page.get_by_role("button", name="確認へ進む").click()
    see(page, assert_accessible, "差し戻しの確認")
    expect(page.get_by_test_id("return-comments")).to_contain_text(COMMENT)
    page.get_by_role("button", name="差し戻す").click()
    expect(page.get_by_text("相模原市の回答を差し戻しました（コメント1件）。")).to_be_visible()
    expect(page.get_by_test_id("review-state")).to_contain_text("差し戻し中")
    assert_accessible(page)


def fix_and_resubmit(page, assert_accessible):
    """The officer reads the comment beside Q7-2, replies, answers ① with what follows, resubmits."""
    expect(page.get_by_test_id("own-state")).to_contain_text("差し戻し中")
    page.get_by_test_id("returned-link").click()
    see(page, assert_accessible, "相模原市の回答")
    expect(page.get_by_test_id("returned-notice")).to_be_visible()
    thread = page.locator("[data-item='7-2'] [data-testid='thread-7-2']")
    expect(thread).to_contain_text(COMMENT)
    expect(thread).to_contain_text("神奈川 県子")
    thread.get_by_label("返信").fill("ご指摘のとおりです。①に修正します。")
    thread.get_by_role("button", name="返信する").click()
    expect(page.get_by_text("返信しました。")).to_be_visible()
    expect(page.locator("[data-testid='thread-7-2']").first).to_contain_text("①に修正します。")

    page.get_by_test_id("returned-notice").get_by_role("link", name="回答を修正して再提出").click()
    see(page, assert_accessible, "回答の入力")
    expect(item(page, "7-2").get_by_test_id("thread-7-2")).to_contain_text(COMMENT)
    choose(page, "7-2", "1")
    choose(page, "7-3", "1")
    choose(page, "7-4", "2")
    choose(page, "8-1", "1")
    page.get_by_label(re.compile("「別途の方法」の概要を記載してください")).fill("複数担当者で4情報を確認する。")
    choose(page, "8-2", "1")
    expect(page.get_by_test_id("indicators")).to_contain_text("調査項目：すべて回答済み")
    page.get_by_role("button", name="確認へ進む").click()
    see(page, assert_accessible, "提出内容の確認")
    expect(page.get_by_test_id("thread-7-2")).to_contain_text(COMMENT)  # the comment beside the item here too
    page.get_by_role("button", name="提出する").click()
    expect(page.get_by_text("回答を提出しました")).to_be_visible()
    expect(page.get_by_test_id("response-state")).to_contain_text("提出済")
    expect(page.get_by_test_id("thread-7-2")).to_contain_text("完了")  # closed by the resubmission, kept


def approve(page, rnd, assert_accessible):
    page.goto(f"/rounds/{rnd.pk}/orgs/141500/review/")
    see(page, assert_accessible, "相模原市の回答の審査")
    page.get_by_role("link", name="承認する").click()
    see(page, assert_accessible, "承認の確認")
    page.get_by_role("button", name="承認する").click()
    expect(page.get_by_text("相模原市の回答を承認しました。")).to_be_visible()
    expect(page.get_by_test_id("locked-notice")).to_be_visible()


def reopen(page, rnd, assert_accessible):
    page.goto(f"/rounds/{rnd.pk}/orgs/141500/review/")
    page.get_by_role("link", name="承認を取り消す").click()
    see(page, assert_accessible, "承認の取り消し")
    page.get_by_label("承認を取り消す理由").fill("期限延長後に件数を更新するとの連絡があったため")
    page.get_by_role("button", name="承認を取り消す").click()
    expect(page.get_by_test_id("review-state")).to_contain_text("提出済")


def extend(page, rnd, assert_accessible):
    page.goto(f"/publish/rounds/{rnd.pk}/extensions/?org=141500")
    expect(page.get_by_label("延長後の回答期限")).to_be_visible()
    assert_accessible(page)
    until = timezone.localtime(timezone.now() + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("延長後の回答期限").fill(until)
    page.get_by_label("延長の理由").fill("災害対応のため")
    page.get_by_role("button", name="確認へ進む").click()
    page.get_by_role("button", name="延長する").click()
    expect(page.get_by_text("相模原市の回答期限を延長しました。")).to_be_visible()


def test_publish_answer_return_fix_approve_lock_and_extend(page, draft_round, cast, assert_accessible):
    rnd = draft_round
    publish(page, rnd, cast["ministry"], assert_accessible)
    path = read_notice(rnd, cast["sagamihara"])

    switch_to(page, cast["sagamihara"], assert_accessible)
    answer_and_submit(page, path, assert_accessible)

    switch_to(page, cast["kanagawa"], assert_accessible)
    return_with_comment(page, rnd, assert_accessible)

    switch_to(page, cast["sagamihara"], assert_accessible)
    fix_and_resubmit(page, assert_accessible)

    switch_to(page, cast["kanagawa"], assert_accessible)
    approve(page, rnd, assert_accessible)

    # Locked: the officer reads it as approved, with no way to edit; the edit page turns it away.
    switch_to(page, cast["sagamihara"], assert_accessible)
    expect(page.get_by_test_id("own-state")).to_contain_text("承認済")
    page.goto(f"/rounds/{rnd.pk}/orgs/141500/")
    expect(page.get_by_test_id("approved-notice")).to_contain_text("ロック中")
    expect(page.get_by_role("link", name=re.compile("再編集する|続きを入力"))).to_have_count(0)
    page.goto(f"/rounds/{rnd.pk}/orgs/141500/edit/")
    expect(page.get_by_text("この回答は承認済みのため変更できません。")).to_be_visible()
    assert_accessible(page)

    # The prefecture reopens it (with a reason); then the round's deadline passes.
    switch_to(page, cast["kanagawa"], assert_accessible)
    reopen(page, rnd, assert_accessible)
    type(rnd).objects.filter(pk=rnd.pk).update(deadline=timezone.now() - dt.timedelta(minutes=1))

    switch_to(page, cast["ministry"], assert_accessible)
    extend(page, rnd, assert_accessible)

    switch_to(page, cast["sagamihara"], assert_accessible)
    page.goto(f"/rounds/{rnd.pk}/orgs/141500/edit/")
    see(page, assert_accessible, "回答の入力")
    choose(page, "9", "2")
    page.get_by_role("button", name="下書き保存").click()
    expect(page.get_by_text("下書きを保存しました。")).to_be_visible()

    switch_to(page, cast["yokohama"], assert_accessible)
    page.goto(f"/rounds/{rnd.pk}/orgs/141003/edit/")
    expect(page.get_by_text("回答期限を過ぎているため、回答の入力・提出はできません。")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("回答の入力")
