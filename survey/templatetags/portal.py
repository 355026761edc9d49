"""Template helpers of the answering pages: state and risk badges, dates in Japanese."""
from django import template
from django.utils import timezone
from django.utils.html import format_html

from survey.models import ResponseState, ResponseStatus, ReviewState
from survey.selectors import STATUS_NOT_STARTED

register = template.Library()

REEDITING = "reediting"
STATE_LABELS = {
    STATUS_NOT_STARTED: "未着手",
    ResponseStatus.DRAFT: "下書き",
    ResponseStatus.SUBMITTED: "提出済",
    REEDITING: "提出済（再編集中）",
    ResponseState.RETURNED: "差し戻し中",
    ResponseState.APPROVED: "承認済",
}


def state_key(status, current_id, submitted_id, review="") -> str:
    """未着手 / 下書き / 提出済 / 差し戻し中 / 承認済, or 再編集中 when a draft is newer than the
    submitted version (of a response neither returned nor approved)."""
    if not status:
        return STATUS_NOT_STARTED
    if status == ResponseStatus.SUBMITTED and review in (ReviewState.RETURNED, ReviewState.APPROVED):
        return review
    if status == ResponseStatus.SUBMITTED and current_id != submitted_id:
        return REEDITING
    return status


@register.simple_tag
def response_state(response) -> str:
    """State key of a Response (None: not started)."""
    if response is None:
        return STATUS_NOT_STARTED
    return state_key(response.status, response.current_version_id, response.submitted_version_id, response.review)


@register.simple_tag
def target_state(target) -> str:
    """State key of a target annotated by selectors.targets_with_status."""
    return state_key(target.resp_status, target.resp_current, target.resp_submitted, target.resp_review)


@register.simple_tag
def state_badge(key: str):
    return format_html('<span class="status-badge status-{}">{}</span>', key, STATE_LABELS.get(key, key))


@register.simple_tag
def risk_badge(level: str, label: str):
    if not level:
        return ""
    return format_html('<span class="status-badge risk-{}">{}</span>', level, label or level)


@register.filter
def jdatetime(value) -> str:
    """2025年7月21日 17:00 in local time."""
    if not value:
        return ""
    value = timezone.localtime(value)
    return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"


@register.filter
def jdate(value) -> str:
    if not value:
        return ""
    value = timezone.localtime(value)
    weekday = "月火水木金土日"[value.weekday()]
    return f"{value.year}年{value.month}月{value.day}日（{weekday}）"


@register.filter
def risk_label(level: str, definition) -> str:
    """The definition's label of a risk level id."""
    return next((lv.label for lv in definition.risk_levels if lv.id == level), level)


@register.simple_tag
def anchor_threads(threads, kind: str, key: str = "") -> list:
    """The review threads of one item (`kind` "item"), respondent field ("field") or of the whole
    response ("response"), from selectors.threads_by_anchor; [] on pages without threads."""
    if not threads:
        return []
    return threads.get(f"{kind}:{key}" if key else kind, [])
