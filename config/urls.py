from django.urls import include, path

from config import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("survey.urls")),
    path("aggregation/", include("aggregation.urls")),
]
