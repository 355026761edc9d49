"""Review: one organisation's submitted response, its decisions and its comment threads."""
from django.urls import path

from survey.views import review

org = "rounds/<int:round_id>/orgs/<str:org_code>/"

urlpatterns = [
    path(org + "review/", review.response_review, name="response_review"),
    path(org + "review/return/", review.response_return, name="response_return"),
    path(org + "review/approve/", review.response_approve, name="response_approve"),
    path(org + "review/reopen/", review.response_reopen, name="response_reopen"),
    path(org + "comments/<int:thread_id>/reply/", review.thread_reply, name="thread_reply"),
]
