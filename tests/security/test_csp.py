"""The Content-Security-Policy: on every response, strict, and reported to an endpoint of ours.

The browser suites (tests/conftest.py `page`) fail on any violation; these tests hold the policy
itself, the report endpoint, and the sources that the policy would break (inline scripts and
styles, HTML built from data in JavaScript) without waiting for a browser to open each page.
"""
import json
import logging
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "report-uri": ["/csp-report/"],
}
REPORT = {"csp-report": {
    "document-uri": "http://testserver/rounds/1/", "referrer": "", "violated-directive": "script-src-elem",
    "effective-directive": "script-src-elem", "original-policy": "default-src 'self'", "disposition": "enforce",
    "blocked-uri": "inline", "line-number": 12, "source-file": "http://testserver/rounds/1/",
    "status-code": 200, "script-sample": "alert(1)",
}}


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/", "/no-such-page/", "/static/js/portal.js"])
def test_every_response_carries_the_strict_policy(client, url):
    response = client.get(url)
    assert policy(response) == EXPECTED
    assert "unsafe" not in response.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_signed_in_pages_and_json_carry_it_too(client, round_, sagamihara, login_as):
    login_as(client, sagamihara)
    for url in (reverse("home"), reverse("response_edit", args=[round_.pk, "141500"]),
                reverse("response_detail", args=[round_.pk, "141500"])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert policy(response) == EXPECTED, url


def test_report_uri_is_the_endpoint():
    assert reverse("csp_report") == EXPECTED["report-uri"][0]


# --- the report endpoint ------------------------------------------------------------------------


def post(body: bytes | str, content_type="application/csp-report") -> object:
    client = Client(enforce_csrf_checks=True)  # browsers send reports without a CSRF token
    return client.post("/csp-report/", data=body, content_type=content_type)


@pytest.mark.django_db
def test_a_violation_report_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="csp"):
        response = post(json.dumps(REPORT))
    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "csp"]
    assert record.levelno == logging.WARNING
    logged = json.loads(record.getMessage().split(": ", 1)[1])
    assert logged["effective-directive"] == "script-src-elem" and logged["blocked-uri"] == "inline"
    assert logged["document-uri"] == "http://testserver/rounds/1/" and logged["script-sample"] == "alert(1)"
    assert "original-policy" not in logged


@pytest.mark.django_db
def test_a_reporting_api_batch_is_logged(caplog):
    batch = [{"type": "csp-violation", "url": "http://testserver/", "body": {
        "documentURL": "http://testserver/", "effectiveDirective": "style-src-attr", "blockedURL": "inline"}}] * 2
    with caplog.at_level(logging.WARNING, logger="csp"):
        assert post(json.dumps(batch), "application/reports+json").status_code == 204
    assert len([r for r in caplog.records if r.name == "csp" and "style-src-attr" in r.getMessage()]) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("junk", [b"", b"not json", b"\xff\xfe\x00", b"[]", b"{}", b'{"csp-report": 1}',
                                  b"null", b"[1, 2]", b"[" * 5000 + b"]" * 5000, b'"\\ud800"'])
def test_junk_is_a_400_never_a_500(junk):
    assert post(junk).status_code == 400


@pytest.mark.django_db
def test_an_oversized_report_is_refused_unread(caplog):
    big = json.dumps({"csp-report": {"blocked-uri": "x" * 100_000}})
    with caplog.at_level(logging.WARNING, logger="csp"):
        assert post(big).status_code == 413
    assert "x" * 100 not in caplog.text


@pytest.mark.django_db
def test_a_logged_field_is_cut_short(caplog):
    long_report = {"csp-report": {"blocked-uri": "y" * 5000, "document-uri": "z\nforged log line"}}
    with caplog.at_level(logging.WARNING, logger="csp"):
        assert post(json.dumps(long_report)).status_code == 204
    message = [r for r in caplog.records if r.name == "csp"][0].getMessage()
    assert "y" * 500 in message and "y" * 501 not in message
    assert "\n" not in message


@pytest.mark.django_db
def test_only_post_is_accepted(client):
    assert client.get("/csp-report/").status_code == 405


# --- the sources the policy would break ---------------------------------------------------------

TEMPLATE_RULES = {
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style[\s>]", re.I),
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "autoescape off": re.compile(r"{%\s*autoescape\s+off", re.I),
    "|safe": re.compile(r"\|\s*safe\b"),
}
MAIL_TEMPLATES = re.compile(r"(^|/)(email|registration)/.*\.txt$")
JS_RULES = re.compile(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(")
PY_RULES = re.compile(r"mark_safe|SafeString\(|\|safe\b")


def _sources(pattern: str):
    return sorted(p for p in ROOT.glob(pattern) if ".venv" not in p.parts)


def test_no_template_has_inline_script_style_or_unescaped_output():
    found = []
    for path in _sources("**/templates/**/*.*"):
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text()
        for rule, pattern in TEMPLATE_RULES.items():
            if rule == "autoescape off" and MAIL_TEMPLATES.search(rel):
                continue  # plain-text mails: rendered through survey.mailtext, never into a page
            found += [f"{rel}: {rule}: {m.group(0)[:60]}" for m in pattern.finditer(text)]
    assert found == []


def test_no_script_builds_html_from_data():
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in _sources("static/js/**/*.js")
             for m in JS_RULES.finditer(p.read_text())]
    assert found == []


def test_no_python_marks_text_safe():
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for folder in ("survey", "aggregation", "config")
             for p in _sources(f"{folder}/**/*.py") for m in PY_RULES.finditer(p.read_text())]
    assert found == []


def test_the_scan_sees_the_templates_and_scripts():
    assert len(_sources("**/templates/**/*.html")) > 50 and len(_sources("static/js/**/*.js")) >= 3
