"""Stored XSS: hostile text in every text the portal stores, then every page of every role.

Every page is first given realistic content (tests/sweep.py `seed_every_page`, the same data as
the accessibility sweep), with a bulk import of a zip whose file names and respondent fields are
hostile (so the import report is written by the real reader). Then every stored text field of
the project's models (STORED_TEXTS; a new field fails `test_every_stored_text_is_covered` until
it is listed) is overwritten with a payload that carries a marker (Zq01, Zq02 …) naming the
field. Each role opens every HTML page it can (the URL enumeration of tests/sweep.py) in
Chromium with a dialog handler and the CSP watch of the `page` fixture, and each page must show
0 dialogs, 0 CSP violations, no element or attribute a payload could have created, and every
payload it shows as the literal text stored (so `{{7*7}}` never reads 49). Each page is also
opened with the payload in every query parameter it reads (its GET forms, its links), which
must be as harmless, and no page may answer 500 to it.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.db import models

from tests.sweep import LAST, is_html, log_in, seed_every_page, sheet_zip, urls

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}{% debug %}"
QUOTE = "'-alert(1)-'"
JS_URL = "javascript:alert(1)//"


def payload(marker: str, kind: str) -> str:
    """The hostile text of one field; `kind` picks what fits its length (and e-mail syntax)."""
    return {
        "full": f"{marker}{SCRIPT}{IMG}{QUOTE}{TEMPLATE}",            # ≤ 100 characters
        "img": f"{marker}{IMG}",                                      # ≤ 50
        "url": f"{JS_URL}{marker}",                                   # a whole value that is a javascript: URL
        "tiny": f"<b>{marker}",                                       # ≤ 10 (prefecture names)
        "email": f'"<svg/onload=alert(1)>{marker}"@example.jp',       # valid for Django's EmailValidator
    }[kind]


# Every text the portal stores, and the payload it gets. JSON fields name the keys whose string
# values are texts (others are codes the code reads); "*" is every string value.
STORED_TEXTS = {
    "survey.User.name": "full",
    "survey.User.email": "email",  # 横浜市's officer (the roles of the sweep sign in with theirs)
    "survey.Attachment.original_name": "full",
    "survey.AuditLog.actor_label": "full",  # AuditLog is append-only: hostile rows are added
    "survey.AuditLog.target": "full",
    "survey.AuditLog.user_agent": "full",  # also the real login's User-Agent of every role
    "survey.AuditLog.details": "*",
    "survey.Job.params": ("name",),
    "survey.Job.messages": ("text",),
    "survey.Job.result": ("file", "name", "email", "org_name", "message", "value", "error"),
    "survey.Job.result_name": "full",
    "survey.Organization.prefecture_name": "tiny",
    "survey.Organization.name": "img",
    "survey.Organization.kana": "full",
    "survey.ResponseVersion.answers": ":",  # the follow-up texts (item:field), not option codes
    "survey.ResponseVersion.respondent": "*",
    "survey.ResponseVersion.file_name": "full",
    "survey.SurveyVersion.title": "full",
    "survey.Round.title": "full",
    "survey.Round.scheme": "url",
    "survey.Round.attribute": "full",
    "survey.RoundTarget.attribute": "full",
    "survey.RoundTarget.extension_reason": "full",
    "survey.RoundNotice.email": "email",
    "survey.RoundNotice.error": "full",
    "aggregation.Snapshot.label": "full",
    "survey.ReviewComment.body": "full",
    "survey.ScheduledReminder.recipients": ("name", "email"),
    "survey.ScheduledReminder.error": "full",
    # django-axes' records of wrong passwords (the administrators' ログイン停止 page lists locks).
    **{f"axes.{model}.{field}": "full" for model in ("AccessAttempt", "AccessFailureLog", "AccessLog")
       for field in ("username", "user_agent", "path_info", "http_accept")},
    "axes.AccessAttempt.get_data": "full",
    "axes.AccessAttempt.post_data": "full",
}
# Text-typed fields that hold no text anyone types: codes, hashes, paths the portal makes.
NOT_TEXT = {
    "survey.User.password": "a password hash",
    "survey.Attachment.followup_key": "a follow-up key of the survey definition",
    "survey.Attachment.stored_path": "a random path the portal makes",
    "survey.Attachment.sha256": "a hash",
    "survey.Attachment.content_type": "the type the portal detects from the content",
    "survey.Job.kind": "a job kind of the code",
    "survey.Job.result_path": "a random path the portal makes",
    "survey.Organization.code": "a six-digit code",
    "survey.Organization.prefecture_code": "a two-digit code",
    "survey.Response.prefecture_code": "a two-digit code",
    "survey.Response.org_kind": "an organisation kind of the code",
    "survey.Response.risk_level": "a risk level of the definition",
    "survey.ReviewThread.anchor": "an item id or respondent field label of the definition, checked by the service",
    "survey.ResponseVersion.risk_level": "a risk level of the definition",
    "survey.ResponseVersion.risk_rules": "rule ids of the definition",
    "survey.ResponseVersion.cleared_items": "item ids of the definition",
    "survey.ResponseVersion.file_sha256": "a hash",
    "survey.ResponseVersion.file_path": "a random path the portal makes",
    "survey.AnswerFact.prefecture_code": "a code", "survey.AnswerFact.org_kind": "a code",
    "survey.AnswerFact.item": "an item id of the definition", "survey.AnswerFact.option": "an option code",
    "survey.SurveyVersion.code": "from the definition file in the repository (load_survey), not typed",
    "survey.SurveyVersion.version": "from the definition file in the repository",
    "survey.SurveyVersion.definition": "the definition file in the repository, read by the engine",
    "survey.SurveyVersion.sha256": "a hash",
    "survey.ReminderSchedule.offsets": "whole numbers of days",
    "survey.ScheduledReminder.state": "a response state code",
    "survey.ScheduledReminder.owner": "host:pid of the sending worker",
    "aggregation.Snapshot.content_sha256": "a hash",
    "aggregation.SnapshotVersion.prefecture_code": "a code", "aggregation.SnapshotVersion.org_kind": "a code",
    "aggregation.SnapshotFact.prefecture_code": "a code", "aggregation.SnapshotFact.org_kind": "a code",
    "aggregation.SnapshotFact.item": "an item id", "aggregation.SnapshotFact.option": "an option code",
    "axes.AccessLog.session_hash": "a hash",
    # django-otp (two-factor sign-in): names the portal gives its devices, secrets it generates.
    "otp_totp.TOTPDevice.name": "a device name the portal sets", "otp_totp.TOTPDevice.key": "a generated secret",
    "otp_static.StaticDevice.name": "a device name the portal sets",
    "otp_static.StaticToken.token": "a generated recovery code",
}
# Stored, but shown on no page (kept for audits and jobs); their payloads are planted all the same.
SHOWN_NOWHERE = {
    "survey.Organization.kana": "used for sorting and matching, not displayed",
    "survey.Job.params": "the job's inputs; its pages show the result",
    "survey.ResponseVersion.file_name": "kept with the uploaded sheet for audits; pages show the version's source",
    **{f"axes.AccessAttempt.{field}": "kept to count failures; the lock list shows account and address"
       for field in ("user_agent", "path_info", "http_accept", "get_data", "post_data")},
    **{f"axes.{model}.{field}": "not written (AXES_DISABLE_ACCESS_LOG, no failure log) nor shown"
       for model in ("AccessFailureLog", "AccessLog") for field in ("username", "user_agent", "path_info", "http_accept")},
}
MARKERS = {field: f"Zq{n:02d}" for n, field in enumerate(STORED_TEXTS, start=1)}
KINDS = ("full", "img", "url", "tiny", "email")
PAYLOADS = {field: payload(MARKERS[field], kind if kind in KINDS else "full") for field, kind in STORED_TEXTS.items()}


# Apps whose models hold no text a page shows (Django's own tables: users are survey.User).
NO_PAGE_TEXT_APPS = {"admin", "auth", "contenttypes", "sessions", "messages", "staticfiles", "humanize",
                     "crispy_forms", "crispy_bootstrap5", "csp"}


def _text_fields():
    """Every text-typed field of the installed apps' models (the project's and third parties')."""
    for config in apps.get_app_configs():
        if config.label in NO_PAGE_TEXT_APPS:
            continue
        app = config.label
        for model in config.get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, models.CharField | models.TextField | models.JSONField) and not field.choices:
                    yield f"{app}.{model.__name__}.{field.name}", model, field


