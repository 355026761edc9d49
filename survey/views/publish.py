"""The ministry publishes rounds: create (all active organisations as targets), open, close."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from survey import selectors
from survey.forms.publish import ExtensionForm, RoundForm
from survey.models import Organization, Round, RoundStatus, RoundTarget, SurveyVersion
from survey.services.notices import round_publish
from survey.services.rounds import (
    TRANSITIONS,
    round_create,
    round_set_status,
    target_extend,
    target_extension_withdraw,
)
from survey.views.decorators import ministry_required


@ministry_required
def round_list(request):
    rounds = Round.objects.select_related("survey").order_by("-created_at")
    return render(request, "publish/round_list.html", {"rounds": rounds})


@ministry_required
@require_http_methods(["GET", "POST"])
def round_new(request):
    latest = SurveyVersion.objects.order_by("-loaded_at").first()
    initial = {"survey": latest, "scheme": latest.engine.scheme if latest else ""}
    form = RoundForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        rnd = round_create(
            survey=data["survey"], title=data["title"], deadline=data["deadline"], scheme=data["scheme"],
            attribute=data["attribute"], open_now=False, acting_user=request.user,
        )
        messages.success(request, f"調査回「{rnd.title}」を作成しました（対象 {rnd.targets.count()} 団体）。内容を確認して公開してください。")
        return redirect("publish:round_status", round_id=rnd.pk)
    targets = Organization.objects.filter(is_active=True).count()
    return render(request, "publish/round_form.html", {"form": form, "target_count": targets})


@ministry_required
@require_http_methods(["GET", "POST"])
def round_status(request, round_id):
    """Confirm, then open or close the round."""
    rnd = get_object_or_404(Round.objects.select_related("survey"), pk=round_id)
    next_status = TRANSITIONS.get(rnd.status)
    if request.method == "POST" and next_status and request.POST.get("confirm") == "yes":
        try:
            if next_status == RoundStatus.OPEN:
                round_publish(round=rnd, acting_user=request.user, request=request)
            else:
                round_set_status(round=rnd, status=next_status, acting_user=request.user, request=request)
        except ValidationError as exc:  # changed meanwhile by someone else
            messages.error(request, exc.messages[0])
            return redirect("publish:round_detail", round_id=rnd.pk)
        messages.success(request, f"調査回「{rnd.title}」を「{RoundStatus(next_status).label}」にしました。")
        if next_status == RoundStatus.OPEN:
            return redirect("round_notices", round_id=rnd.pk)
        return redirect("publish:round_detail", round_id=rnd.pk)
    return render(request, "publish/round_status.html", {
        "round": rnd, "next_status": next_status,
        "next_label": RoundStatus(next_status).label if next_status else "",
        "target_count": rnd.targets.count(),
    })

FOUND_SHOWN = 20


@ministry_required
def round_extensions(request, round_id):
    """The round's extensions, and the way to a new one (an organisation by code or name)."""
    rnd = get_object_or_404(Round.objects.select_related("survey"), pk=round_id)
    query = request.GET.get("org", "").strip()[:50]
    found = []
    if query:
        found = list(RoundTarget.objects.filter(round=rnd).filter(
            Q(organization__code__startswith=query) | Q(organization__name__contains=query)
        ).select_related("organization").order_by("organization__code")[:FOUND_SHOWN])
        if len(found) == 1:
            return redirect("publish:target_extension", round_id=rnd.pk, org_code=found[0].organization.code)
    return render(request, "publish/round_extensions.html", {
        "round": rnd, "extensions": selectors.extensions_visible_to(round=rnd, user=request.user),
        "query": query, "found": found,
    })


@ministry_required
@require_http_methods(["GET", "POST"])
def target_extension(request, round_id, org_code):
    """Extend one organisation's deadline: the form, a confirmation page, then the change."""
    rnd = get_object_or_404(Round.objects.select_related("survey"), pk=round_id)
    target = get_object_or_404(RoundTarget.objects.select_related("organization", "extension_granted_by"),
                               round=rnd, organization__code=org_code)
    target.round = rnd
    form = ExtensionForm(request.POST or None, round=rnd)
    context = {"round": rnd, "target": target, "form": form, "finalised": rnd.status == RoundStatus.FINALISED}
    if request.method == "POST" and form.is_valid() and not context["finalised"] and "edit" not in request.POST:
        if request.POST.get("confirm") != "yes":
            return render(request, "publish/extension_confirm.html", context)
        try:
            target_extend(target=target, deadline=form.cleaned_data["deadline"], reason=form.cleaned_data["reason"],
                          acting_user=request.user, request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
            return render(request, "publish/extension_form.html", context, status=400)
        messages.success(request, f"{target.organization.display_name}の回答期限を延長しました。")
        return redirect(reverse("publish:round_extensions", kwargs={"round_id": rnd.pk}))
    return render(request, "publish/extension_form.html", context, status=400 if form.errors else 200)


@ministry_required
@require_http_methods(["GET", "POST"])
def extension_withdraw(request, round_id, org_code):
    """Withdraw an extension: this page says what follows and asks why; posting it withdraws."""
    rnd = get_object_or_404(Round.objects.select_related("survey"), pk=round_id)
    target = get_object_or_404(RoundTarget.objects.select_related("organization", "extension_granted_by"),
                               round=rnd, organization__code=org_code)
    target.round = rnd
    error = ""
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            target_extension_withdraw(target=target, reason=request.POST.get("reason", "")[:1000],
                                      acting_user=request.user, request=request)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(request, f"{target.organization.display_name}の回答期限の延長を取り消しました。")
            return redirect("publish:round_extensions", round_id=rnd.pk)
    return render(request, "publish/extension_withdraw.html", {"round": rnd, "target": target, "error": error},
                  status=400 if error else 200)
