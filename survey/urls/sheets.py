"""Answer sheets: download and upload per organisation, the zip of a round, bulk import, jobs."""
from django.urls import path

from survey.views import jobs, sheets

org = "rounds/<int:round_id>/orgs/<str:org_code>/"

urlpatterns = [
    # one organisation's sheet
    path(org + "sheet.xlsx", sheets.sheet_download, name="sheet_download"),
    path(org + "upload/", sheets.sheet_upload, name="sheet_upload"),
    # every target of a round (ministry, administrators)
    path("rounds/<int:round_id>/sheets/export/", sheets.sheets_export, name="sheets_export"),
    # bulk import (administrators)
    path("manage/imports/", sheets.imports, name="sheet_imports"),
    # background jobs (their creator, administrators)
    path("jobs/<int:job_id>/", sheets.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/status.json", jobs.job_status, name="job_status"),
    path("jobs/<int:job_id>/download/", sheets.job_download, name="job_download"),
]
