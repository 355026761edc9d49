"""Attached files of one organisation's response: upload, download, remove."""
from django.urls import path

from survey.views import attachments

org = "rounds/<int:round_id>/orgs/<str:org_code>/attachments/"

urlpatterns = [
    path(org + "upload/", attachments.attachment_upload, name="attachment_upload"),
    path(org + "<int:attachment_id>/", attachments.attachment_download, name="attachment_download"),
    path(org + "<int:attachment_id>/remove/", attachments.attachment_remove, name="attachment_remove"),
]
