"""Who was told a round was published, and the organisations without an officer, by prefecture.

Ministry staff and administrators see the country and may send to those not yet told (officers
invited after publishing); a prefecture officer sees its own prefecture's lists, to relay the
survey to municipalities that have no officer yet; a municipal officer gets 403.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from survey import access
from survey.models import RoundNotice, RoundStatus
from survey.services import notices as service
from survey.views.decorators import ministry_required

PAGE_SIZE = 100


@login_required
def round_notices(request, round_id: int):
    """The notices sent (paged), the latest notice job's progress, and who has no officer."""
    rnd = access.round_get_for_user(request.user, round_id)
    sent = service.notices_for(round=rnd, user=request.user)
    no_contact = service.no_contact_by_prefecture(round=rnd, user=request.user)
    jobs = service.notice_jobs(round=rnd, user=request.user)
    return render(request, "rounds/notices.html", {
        "round": rnd, "page": Paginator(sent, PAGE_SIZE).get_page(request.GET.get("page")),
        "sent_count": sent.filter(status=RoundNotice.Status.SENT).count(),
        "failed_count": sent.filter(status=RoundNotice.Status.FAILED).count(),
        "no_contact": no_contact, "no_contact_count": sum(len(g.targets) for g in no_contact),
        "job": jobs.first(), "can_send": access.can_publish_rounds(request.user) and rnd.status == RoundStatus.OPEN,
    })


@ministry_required
@require_http_methods(["GET", "POST"])
def notices_send(request, round_id: int):
    """Confirm, then send the notice to the officers not yet told (e.g. invited after publishing)."""
    rnd = access.round_get_for_user(request.user, round_id)
    pending = service.recipients(rnd).exclude(pk__in=rnd.notices.values("user_id")).count()
    if request.method == "POST" and request.POST.get("confirm") == "yes" and rnd.status == RoundStatus.OPEN:
        service.notices_send(round=rnd, acting_user=request.user, request=request)
        messages.success(request, "お知らせの送信を始めました。")
        return redirect("round_notices", round_id=rnd.pk)
    return render(request, "rounds/notices_send.html", {"round": rnd, "pending": pending,
                                                        "open": rnd.status == RoundStatus.OPEN})
