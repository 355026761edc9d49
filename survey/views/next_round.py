"""Next round: the ministry starts a round from a previous one (form, then confirmation)."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from survey.forms.carryover import diff_rows
from survey.forms.publish import NextRoundForm
from survey.models import Round
from survey.services.next_round import revisions_of, round_start_next
from survey.views.decorators import ministry_required


@ministry_required
@require_http_methods(["GET", "POST"])
def round_next(request, round_id: int):
    """Choose the version, title and deadline; confirm what carries over and what changed; create."""
    previous = get_object_or_404(Round.objects.select_related("survey"), pk=round_id)
    versions = revisions_of(previous.survey)
    initial = {"survey": versions.first(), "title": "", "scheme": previous.scheme, "attribute": previous.attribute}
    form = NextRoundForm(request.POST or None, initial=initial, versions=versions)
    context = {"previous": previous, "form": form,
               "target_count": previous.targets.filter(organization__is_active=True).count()}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("confirm") != "yes":
            context["changes"] = diff_rows(previous.survey.engine, data["survey"].engine)
            return render(request, "publish/round_next_confirm.html", context)
        rnd = round_start_next(previous=previous, survey=data["survey"], title=data["title"],
                               deadline=data["deadline"], scheme=data["scheme"], attribute=data["attribute"],
                               acting_user=request.user, request=request)
        messages.success(request, f"調査回「{rnd.title}」を「{previous.title}」から作成しました"
                                  f"（対象 {context['target_count']} 団体）。内容を確認して公開してください。")
        return redirect("publish:round_status", round_id=rnd.pk)
    return render(request, "publish/round_next.html", context)
