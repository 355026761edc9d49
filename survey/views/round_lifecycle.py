"""The ministry manages a round through its states (campaign.md): 準備中 → 回答受付中 → 締切 → 確定.

One page per round (its state, what may be done now, its history) and one page per change,
each with a confirmation step before anything irreversible or visible to organisations.
Publishing and closing stay on survey.views.publish.round_status; finalising, which freezes the
figures in a snapshot, is aggregation's (aggregation.exports_views.round_finalise).
"""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from survey import selectors
from survey.forms.publish import ReopenForm, RoundEditForm, TargetsAddForm
from survey.models import Round, RoundStatus
from survey.services import notices
from survey.services import rounds as service
from survey.views.decorators import ministry_required

HISTORY_LABELS = {"status": "状態の変更", "edit": "内容の変更", "targets_added": "対象団体の追加",
                  "reopen": "再開", "finalise": "確定", "extension": "回答期限の延長",
                  "extension_withdrawn": "回答期限の延長の取消",
                  "notices_requested": "公開のお知らせの送信"}
FIELD_LABELS = {"title": "調査回名", "deadline": "回答期限", "scheme": "制度等", "attribute": "属性"}


def _round(round_id) -> Round:
    return get_object_or_404(Round.objects.select_related("survey"), pk=round_id)


def _history(rnd: Round) -> list[dict]:
    rows = []
    for row in selectors.round_history(rnd)[:100]:
        d = row.details
        change = d.get("change") or ("created" if d.get("created") else "status")
        rows.append({"at": row.at, "actor": row.actor_label, "label": HISTORY_LABELS.get(change, "作成"),
                     "status": RoundStatus(d["status"]).label if d.get("status") in RoundStatus.values else "",
                     "reason": d.get("reason", ""),
                     "fields": "、".join(FIELD_LABELS.get(f, f) for f in d.get("fields", {})),
                     "count": len(d.get("organizations", []))})
    return rows


@ministry_required
def round_detail(request, round_id):
    """The round's state, what may be done in it now, and its history."""
    rnd = _round(round_id)
    return render(request, "publish/round_detail.html", {
        "round": rnd, "target_count": rnd.targets.count(), "history": _history(rnd),
        "editable": rnd.status in service.EDITABLE, "reopens_to": service.REOPENS.get(rnd.status),
        "extensions": selectors.extensions_visible_to(round=rnd, user=request.user).count(),
    })


def _confirm_or_do(request, form, context, confirm_template, do):
    """POST without confirm=yes: the confirmation page; with it: `do()` (ValidationError → the form)."""
    if request.method == "POST" and form.is_valid() and "edit" not in request.POST:
        if request.POST.get("confirm") != "yes":
            return render(request, confirm_template, context)
        try:
            return do()
        except ValidationError as exc:
            form.add_error(None, exc)
    return None


@ministry_required
@require_http_methods(["GET", "POST"])
def round_edit(request, round_id):
    """Edit title and deadline (everything before publishing); confirmation first."""
    rnd = _round(round_id)
    initial = {"title": rnd.title, "deadline": rnd.deadline, "scheme": rnd.scheme, "attribute": rnd.attribute}
    form = RoundEditForm(request.POST or None, round=rnd, initial=initial)
    context = {"round": rnd, "form": form, "editable": rnd.status in service.EDITABLE}

    def do():
        data = form.cleaned_data
        service.round_update(round=rnd, title=data["title"], deadline=data["deadline"], scheme=data.get("scheme"),
                             attribute=data.get("attribute"), acting_user=request.user, request=request)
        messages.success(request, "調査回の内容を変更しました。")
        return redirect("publish:round_detail", round_id=rnd.pk)

    if context["editable"]:
        done = _confirm_or_do(request, form, context, "publish/round_edit_confirm.html", do)
        if done is not None:
            return done
    return render(request, "publish/round_edit.html", context, status=400 if form.errors else 200)


@ministry_required
@require_http_methods(["GET", "POST"])
def round_targets_add(request, round_id):
    """Add organisations to a round in preparation or open; confirmation first."""
    rnd = _round(round_id)
    form = TargetsAddForm(request.POST or None, round=rnd)
    context = {"round": rnd, "form": form, "editable": rnd.status in service.EDITABLE}

    def do():
        added = service.round_add_targets(round=rnd, organizations=form.cleaned_data["codes"],
                                          acting_user=request.user, request=request)
        messages.success(request, f"対象団体を {len(added)} 団体追加しました。")
        if rnd.status == RoundStatus.OPEN:  # tell the new targets' officers (only those not yet told)
            notices.notices_send(round=rnd, acting_user=request.user, request=request)
            messages.info(request, "追加した団体の担当者にお知らせを送ります。")
        return redirect("publish:round_detail", round_id=rnd.pk)

    if context["editable"]:
        done = _confirm_or_do(request, form, context, "publish/round_targets_confirm.html", do)
        if done is not None:
            return done
    return render(request, "publish/round_targets_add.html", context, status=400 if form.errors else 200)


@ministry_required
@require_http_methods(["GET", "POST"])
def round_reopen(request, round_id):
    """Reopen one step back (締切 → 回答受付中, 確定 → 締切) with a reason; confirmation first."""
    rnd = _round(round_id)
    reopens_to = service.REOPENS.get(rnd.status)
    form = ReopenForm(request.POST or None, round=rnd)
    context = {"round": rnd, "form": form, "reopens_to": reopens_to,
               "reopens_label": RoundStatus(reopens_to).label if reopens_to else ""}

    def do():
        service.round_reopen(round=rnd, reason=form.cleaned_data["reason"],
                             deadline=form.cleaned_data.get("deadline"), acting_user=request.user, request=request)
        messages.success(request, f"調査回「{rnd.title}」を「{context['reopens_label']}」に戻しました。")
        return redirect("publish:round_detail", round_id=rnd.pk)

    if reopens_to:
        done = _confirm_or_do(request, form, context, "publish/round_reopen_confirm.html", do)
        if done is not None:
            return done
    return render(request, "publish/round_reopen.html", context, status=400 if form.errors else 200)
