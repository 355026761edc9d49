"""One JSON log line per request, with a request id, user id and organisation code, and nothing
personal: no answers, names, e-mail addresses, query strings or reset tokens."""
import json
import logging

import pytest
from django.urls import reverse

from config.logs import JsonFormatter, request_id_from

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_lines(caplog):
    caplog.set_level(logging.INFO, logger="portal.request")

    def lines():
        formatter = JsonFormatter()
        return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "portal.request"]

    return lines


def test_a_request_logs_one_json_line_with_who_and_what(client, sagamihara, login_as, request_lines, round_):
    login_as(client, sagamihara)
    response = client.get("/?q=secret-query", HTTP_X_REQUEST_ID="req-0123456789abcdef")
    [line] = request_lines()
    assert response["X-Request-ID"] == "req-0123456789abcdef"
    assert line["request_id"] == "req-0123456789abcdef"
    assert line["user_id"] == sagamihara.pk
    assert line["org"] == "141500"
    assert line["method"] == "GET" and line["path"] == "/" and line["status"] == response.status_code
    assert isinstance(line["duration_ms"], float)
    assert "secret-query" not in json.dumps(line)


@pytest.mark.parametrize("header", ["", "short", "has space 12345678", "x" * 101, "<script>alert(1)</script>"])
def test_a_malformed_request_id_is_replaced_by_a_new_one(client, header, request_lines):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=header)
    rid = response["X-Request-ID"]
    assert rid != header and len(rid) == 32 and rid.isalnum()
    assert request_lines()[0]["request_id"] == rid


def test_two_requests_get_different_ids(client):
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


def test_a_saved_answer_and_the_officer_personal_data_never_reach_the_log(client, sagamihara, login_as, round_,
                                                                          request_lines, caplog):
    from answering.conftest import edit_url, questionnaire_post

    from survey.models import ResponseVersion

    login_as(client, sagamihara)
    respondent = {"担当部署名": "CANARY-DEPARTMENT", "連絡先氏名": "CANARY-CONTACT"}
    body = questionnaire_post(round_, "141500", {"3": "1", "10": "1", "10:概要": "CANARY-ANSWER"}, respondent, 0)
    response = client.post(edit_url(round_), body)
    assert response.status_code in (200, 302)
    client.get(reverse("password_reset_confirm", args=["MQ", "set-password-token-abc"]))
    text = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "CANARY" not in text
    assert sagamihara.email not in text and sagamihara.name not in text
    assert "set-password-token-abc" not in text and "/MQ/" not in text
    assert [line["method"] for line in request_lines()] == ["POST", "GET"]
    assert ResponseVersion.objects.filter(response__organization=sagamihara.organization).exists()


def test_the_formatter_writes_only_whitelisted_fields():
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", ("/x",), None)
    record.request = "POST body with CANARY"
    record.status_code = 500
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Internal Server Error: /x" and line["status_code"] == 500
    assert "CANARY" not in json.dumps(line)


def test_request_id_rules():
    assert request_id_from("abcdef12") == "abcdef12"
    assert request_id_from("abc") != "abc"
    assert request_id_from(None)
