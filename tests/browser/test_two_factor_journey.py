"""Two-factor enrolment in a real browser: ministry staff sign in for the first time, register an
app from the QR code's key, keep the recovery codes, and later sign in with one of them."""
import base64

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.cast import PASSWORD, totp

pytestmark = pytest.mark.browser


def password_step(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def test_ministry_enrols_from_the_qr_page_and_reaches_home(page, ministry, live_server, assert_accessible):
    elsewhere = []
    page.on("request", lambda request: None if request.url.startswith(live_server.url) else elsewhere.append(request.url))
    password_step(page, ministry)
    expect(page.get_by_role("heading", name="二要素認証の登録", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="メインメニュー")).to_have_count(0)

    qr = page.get_by_test_id("two-factor-qr")
    expect(qr).to_be_visible()
    src = qr.get_attribute("src")
    assert src.startswith("/accounts/two-factor/")  # drawn by the portal itself
    # The image loads after the page: wait for it (a bare evaluate raced it in a full run).
    page.wait_for_function("img => img.complete && img.naturalWidth >= 100", arg=qr.element_handle())
    assert page.request.get(src).headers["content-type"] == "image/svg+xml"
    assert_accessible(page)

    # Nothing else is reachable before enrolment (the page asked for is kept for afterwards).
    page.goto(reverse("publish:round_list"))
    expect(page.get_by_role("heading", name="二要素認証の登録", level=1)).to_be_visible()

    shown = page.get_by_test_id("two-factor-secret").inner_text().replace(" ", "")
    key = base64.b32decode(shown + "=" * (-len(shown) % 8)).hex()
    page.get_by_label("確認コード（6桁）").fill(totp(key))
    page.get_by_role("button", name="登録する").click()

    expect(page.get_by_role("heading", name="リカバリーコード", level=1)).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").locator("li code")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="保管しました。続ける").click()
    expect(page.get_by_role("heading", name="調査回の管理", level=1)).to_be_visible()  # where they were going
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="ホーム").click()
    expect(page.get_by_role("heading", name="ホーム", level=1)).to_be_visible()

    # Later, without the phone: a recovery code instead of the app's code.
    page.get_by_role("button", name="ログアウト").click()
    password_step(page, ministry)
    expect(page.get_by_role("heading", name="確認コードの入力", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("確認コード").fill(recovery)
    page.get_by_role("button", name="確認してログイン").click()
    expect(page.get_by_role("heading", name="ホーム", level=1)).to_be_visible()
    expect(page.get_by_text("リカバリーコードでログインしました。残りは 9 個です。")).to_be_visible()
    assert elsewhere == []