def test_every_stored_text_is_covered():
    """A new text field fails here until it is given a payload (or said not to be text)."""
    fields = {name for name, _, _ in _text_fields()}
    assert fields - STORED_TEXTS.keys() - NOT_TEXT.keys() == set(), "list it in STORED_TEXTS or NOT_TEXT"
    installed = {config.label for config in apps.get_app_configs()}
    listed = {name for name in STORED_TEXTS.keys() | NOT_TEXT.keys() if name.split(".")[0] in installed}
    assert listed - fields == set(), "a listed field no longer exists"
    for name, _, field in _text_fields():
        if name in STORED_TEXTS and field.max_length is not None:
            assert len(PAYLOADS[name]) <= field.max_length, name


# --- planting the payloads ----------------------------------------------------------------------


def _poison_json(value, keys, text: str):
    """`value` with the string values under `keys` (or every string for "*") replaced by `text`."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            hit = keys == "*" or (keys == ":" and ":" in key) or (isinstance(keys, tuple) and key in keys)
            out[key] = text if hit and isinstance(item, str) and item else _poison_json(item, keys, text)
        return out
    if isinstance(value, list):
        return [_poison_json(item, keys, text) for item in value]
    return value


def plant(cast) -> None:
    """Overwrite every stored text of STORED_TEXTS with its payload (and add rows where none are)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.conf import settings

    from survey.models import AuditLog, User

    # A lock in force from an address the browser does not use, so that the lock list shows it.
    AccessAttempt.objects.create(ip_address="203.0.113.9", failures_since_start=settings.LOGIN_FAILURE_LIMIT,
                                 user_agent="", path_info="", http_accept="", get_data="", post_data="")
    for model in (AccessFailureLog, AccessLog):
        model.objects.create(ip_address="203.0.113.9", user_agent="", path_info="", http_accept="")

    for name, model, field in _text_fields():
        kind, text = STORED_TEXTS.get(name), PAYLOADS.get(name)
        if kind is None or model is AuditLog:
            continue
        if name == "survey.User.email":  # unique: one officer's, shown to the ministry and the prefecture
            User.objects.filter(pk=cast["yokohama"].pk).update(email=text)
        elif isinstance(field, models.JSONField):
            for pk, value in model.objects.values_list("pk", name.rsplit(".", 1)[1]):
                model.objects.filter(pk=pk).update(**{field.name: _poison_json(value, kind, text)})
        else:
            model.objects.update(**{field.name: text})
    details = {key: PAYLOADS["survey.AuditLog.details"] for key in ("change", "name", "label", "error", "title")}
    for action in AuditLog.Action.values:
        AuditLog.objects.create(
            action=action, actor=cast["sagamihara"], organization=cast["sagamihara"].organization,
            actor_label=PAYLOADS["survey.AuditLog.actor_label"], target=PAYLOADS["survey.AuditLog.target"],
            user_agent=PAYLOADS["survey.AuditLog.user_agent"], ip="203.0.113.9",
            details={**details, PAYLOADS["survey.AuditLog.details"]: "key"})


