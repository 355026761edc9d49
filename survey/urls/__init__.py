"""URLs of the portal, grouped by what they act on (one module each)."""
from django.urls import include, path

from survey.middleware import two_factor_exempt
from survey.views.security import csp_report

urlpatterns = [
    path("", include("survey.urls.answering")),
    path("", include("survey.urls.sheets")),
    path("", include("survey.urls.attachments")),
    path("", include("survey.urls.reminders")),
    path("", include("survey.urls.review")),
    path("", include("survey.urls.notices")),
    path("accounts/", include("survey.urls.accounts")),
    path("manage/", include("survey.urls.manage")),
    path("publish/", include("survey.urls.publish")),
    # Reports keep arriving while a session owes its second factor (the enrolment page is a page too).
    path("csp-report/", two_factor_exempt(csp_report), name="csp_report"),
]
