"""Dashboards of a round (mounted at /aggregation/)."""
from django.urls import include, path

from aggregation import views

app_name = "aggregation"

rnd = "rounds/<int:round_id>/"

urlpatterns = [
    path(rnd + "status/", views.status, name="status"),
    path(rnd + "status/nonsubmitters.csv", views.status_csv, name="status_csv"),
    path(rnd + "results/", views.results, name="results"),
    path(rnd + "crosstab/", views.crosstab, name="crosstab"),
    path(rnd + "texts/", views.texts, name="texts"),
    path(rnd + "risk/", views.risk, name="risk"),
    path(rnd + "risk.csv", views.risk_csv, name="risk_csv"),
    path(rnd + "compare/", views.compare, name="compare"),
    # The aggregate workbook and snapshots, same namespace.
    path("", include("aggregation.urls.exports")),
]
