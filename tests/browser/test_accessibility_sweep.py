"""Every HTML page each role can open, checked with axe: no serious or critical violation.

Like tests/security/test_access_sweep.py, the pages come from the project's URL patterns, so a
new page is swept automatically; a URL whose arguments the sweep cannot fill fails the test.
Each pattern is tried with every seeded value of its arguments (each organisation, version, job
...): what the role may not open (403, 404, 405, a redirect elsewhere) and what is not HTML
(downloads, JSON, CSV) is skipped. The violations of every page are collected and reported once.
"""
import io
import itertools
import re
import zipfile
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from tests.cast import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESPONDENT = {
    "担当部署名": "福祉局 生活福祉課", "回答責任者役職": "生活福祉課長", "回答責任者氏名": "相模 太郎",
    "連絡先氏名": "相模原 市郎", "電話番号": "042-754-1111", "メールアドレス": "fukushi@city.sagamihara.example.jp",
}
LONG_PATH = {
    "1-1": "1", "2": "3", "2:予定年月": "2024-03", "3": "1", "4": "1", "5": "2", "6": ["1", "2"],
    "7-1": "2", "7-2": "1", "7-3": "1", "7-4": ["2", "3"], "8-1": "1",
    "8-1:概要": "追加の本人確認情報を用い、複数担当者で確認する。", "8-2": "1", "9": "1", "10": "2",
    "10:概要": "令和4年に1件。原因を特定し改善済み。",
}
SHORT_PATH = {"1-1": "2", "2": "1", "3": "2", "6": ["1", "2"], "7-1": "1", "7-2": "2", "9": "1", "10": "1"}
# Pages for which a redirect keeps the page: the set-password links swap the token for a session one.
PUBLIC = ("login", "password_reset", "password_reset_done", "password_reset_complete",
          "account_activate", "password_reset_confirm")
LAST = ("logout",)  # swept last, whatever it does to the session
# Each page at a desktop width and at a phone's (JIS X 8341-3 reflow: tables scroll in their own region).
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


# --- the URLs -----------------------------------------------------------------------------------


def _patterns(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name, entry


def _urls(ctx: dict) -> list[tuple[str, str]]:
    """(name, url) of every pattern with every combination of the seeded argument values."""
    urls, unfillable = [], []
    for name, pattern in _patterns():
        params = re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))
        missing = [p for p in params if p not in ctx]
        if missing:
            unfillable.append(f"{name} ({', '.join(missing)})")
            continue
        for values in itertools.product(*(ctx[p] for p in params)):
            urls.append((name, reverse(name, kwargs=dict(zip(params, values, strict=True)))))
    if unfillable:
        pytest.fail("accessibility sweep: URL arguments it cannot fill; add them to the sweep: "
                    + "; ".join(unfillable))
    urls.sort(key=lambda pair: pair[0] in LAST)
    return urls


# --- the data -----------------------------------------------------------------------------------


def _run(job):
    """Jobs run eagerly in tests; run one here if it has not (and insist that it finished)."""
    from survey.jobs import run_job

    job.refresh_from_db()
    if not job.is_finished:
        run_job(job.pk)
        job.refresh_from_db()
    assert job.status == job.Status.DONE, (job.kind, job.status, job.messages)
    return job


def _answers(round_, orgs, cast):
    """相模原市 submitted (with follow-up texts and a file), 横浜市 a draft."""
    from survey.services.attachments import attachments_add
    from survey.services.responses import response_save

    target = round_.targets.select_related("round__survey", "organization").get(organization=orgs["141500"])
    respondent = {"組織区分": "市区町村", "組織名": "14神奈川県相模原市", **RESPONDENT}
    response_save(target=target, answers=SHORT_PATH, respondent=respondent, acting_user=cast["sagamihara"])
    attachment = attachments_add(target=target, purpose="procedure_document",
                                 files=[("事務処理要領.txt", "本人確認の手順".encode())],
                                 acting_user=cast["sagamihara"]).added[0]
    attachments_add(target=target, purpose="followup", followup_key="10:概要",
                    files=[("事例報告.txt", "事例の詳細".encode())], acting_user=cast["sagamihara"])
    response_save(target=target, answers=LONG_PATH, respondent=respondent, acting_user=cast["sagamihara"], submit=True)
    draft = round_.targets.select_related("round__survey", "organization").get(organization=orgs["141003"])
    response_save(target=draft, answers={"1-1": "2", "3": "1"}, respondent={"担当部署名": "健康福祉局"},
                  acting_user=cast["yokohama"])
    return attachment


def _sheet_zip(round_, orgs) -> bytes:
    from survey.models import RoundTarget
    from survey.services.sheets import sheet_context
    from survey.workbook import write_answer_sheet

    target = RoundTarget.objects.select_related("round__survey", "organization").get(round=round_, organization=orgs["142042"])
    respondent = {**RESPONDENT, "組織区分": target.organization.section_label,
                  "組織名": target.organization.display_name}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("鎌倉市.xlsx", write_answer_sheet(round_.survey.engine, context=sheet_context(target),
                                                     answers=SHORT_PATH, respondent=respondent))
        zf.writestr("壊れた.xlsx", b"not a workbook")
    return out.getvalue()


