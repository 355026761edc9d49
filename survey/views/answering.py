"""Answering: home, round status list, response pages, the questionnaire and submission.

Every organisation-scoped fetch goes through survey.access; writes go through one service.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from survey import access, selectors
from survey.audit import Action, audit
from survey.forms.answering import (
    DelegationForm,
    QuestionnaireForm,
    StatusFilterForm,
    SubmitForm,
    conflict_rows,
    form_data,
    full_issues,
)
from survey.forms.carryover import decorate_rows, item_marks, own_changes
from survey.forms.presenting import (
    answer_rows,
    branching_data,
    cleared_message,
    intro_guidance,
    key_labels,
    respondent_rows,
)
from survey.forms.questionnaire_html import (
    answers_table_html,
    attachment_forms_html,
    decorate_answer_rows,
    decorate_fields,
    decorate_items,
    hidden_input_html,
    history_rows_html,
    joined_parts,
    respondent_table_html,
)
from survey.models import ResponseState
from survey.services.attachments import StoredFiles, stored_files
from survey.services.locks import ResponseApproved
from survey.services.next_round import carried_answers, response_carry_over
from survey.services.responses import ResponseConflict, ResponseInvalid, RoundClosed, response_save
from survey.services.rounds import target_set_delegated
from survey.views.attachments import attachment_slots, edit_panel, live_panel, read_panel
from survey.views.decorators import target_for_user

STATUS_PAGE_SIZE = 50
HOME_CLOSED_SHOWN = 20  # the ministry's older rounds stay in 調査回の管理
DEADLINE_PASSED = "回答期限を過ぎているため、回答の入力・提出はできません。"
# After a form sent past the deadline: what was typed is kept by the browser (static/js/answer-keeper.js).
TYPED_KEPT = ("送信した入力内容は保存されていませんが、このブラウザーに残っています。"
              "回答期限が延長されるなどして再び入力できるようになると、入力画面で復元されます。")


def _own_target(user, rnd):
    """The user's own organisation's target in `rnd` and its response, or (None, None)."""
    own = access.own_organization(user)
    if rnd is None or own is None:
        return None, None
    try:
        return access.target_and_response_for_user(user, rnd.pk, own.code)
    except Http404:
        return None, None


@login_required
def home(request):
    """The start page: by role, every round still taking answers, then the closed ones."""
    user = request.user
    if access.sees_whole_country(user):
        current, closed = selectors.home_rounds(user, closed_limit=HOME_CLOSED_SHOWN)
        return render(request, "survey/home_ministry.html", {
            "current": [(rnd, selectors.status_counts(round=rnd, user=user)) for rnd in current],
            "closed": [(rnd, selectors.status_counts(round=rnd, user=user)) for rnd in closed],
        })
    current, closed = selectors.home_rounds(user)
    context = {
        "current": [_officer_entry(user, rnd, current=True) for rnd in current],
        "closed": [_officer_entry(user, rnd, current=False) for rnd in closed],
    }
    if access.prefecture_of(user):  # the menu's round (survey.context_processors), from the rounds just read
        context["nav_round"] = (current or closed or [None])[0]
    return render(request, "survey/home_officer.html", context)


def _officer_entry(user, rnd, *, current: bool) -> dict:
    """One round on an officer's home: the own organisation's target and response, and for a
    prefecture officer the counts (and, while the round is open, the list) of its municipalities."""
    target, response = _own_target(user, rnd)
    entry = {"round": rnd, "target": target, "response": response,
             "can_answer": bool(target and access.can_answer_for(user, target) and target.accepts_answers
                                and selectors.response_state(response) != ResponseState.APPROVED)}
    if access.prefecture_of(user):
        entry["counts"] = selectors.status_counts(round=rnd, user=user)
        if current:
            entry["municipalities"] = selectors.targets_with_status(round=rnd, user=user).exclude(
                organization=user.organization)
    return entry


@login_required
def round_status(request, round_id: int):
    """The round's targets the user may see, with their state; filters and pages."""
    rnd = access.round_get_for_user(request.user, round_id)
    filters = StatusFilterForm(request.GET, user=request.user)
    targets = selectors.targets_with_status(round=rnd, user=request.user, **filters.values())
    page = Paginator(targets, STATUS_PAGE_SIZE).get_page(request.GET.get("page"))
    for target in page:
        target.can_manage = access.can_manage_delegation(request.user, target)
    return render(request, "survey/round_status.html", {
        "round": rnd, "filters": filters, "page": page,
        "counts": selectors.status_counts(round=rnd, user=request.user),
        "extensions": selectors.extensions_visible_to(round=rnd, user=request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
@target_for_user()
def target_delegation(request, target):
    """Confirm, then mark (or unmark) a municipality as answered by its prefecture."""
    if not access.can_manage_delegation(request.user, target):
        raise PermissionDenied("代理回答を設定する権限がありません。")
    form = DelegationForm(request.POST or None, initial={"delegated": not target.delegated})
    if request.method == "POST" and form.is_valid():
        target_set_delegated(target=target, delegated=form.cleaned_data["delegated"],
                             acting_user=request.user, request=request)
        done = "代理回答の対象にしました" if target.delegated else "代理回答の対象から外しました"
        messages.success(request, f"{target.organization.name}を{done}。")
        return redirect("round_status", round_id=target.round_id)
    return render(request, "survey/delegation_confirm.html", {"target": target, "form": form,
                                                              "round": target.round})


def _response_page(request, target, response, version, *, history: bool):
    """Read-only page of one version (or of nothing yet); writes the VIEW_RESPONSE audit row."""
    defn = target.round.survey.engine
    org = target.organization
    audit(Action.VIEW_RESPONSE, actor=request.user, request=request, organization=org,
          target=f"round:{target.round_id}/org:{org.code}" + (f"/v{version.number}" if version else ""))
    # The reverse relation hands each version its response (no read for is_proxy's comparison).
    versions, more = selectors.history_listing(response, every=request.GET.get("history") == "all")
    listed = next((v for v in versions if version is not None and v.pk == version.pk), None)
    if version is not None:
        version.response = response
    if listed is not None:  # who acted, for which organisation, as read with the list: no second read
        version.created_by, version.acting_organization = selectors.version_actors(listed)
    context = {
        "round": target.round, "target": target, "org": org, "response": response, "version": version,
        "is_history": history,
        "versions": versions,
        "history_rows": history_rows_html(versions, version, target.round_id, org.code),
        "history_more": more, "history_shown": selectors.HISTORY_SHOWN,
        "can_answer": (access.can_answer_for(request.user, target) and target.accepts_answers
                       and selectors.response_state(response) != ResponseState.APPROVED),
        "deadline_passed": not target.accepts_answers,
        "attachment_rows": read_panel(target, response, version, history=history),
    } | _review_context(request, target, response, back="" if history else "detail")
    if version is not None:
        context["rows"] = answer_rows(defn, org.engine_kind, version.answers)
        decorate_answer_rows(context["rows"], defn)
        context["respondent"] = respondent_rows(defn, version.respondent)
        context["risk_label"] = {lv.id: lv.label for lv in defn.risk_levels}.get(version.risk_level, "")
        context["cleared_labels"] = key_labels(defn, version.cleared_items)
        if not context["threads"]:  # nothing between the rows: each table's rows in one string
            context["answer_rows_html"] = answers_table_html(context["rows"])
            context["respondent_rows_html"] = respondent_table_html(context["respondent"])
    return render(request, "survey/response_detail.html", context)


@login_required
def response_detail(request, round_id: int, org_code: str):
    """The response as it counts: the submitted version, else the current draft."""
    target, response = access.target_and_response_for_user(request.user, round_id, org_code)
    version = (response.submitted_version or response.current_version) if response else None
    return _response_page(request, target, response, version, history=False)


@login_required
def response_version(request, round_id: int, org_code: str, number: int):
    """Any kept version of the response."""
    target, response = access.target_and_response_for_user(request.user, round_id, org_code)
    if response is None:
        raise Http404
    version = get_object_or_404(selectors.versions_of(response), number=number)
    return _response_page(request, target, response, version, history=True)


def _review_context(request, target, response, *, back: str) -> dict:
    """Comment threads beside the items, who may reply (and come back to `back`), and review links."""
    return {"threads": selectors.threads_by_anchor(response), "reply_back": back,
            "can_reply": access.can_discuss_review(request.user, target),
            "can_review": access.can_review(request.user, target.organization)}


def _writable_target(request, round_id: int, org_code: str):
    """The target the user may write; None after the deadline, with a notice."""
    target = access.target_get_for_user(request.user, round_id, org_code, for_write=True)
    return target if _accepts_answers(request, target) else None


def _accepts_answers(request, target) -> bool:
    """False after the deadline, with a notice."""
    if not target.accepts_answers:
        messages.warning(request, DEADLINE_PASSED + (TYPED_KEPT if request.method == "POST" else ""))
        return False
    return True


def _writable(request, round_id: int, org_code: str):
    """The target the user may write and its response (one query); (None, None) after the deadline
    or once approved, with a notice."""
    target, response = access.target_and_response_for_user(request.user, round_id, org_code, for_write=True)
    if not _accepts_answers(request, target):
        return None, None
    if selectors.response_state(response) == ResponseState.APPROVED:
        messages.info(request, str(ResponseApproved()))
        return None, None
    return target, response


def _carry_context(target, response) -> dict:
    """Next round: the previous round, the 変更あり marks and, for a carried draft, its notices."""
    previous = target.round.previous_round
    if previous is None:
        return {"marks": {}}
    context = {"previous_round": previous, "marks": item_marks(previous.survey.engine, target.round.survey.engine)}
    if response is not None and response.carried_from_id is not None:
        context["carried_from"] = response.carried_from
        context["carry_notices"] = carried_answers(target, response.carried_from).notices
    return context


def _edit_page(request, target, form, *, response, status=200, conflict=None, files: StoredFiles | None = None):
    """The questionnaire page; `response` as the request last read or wrote it (fetched through
    survey.access, or None when not started), `files` its files when already read."""
    defn = target.round.survey.engine
    carry = _carry_context(target, response)
    attachments = edit_panel(target, files if files is not None else stored_files(response))
    items = form.item_views()
    decorate_rows(items, carry["marks"])
    decorate_items(items, defn, attachment_slots(attachments, target))
    fields = form.respondent_views()
    decorate_fields(fields, defn)
    threads = selectors.threads_by_anchor(response, open_only=True)
    return render(request, "survey/response_edit.html", carry | {
        "round": target.round, "target": target, "org": target.organization, "form": form,
        "guidance": intro_guidance(defn, target.organization.engine_kind),
        "items": items, "respondent_fields": fields,
        "indicators": form.indicators(), "rules": branching_data(defn, target.organization.engine_kind),
        "is_proxy": target.organization != request.user.organization,
        "conflict": conflict,
        "revision_input": hidden_input_html(form["base_revision"]),
        "attachments": attachments,
        "attachment_forms": attachment_forms_html(attachments, get_token(request)),
        "threads": threads,
        # without threads between them, each item's and field's parts in one string (no template loop)
        "items_html": None if threads else joined_parts(items),
        "respondent_html": None if threads else joined_parts(fields),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def response_edit(request, round_id: int, org_code: str):
    """The questionnaire: 下書き保存 (draft, incomplete allowed) or 確認へ進む (full check)."""
    if request.method == "POST":
        return _edit_post(request, round_id, org_code)
    target, response = _writable(request, round_id, org_code)
    if target is None:
        return redirect("response_detail", round_id=round_id, org_code=org_code)
    if response is None or response.current_version_id is None:
        # Next round: the first visit starts from the previous round's answers (a carried draft).
        if response_carry_over(target=target, acting_user=request.user, request=request) is not None:
            response = access.response_of(target)
    current = response.current_version if response else None
    files = stored_files(response)
    data = form_data(target, current, response.revision if response else 0)
    return _edit_page(request, target, QuestionnaireForm(data, target=target, attached=files.followup_keys),
                      response=response, files=files)


def _edit_post(request, round_id: int, org_code: str):
    """A save from the questionnaire. The response is read once, locked, by the service (which
    refuses an approved one and says which files it counted); the page reads it again only when
    it is shown again."""
    target = _writable_target(request, round_id, org_code)
    if target is None:
        return redirect("response_detail", round_id=round_id, org_code=org_code)
    form = QuestionnaireForm(request.POST, target=target)
    if not form.is_valid():
        return _edit_again(request, target, form, status=400)
    try:
        outcome = form.save(acting_user=request.user, request=request)
    except RoundClosed:  # the deadline passed while the page was open
        messages.warning(request, DEADLINE_PASSED + TYPED_KEPT)
        return redirect("response_detail", round_id=round_id, org_code=org_code)
    except ResponseApproved as exc:
        messages.info(request, str(exc))
        return redirect("response_detail", round_id=round_id, org_code=org_code)
    except ResponseConflict as exc:
        return _edit_again(request, target, form, status=409, conflict=exc)
    if outcome is None:
        return _edit_again(request, target, form, status=400)
    if outcome.cleared:
        messages.warning(request, cleared_message(form.defn, outcome.cleared))
    if "to_confirm" not in request.POST:
        messages.success(request, "下書きを保存しました。")
        return redirect("response_edit", round_id=round_id, org_code=org_code)
    issues = full_issues(target, outcome.version.answers, outcome.version.respondent, outcome.attached)
    if not issues:
        return redirect("response_confirm", round_id=round_id, org_code=org_code)
    form = QuestionnaireForm(form_data(target, outcome.version, outcome.version.number), target=target,
                             attached=outcome.attached)
    form.add_issues(issues)
    messages.info(request, "下書きとして保存しました。提出の前に、次の項目を修正してください。")
    return _edit_page(request, target, form, response=access.response_of(target), status=400)


def _edit_again(request, target, form, *, status: int, conflict: ResponseConflict | None = None):
    """The questionnaire again with what was sent (errors, or a conflict shown beside it), for the
    response as it is now; an approved response is not edited (as `_writable`)."""
    response = access.response_of(target)
    if selectors.response_state(response) == ResponseState.APPROVED:
        messages.info(request, str(ResponseApproved()))
        return redirect("response_detail", round_id=target.round_id, org_code=target.organization.code)
    files = stored_files(response)
    form.attached = files.followup_keys
    shown = None
    if conflict is not None:
        form = form.rebased(conflict.current.number)
        shown = {"current": conflict.current, "rows": conflict_rows(target, conflict, form.answers, form.respondent)}
    return _edit_page(request, target, form, response=response, status=status, conflict=shown, files=files)


@login_required
@require_http_methods(["GET", "POST"])
def response_confirm(request, round_id: int, org_code: str):
    """The current draft, read-only, with 提出する and 修正する."""
    target, response = _writable(request, round_id, org_code)
    if target is None:
        return redirect("response_detail", round_id=round_id, org_code=org_code)
    version = response.current_version if response else None
    if version is None:
        return redirect("response_edit", round_id=round_id, org_code=org_code)
    if response.submitted_version_id == version.pk:
        messages.info(request, "この内容は提出済みです。")
        return redirect("response_detail", round_id=round_id, org_code=org_code)
    form = SubmitForm(request.POST or None, initial={"base_revision": response.revision})
    if request.method == "POST" and form.is_valid():
        # the service checks completeness (with the files attached now, under the lock): an
        # incomplete draft falls through to this page, which lists what is missing
        try:
            response_save(target=target, answers=version.answers, respondent=version.respondent,
                          acting_user=request.user, submit=True,
                          base_revision=form.cleaned_data["base_revision"], request=request)
        except ResponseConflict as exc:
            who = exc.current.created_by.name if exc.current.created_by else "他の利用者"
            messages.error(request, f"{who}さんが{exc.current.created_at:%Y年%m月%d日 %H:%M}に回答を更新しました。"
                                    "最新の内容を確認してから提出してください。")
            return redirect("response_confirm", round_id=round_id, org_code=org_code)
        except ResponseInvalid:
            pass
        except RoundClosed:
            messages.warning(request, DEADLINE_PASSED)
            return redirect("response_detail", round_id=round_id, org_code=org_code)
        else:
            messages.success(request, "回答を提出しました。ご協力ありがとうございました。")
            return redirect("response_detail", round_id=round_id, org_code=org_code)
    files = stored_files(response)
    issues = full_issues(target, version.answers, version.respondent, files.followup_keys)
    defn = target.round.survey.engine
    rows = answer_rows(defn, target.organization.engine_kind, version.answers)
    carry = _carry_context(target, response)
    base = carry.get("carried_from")
    changes = own_changes(target.round.previous_round.survey.engine, defn, base.answers, version.answers) \
        if base is not None else None
    decorate_rows(rows, carry["marks"], changes)
    decorate_answer_rows(rows, defn)
    respondent = respondent_rows(defn, version.respondent)
    review = _review_context(request, target, response, back="confirm")
    if not review["threads"]:  # nothing between the rows: each table's rows in one string
        review |= {"answer_rows_html": answers_table_html(rows), "respondent_rows_html": respondent_table_html(respondent)}
    return render(request, "survey/response_confirm.html", carry | {
        "round": target.round, "target": target, "org": target.organization, "version": version,
        "rows": rows, "own_changes": list(changes.values()) if changes is not None else None,
        "respondent": respondent, "issues": issues, "form": form,
        "revision_input": hidden_input_html(form["base_revision"]),
        "is_proxy": target.organization != request.user.organization,
        "submission_guidance": [g for g in defn.guidance if g.place == "submission"],
        "attachment_rows": live_panel(target, files),
        **review,
    })
