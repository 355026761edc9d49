from django.urls import include, path

from config import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("survey.urls")),
    path("aggregation/", include("aggregation.urls")),
]

# Japanese error pages with a way back (survey/views/errors.py).
handler400 = "survey.views.errors.bad_request"
handler403 = "survey.views.errors.permission_denied"
handler404 = "survey.views.errors.page_not_found"
handler500 = "survey.views.errors.server_error"