def hostile_zip(round_, orgs) -> tuple[str, bytes]:
    """A bulk upload as someone else made it: hostile entry names and respondent texts."""
    respondent = {"担当部署名": f"{SCRIPT}福祉課", "回答責任者氏名": f"相模{IMG}", "電話番号": f"{QUOTE}{TEMPLATE}"}
    names = (f"鎌倉市{IMG}.xlsx", f"{SCRIPT}{TEMPLATE}.xlsx")
    return f"{QUOTE}{IMG}.zip", sheet_zip(round_, orgs, respondent=respondent, names=names)


# --- the checks on every page -------------------------------------------------------------------

# Anything a payload could have made: an event-handler attribute, a javascript: URL, an inline
# script (the JSON of json_script is data), the <img src=x> or the <b> of a short payload.
CREATED = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on")) found.push(el.tagName + " " + attr.name + "=" + attr.value);
      if (["href", "src", "action", "formaction", "xlink:href"].includes(attr.name)
          && /^\\s*javascript:/i.test(attr.value)) found.push(el.tagName + " " + attr.name + "=" + attr.value);
    }
  }
  document.querySelectorAll('img[src="x"], script:not([src]):not([type="application/json"])')
    .forEach((el) => found.push(el.outerHTML.slice(0, 120)));
  document.querySelectorAll("b, svg").forEach((el) => {
    if (/^Zq\\d\\d/.test(el.textContent)) found.push(el.outerHTML.slice(0, 120));
  });
  return found;
}"""
MARKER = re.compile(r"Zq\d\d")
BY_MARKER = {marker: field for field, marker in MARKERS.items()}


def literal_problems(text: str) -> list[str]:
    """Payloads in the page's visible text that do not read as the text stored (or a truncation of it)."""
    problems = []
    for match in MARKER.finditer(text):
        field = BY_MARKER.get(match.group(0))
        if field is None:
            continue
        stored = PAYLOADS[field]
        start = match.start() - stored.index(match.group(0))
        shown = text[max(start, 0):start + len(stored)]
        if shown != stored and not ("…" in shown and stored.startswith(shown.split("…")[0])):
            problems.append(f"{field}: shown {shown!r}")
    return problems


