"""Publishing notices (公開のお知らせ): who was told, who has no officer, sending to those not yet told."""
from django.urls import path

from survey.views import notices

rnd = "rounds/<int:round_id>/notices/"

urlpatterns = [
    path(rnd, notices.round_notices, name="round_notices"),
    path(rnd + "send/", notices.notices_send, name="notices_send"),
]