def _jobs(round_, orgs, cast, snapshot) -> list[int]:
    """A finished job of every kind, made by each role that can start it."""
    from aggregation.services import export_start
    from survey.services import reminders
    from survey.services.sheets import sheets_export_job_create, sheets_import_job_create

    jobs = [
        export_start(round=round_, acting_user=cast["ministry"]),
        export_start(round=round_, acting_user=cast["admin"], snapshot=snapshot, fmt="csv"),
        export_start(round=round_, acting_user=cast["kanagawa"], prefecture="14"),
        sheets_export_job_create(round=round_, acting_user=cast["ministry"]),
        sheets_import_job_create(uploads=[("返送分.zip", _sheet_zip(round_, orgs))], acting_user=cast["admin"]),
    ]
    for who in ("ministry", "kanagawa"):
        plan = reminders.reminder_plan(round=round_, user=cast[who], filters=reminders.Filters(include_recent=True))
        jobs.append(reminders.reminders_send(plan=plan, fingerprint=plan.fingerprint, acting_user=cast[who]))
    return [_run(job).pk for job in jobs]


def _seed(round_, orgs, cast) -> dict:
    """Realistic data for every page, and the values of every URL argument."""
    from aggregation.services import snapshot_create
    from survey.services.accounts import user_invite

    attachment = _answers(round_, orgs, cast)
    snapshot = snapshot_create(round=round_, acting_user=cast["ministry"], label="第1回確定")
    invited = user_invite(email="officer@city.kamakura.example.jp", name="鎌倉 倉子", role="officer",
                          organization=orgs["142042"], acting_user=cast["admin"])
    uidb64 = urlsafe_base64_encode(force_bytes(invited.pk))
    return {
        "round_id": [round_.pk], "org_code": ["141500", "141003", "140007"], "code": ["141500"],
        "number": [1, 2], "n": [1, 2], "job_id": _jobs(round_, orgs, cast, snapshot),
        "attachment_id": [attachment.pk], "snapshot_id": [snapshot.pk],
        "pk": [cast["yokohama"].pk, invited.pk], "user_id": [cast["yokohama"].pk],
        "uidb64": [uidb64], "token": [default_token_generator.make_token(invited)],
    }


# --- the sweep ----------------------------------------------------------------------------------


def log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def _same_page(name: str, location: str) -> bool:
    """Whether a redirect stays on the page asked for (e.g. a set-password link's token swap)."""
    try:
        return resolve(urlsplit(location).path).view_name == name
    except Exception:  # a redirect off the site, or to a path that resolves to nothing
        return False


def _is_html(page, name: str, url: str) -> bool:
    """Whether `url` answers this role with an HTML page (asked without the browser: no downloads)."""
    response = page.request.get(url, max_redirects=0)
    if response.status in (301, 302, 303):
        return _same_page(name, response.headers.get("location", ""))
    return response.status == 200 and response.headers.get("content-type", "").startswith("text/html")


def sweep(page, urls, assert_accessible) -> tuple[list[str], list[str]]:
    """Check every HTML page of `urls` the page's user can open, at each viewport; (pages, failures)."""
    swept, failures = [], []
    for name, url in urls:
        if not _is_html(page, name, url):
            continue
        swept.append(url)
        for viewport_name, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            page.goto(url)
            try:
                assert_accessible(page)
            except pytest.fail.Exception as failure:
                failures.append(f"{name} ({viewport_name}): {failure}")
    return swept, failures


@pytest.mark.parametrize("role", ["ministry", "admin", "kanagawa", "sagamihara", "anonymous"])
def test_every_page_a_role_can_open_is_accessible(page, cast, round_, orgs, role, assert_accessible):
    urls = _urls(_seed(round_, orgs, cast))
    if role != "anonymous":
        log_in(page, cast[role])
    swept, failures = sweep(page, urls, assert_accessible)
    print(f"accessibility sweep: {role} {len(swept)} pages: {' '.join(swept)}")
    assert len(swept) >= {"anonymous": 4, "sagamihara": 10}.get(role, 20), f"only {swept} swept for {role}"
    assert failures == [], "\n".join(failures)


# --- keyboard -----------------------------------------------------------------------------------

FOCUSED = """() => {
  const el = document.activeElement;
  const item = el && el.closest('[data-item]');
  return {tag: el.tagName, type: el.type || '', value: el.value || '', text: (el.textContent || '').trim(),
          item: item ? item.dataset.item : ''};
}"""
UNNAMED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(el => el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby') && !el.title
                && !(el.tagName === 'BUTTON' && el.textContent.trim())
                && !(el.type === 'submit' && el.value))
  .map(el => el.outerHTML.slice(0, 120))"""


def test_questionnaire_is_reachable_by_keyboard(page, cast, round_, assert_accessible):
    log_in(page, cast["sagamihara"])
    page.goto(reverse("response_edit", kwargs={"round_id": round_.pk, "org_code": "141500"}))
    expect(page.get_by_role("heading", level=1)).to_contain_text("回答の入力")
    assert page.evaluate(UNNAMED) == []
    reached = {"first radio of Q1-1": False, "下書き保存": False}
    for _ in range(400):
        page.keyboard.press("Tab")
        el = page.evaluate(FOCUSED)
        if el["item"] == "1-1" and el["type"] == "radio" and el["value"] == "1":
            reached["first radio of Q1-1"] = True
        if el["tag"] == "BUTTON" and el["text"] == "下書き保存" or el["type"] == "submit" and el["value"] == "下書き保存":
            reached["下書き保存"] = True
        if all(reached.values()):
            break
    assert all(reached.values()), reached
    assert_accessible(page)