# The query parameters a page reads: its GET forms' fields and its links' parameters.
QUERY_NAMES = """() => {
  const names = new Set();
  document.querySelectorAll('form:not([method]) [name], form[method="get" i] [name]')
    .forEach((el) => names.add(el.name));
  document.querySelectorAll('a[href*="?"]').forEach((a) => {
    new URL(a.href, document.baseURI).searchParams.forEach((value, key) => names.add(key));
  });
  return [...names].filter((name) => name !== "csrfmiddlewaretoken");
}"""
REFLECTED = f"Zr00{SCRIPT}{IMG}{QUOTE}{TEMPLATE}"


def check_page(page, url: str) -> tuple[list[str], str]:
    """Open `url`; (what is wrong with it, its HTML)."""
    before = len(page.csp_violations)
    response = page.goto(url)
    problems = [f"{url}: {response.status}"] if response.status >= 500 else []
    problems += [f"{url}: created {c}" for c in page.evaluate(CREATED)]
    problems += [f"{url}: {p}" for p in literal_problems(page.locator("body").inner_text())]
    html = page.content()
    if "sql_queries" in html or "DEFAULT_MESSAGE_LEVELS" in html:
        problems.append(f"{url}: a stored {{% debug %}} was rendered")
    problems += [f"{url}: {v}" for v in page.csp_violations[before:]]
    return problems, html


def sweep(page, pages) -> tuple[list[str], list[str], set[str]]:
    """Open every HTML page of `pages`, then again with the payload in every query parameter it
    reads (reflected, not stored); (pages swept, problems, fields whose payload was seen)."""
    swept, problems, seen, reflected = [], [], set(), 0
    for name, url in pages:
        if not is_html(page, name, url):
            continue
        swept.append(url)
        found, html = check_page(page, url)
        problems += found
        seen |= {BY_MARKER[m] for m in MARKER.findall(html) if m in BY_MARKER}
        names = page.evaluate(QUERY_NAMES)
        if names and name not in LAST:
            problems += check_page(page, f"{url}?{urlencode(dict.fromkeys(names, REFLECTED))}")[0]
            reflected += 1
    print(f"{len(swept)} pages, {reflected} of them again with hostile query parameters")
    return swept, problems, seen


ROLES = ["ministry", "admin", "kanagawa", "sagamihara", "anonymous"]


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_stored_text_runs_on_any_page_of_any_role(page, cast, round_, orgs):
    pages = urls(seed_every_page(round_, orgs, cast, bulk_zip=hostile_zip(round_, orgs)), sweep="stored-XSS sweep")
    plant(cast)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(f"{page.url}: {dialog.message}"), dialog.dismiss()))
    # Every role signs in with a hostile User-Agent: the audit log stores it from a real request.
    page.set_extra_http_headers({"User-Agent": PAYLOADS["survey.AuditLog.user_agent"]})
    problems, seen = [], set()
    for role in ROLES:
        page.context.clear_cookies()
        if role != "anonymous":
            log_in(page, cast[role])
        swept, found, shown = sweep(page, pages)
        print(f"stored-XSS sweep: {role}: payloads of {len(shown)} fields shown")
        assert len(swept) >= {"anonymous": 4, "sagamihara": 10}.get(role, 20), f"only {swept} swept for {role}"
        problems += [f"{role} {p}" for p in found]
        seen |= shown
    assert dialogs == []
    assert problems == [], "\n".join(problems)
    # Each payload was shown on some page, or the sweep proved nothing for it.
    assert STORED_TEXTS.keys() - seen - SHOWN_NOWHERE.keys() == set(), "payloads shown on no page"
    assert seen & SHOWN_NOWHERE.keys() == set(), "shown after all: remove it from SHOWN_NOWHERE"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_checks_see_an_unescaped_payload(page):
    """The page checks are not vacuous: a page that prints the payloads raw fails each of them."""
    raw = "".join(f"<p>{PAYLOADS[field]}</p>" for field in ("survey.Round.title", "survey.Organization.name",
                                                            "survey.Organization.prefecture_name", "survey.User.email"))
    page.route("**/raw-probe/", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=f"<!DOCTYPE html><html><body>{raw}</body></html>",
        headers={"Content-Security-Policy": "default-src 'self'; script-src 'self'"}))
    problems, _ = check_page(page, "/raw-probe/")
    text = "\n".join(problems)
    assert "created IMG onerror" in text and '<img src="x"' in text and "created <b>Zq" in text
    assert "created svg onload" in text.lower() and "created <script>" in text
    assert "survey.Round.title: shown" in text and "script-src" in text
    page.csp_violations.clear()  # expected here: the fixture would otherwise fail the test
