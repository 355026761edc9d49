"""URLs of the portal, grouped by what they act on (one module each)."""
from django.urls import include, path

from survey.middleware import two_factor_exempt
from survey.views.security import csp_report

urlpatterns = [
    path("", include("survey.urls_answering")),
    path("", include("survey.urls_sheets")),
    path("", include("survey.urls_attachments")),
    path("", include("survey.urls_reminders")),
    path("accounts/", include("survey.urls_accounts")),
    path("manage/", include("survey.urls_manage")),
    path("publish/", include("survey.urls_publish")),
    # Reports keep arriving while a session owes its second factor (the enrolment page is a page too).
    path("csp-report/", two_factor_exempt(csp_report), name="csp_report"),
]
