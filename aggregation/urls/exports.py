"""Aggregate workbook exports and snapshots (included by aggregation/urls/__init__.py, namespace aggregation)."""
from django.urls import path

from aggregation import exports_views as views

urlpatterns = [
    path("rounds/<int:round_id>/exports/", views.exports, name="exports"),
    path("exports/<int:job_id>/", views.export_job, name="export_job"),
    path("exports/<int:job_id>/download/", views.export_download, name="export_download"),
    path("rounds/<int:round_id>/snapshots/", views.snapshots, name="snapshots"),
    path("rounds/<int:round_id>/snapshots/new/", views.snapshot_new, name="snapshot_new"),
    path("snapshots/<int:snapshot_id>/check/", views.snapshot_check, name="snapshot_check"),
    path("rounds/<int:round_id>/finalise/", views.round_finalise, name="round_finalise"),
]
