"""Reminders (督促メール) to the organisations of a round that have not submitted."""
from django.urls import path

from survey.views import reminders

rnd = "rounds/<int:round_id>/reminders/"

urlpatterns = [
    path(rnd, reminders.reminders, name="reminders"),
    path(rnd + "confirm/", reminders.reminders_confirm, name="reminders_confirm"),
    path(rnd + "jobs/<int:job_id>/", reminders.reminders_job, name="reminders_job"),
    path(rnd + "schedule/", reminders.reminders_schedule, name="reminders_schedule"),
]
