from django.apps import AppConfig


class AggregationConfig(AppConfig):
    name = "aggregation"
    verbose_name = "集計"

    def ready(self) -> None:
        # Registers the aggregate-workbook job runner (survey.jobs.job_runner).
        from aggregation import services  # noqa: F401
