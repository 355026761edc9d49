"""Reviewing a submitted response: the review page, return with comments, approve, reopen, reply.

Reviewers are fetched through survey.access.target_get_for_review (404 for an organisation the
user cannot read, 403 for one it reads but does not review); replies through
`access.can_discuss_review` (the reviewers and those who answer the response). Approving,
returning and reopening each show a confirmation before they act.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from survey import access, selectors
from survey.audit import Action, audit
from survey.forms.presenting import answer_rows, respondent_rows
from survey.forms.questionnaire_html import decorate_answer_rows
from survey.forms.review import BACK_PAGES, ReasonForm, ReplyForm, ReturnForm, anchor_label
from survey.models import ResponseState, ReviewThread
from survey.services import review as service
from survey.views.attachments import read_panel


def _reviewed(request, round_id: int, org_code: str):
    """(target, response) the user reviews; the response may be None or not submitted."""
    target = access.target_get_for_review(request.user, round_id, org_code)
    return target, access.response_of(target)


def _page(request, target, response, *, form=None, status=200):
    defn, org = target.round.survey.engine, target.organization
    version = response.submitted_version if response else None
    audit(Action.VIEW_RESPONSE, actor=request.user, request=request, organization=org,
          target=f"round:{target.round_id}/org:{org.code}/review" + (f"/v{version.number}" if version else ""))
    state = selectors.response_state(response)
    context = {
        "round": target.round, "target": target, "org": org, "response": response, "version": version,
        "state": state, "threads": selectors.threads_by_anchor(response), "reply_back": "review",
        "can_reply": True, "return_form": None,
    }
    if version is not None:
        rows = answer_rows(defn, org.engine_kind, version.answers)
        decorate_answer_rows(rows, defn)
        context |= {
            "rows": rows,
            "respondent": respondent_rows(defn, version.respondent),
            "risk_label": {lv.id: lv.label for lv in defn.risk_levels}.get(version.risk_level, ""),
            "attachment_rows": read_panel(target, response, version),
        }
    if state in (ResponseState.SUBMITTED, ResponseState.RETURNED):
        context["return_form"] = form or ReturnForm(target=target, anchor=request.GET.get("anchor", ""))
    return render(request, "survey/review/review.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def response_review(request, round_id: int, org_code: str):
    """The submitted version with its comment threads, the return form and the decisions."""
    target, response = _reviewed(request, round_id, org_code)
    return _page(request, target, response)


@login_required
@require_POST
def response_return(request, round_id: int, org_code: str):
    """差し戻し: first a confirmation listing the comments, then (confirmed) the return."""
    target, response = _reviewed(request, round_id, org_code)
    form = ReturnForm(request.POST, target=target)
    if not form.is_valid():
        return _page(request, target, response, form=form, status=400)
    comments = form.comments()
    if "confirmed" not in request.POST:
        return render(request, "survey/review/return_confirm.html", {
            "round": target.round, "target": target, "org": target.organization, "form": form,
            "comments": [(anchor_label(target, c.anchor.value), c.body) for c in comments],
            "seen": _seen(request),
        })
    try:
        service.response_return(target=target, comments=comments, acting_user=request.user,
                                seen_version=_seen(request), request=request)
    except service.ReviewRefused as exc:
        messages.error(request, str(exc))
        return redirect("response_review", round_id=round_id, org_code=org_code)
    messages.success(request, f"{target.organization.name}の回答を差し戻しました（コメント{len(comments)}件）。")
    return redirect("response_review", round_id=round_id, org_code=org_code)


@login_required
@require_http_methods(["GET", "POST"])
def response_approve(request, round_id: int, org_code: str):
    """Confirm, then approve (承認): the response is locked for its officers."""
    target, response = _reviewed(request, round_id, org_code)
    if request.method == "POST":
        try:
            service.response_approve(target=target, acting_user=request.user, seen_version=_seen(request),
                                     request=request)
        except service.ReviewRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{target.organization.name}の回答を承認しました。")
        return redirect("response_review", round_id=round_id, org_code=org_code)
    return _decision_page(request, target, response, "approve")


@login_required
@require_http_methods(["GET", "POST"])
def response_reopen(request, round_id: int, org_code: str):
    """承認の取り消し, with a reason: back to 提出済, editable again."""
    target, response = _reviewed(request, round_id, org_code)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service.response_reopen(target=target, reason=form.cleaned_data["reason"], acting_user=request.user,
                                    request=request)
        except service.ReviewRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{target.organization.name}の回答の承認を取り消しました。")
        return redirect("response_review", round_id=round_id, org_code=org_code)
    return _decision_page(request, target, response, "reopen", form=form, status=400 if form.errors else 200)


def _seen(request) -> int | None:
    """The submitted version number the reviewer's page showed (the forms post it as `version`)."""
    value = request.POST.get("version", "")
    return int(value) if value.isascii() and value.isdigit() else None


def _decision_page(request, target, response, decision: str, *, form=None, status=200):
    return render(request, "survey/review/decision_confirm.html", {
        "round": target.round, "target": target, "org": target.organization, "response": response,
        "state": selectors.response_state(response), "decision": decision, "form": form,
    }, status=status)


@login_required
@require_POST
def thread_reply(request, round_id: int, org_code: str, thread_id: int):
    """A reply in an open thread, by the officer or a reviewer; back to the page it came from."""
    target = access.target_get_for_user(request.user, round_id, org_code)
    if not access.can_discuss_review(request.user, target):
        raise PermissionDenied("このコメントに返信する権限がありません。")
    response = access.response_of(target)
    if response is None:
        raise Http404
    thread = get_object_or_404(ReviewThread, pk=thread_id, response=response)
    form = ReplyForm(request.POST)
    back = form.data.get("back") if form.data.get("back") in BACK_PAGES else "detail"
    if back == "review" and not access.can_review(request.user, target.organization):
        back = "detail"
    if form.is_valid():
        try:
            service.comment_reply(target=target, thread=thread, body=form.cleaned_data["body"],
                                  acting_user=request.user, request=request)
        except service.ReviewRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "返信しました。")
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    url = reverse(BACK_PAGES[back], kwargs={"round_id": round_id, "org_code": org_code})
    return redirect(f"{url}#thread-{thread.pk}")
