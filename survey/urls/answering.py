"""Answering: home, the round status list and one organisation's response."""
from django.urls import path

from survey.views import answering

org = "rounds/<int:round_id>/orgs/<str:org_code>/"

urlpatterns = [
    path("", answering.home, name="home"),
    path("rounds/<int:round_id>/", answering.round_status, name="round_status"),
    path(org, answering.response_detail, name="response_detail"),
    path(org + "versions/<int:number>/", answering.response_version, name="response_version"),
    path(org + "edit/", answering.response_edit, name="response_edit"),
    path(org + "confirm/", answering.response_confirm, name="response_confirm"),
    path(org + "delegation/", answering.target_delegation, name="target_delegation"),
]
