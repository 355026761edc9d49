"""The ministry publishes rounds: create (all active organisations as targets), open, close."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from survey.forms.publish import RoundForm
from survey.models import Organization, Round, RoundStatus, SurveyVersion
from survey.services.rounds import round_create, round_set_status
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
    next_status = {RoundStatus.DRAFT: RoundStatus.OPEN, RoundStatus.OPEN: RoundStatus.CLOSED}.get(rnd.status)
    if request.method == "POST" and next_status and request.POST.get("confirm") == "yes":
        round_set_status(round=rnd, status=next_status, acting_user=request.user, request=request)
        messages.success(request, f"調査回「{rnd.title}」を「{RoundStatus(next_status).label}」にしました。")
        return redirect("publish:round_list")
    return render(request, "publish/round_status.html", {
        "round": rnd, "next_status": next_status,
        "next_label": RoundStatus(next_status).label if next_status else "",
        "target_count": rnd.targets.count(),
    })
