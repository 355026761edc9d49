from django.urls import include, path

urlpatterns = [
    path("", include("survey.urls")),
    path("aggregation/", include("aggregation.urls")),
]
