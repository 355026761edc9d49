"""Every HTML page each role can open, checked with axe: no serious or critical violation.

Like tests/security/test_access_sweep.py, the pages come from the project's URL patterns
(tests/sweep.py), so a new page is swept automatically; a URL whose arguments the sweep cannot
fill fails the test. Each pattern is tried with every seeded value of its arguments (each
organisation, version, job ...): what the role may not open (403, 404, 405, a redirect elsewhere)
and what is not HTML (downloads, JSON, CSV) is skipped. The violations of every page are
collected and reported once.
"""
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.sweep import is_html, log_in, seed_every_page, urls

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each page at a desktop width and at a phone's (JIS X 8341-3 reflow: tables scroll in their own region).
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


# --- the sweep ----------------------------------------------------------------------------------


def sweep(page, urls, assert_accessible) -> tuple[list[str], list[str]]:
    """Check every HTML page of `urls` the page's user can open, at each viewport; (pages, failures)."""
    swept, failures = [], []
    for name, url in urls:
        if not is_html(page, name, url):
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
    pages = urls(seed_every_page(round_, orgs, cast), sweep="accessibility sweep")
    if role != "anonymous":
        log_in(page, cast[role])
    swept, failures = sweep(page, pages, assert_accessible)
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
