"""Every error has a Japanese page with a way back; 500 shows no detail; CSRF failure explains."""
import pytest
from django.db import connection
from django.test import Client

from tests.cast import signed_in

pytestmark = pytest.mark.django_db

ERROR_URLS = "tests.errors.error_urls"


@pytest.fixture(autouse=True)
def error_urls(settings):
    settings.ROOT_URLCONF = ERROR_URLS
    settings.DEBUG = False


def text(response):
    return response.content.decode()


def test_missing_page_is_a_japanese_404_with_a_way_home(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "ページが見つかりません" in text(response)
    assert 'href="/">ホームへ</a>' in text(response)


def test_a_referer_on_this_site_becomes_the_previous_page_link(client):
    response = client.get("/no-such-page/", HTTP_REFERER="http://testserver/rounds/1/")
    assert 'href="http://testserver/rounds/1/">前のページへ</a>' in text(response)


def test_a_referer_on_another_site_is_not_linked(client):
    response = client.get("/no-such-page/", HTTP_REFERER="https://evil.example.com/phish")
    assert "evil.example.com" not in text(response)
    assert "前のページへ" not in text(response)


def test_server_error_is_japanese_and_shows_no_detail():
    client = Client(raise_request_exception=False)
    response = client.get("/test-only/error/")
    assert response.status_code == 500
    assert "システムエラーが発生しました" in text(response)
    assert "secret-detail" not in text(response) and "RuntimeError" not in text(response)
    assert "ホームへ" in text(response)


@pytest.mark.django_db(transaction=True)
def test_database_lost_before_the_session_is_saved_is_a_503_not_a_400(sagamihara):
    """Found by bench/run faults: during a PostgreSQL restart two requests got 400 「リクエストを
    処理できません」, which tells the officer the request was wrong. Django turns the failed session
    save into SessionInterrupted (a 400); the cause is the database out of reach, so the answer is
    the 503 that asks to try again."""
    client = Client(raise_request_exception=False)
    signed_in(client, sagamihara)
    response = client.get("/test-only/lose-database/")
    connection.close()  # the test shares the killed connection with the view: start a new one
    assert response.status_code == 503
    assert "一時的にご利用いただけません" in text(response)
    assert response["Retry-After"]
    assert client.get("/").status_code == 200  # the next request reconnects


def test_permission_denied_gives_our_reason(client, sagamihara):
    response = signed_in(client, sagamihara).get("/test-only/forbidden/")
    assert response.status_code == 403
    assert "このページを表示する権限がありません" in text(response)
    assert "この画面はテスト用の権限が必要です。" in text(response)
    assert sagamihara.name in text(response)  # the header still shows who is signed in


def test_permission_denied_hides_a_reason_not_written_for_users(client):
    response = client.get("/test-only/forbidden-english/")
    assert response.status_code == 403
    assert "secret-detail" not in text(response)
    assert "理由：" not in text(response)


def test_a_real_permission_refusal_names_the_permission(client, round_, sagamihara):
    response = signed_in(client, sagamihara).get("/publish/rounds/")
    assert response.status_code == 403
    assert "調査回の管理は省庁職員のみ行えます。" in text(response)


def test_bad_request_is_a_japanese_400_without_detail():
    client = Client(raise_request_exception=False)
    response = client.get("/test-only/bad-request/")
    assert response.status_code == 400
    assert "リクエストを処理できません" in text(response)
    assert "secret-detail" not in text(response)


def test_csrf_failure_is_japanese_and_says_why(sagamihara):
    client = signed_in(Client(enforce_csrf_checks=True), sagamihara)
    response = client.post("/accounts/logout/", HTTP_REFERER="http://testserver/")
    assert response.status_code == 403
    assert "送信を受け付けられませんでした" in text(response)
    assert "送信を確認できませんでした" in text(response)
    assert "CSRF" not in text(response)
    assert "前のページへ" in text(response) and "ホームへ" in text(response)
