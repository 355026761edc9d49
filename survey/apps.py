from django.apps import AppConfig


class SurveyConfig(AppConfig):
    name = "survey"
    verbose_name = "調査"

    def ready(self) -> None:
        # The modules that register job runners (survey.jobs.job_runner): every process that
        # may run a job, web or worker, has them all.
        from survey.services import notices, reminders, sheets  # noqa: F401
