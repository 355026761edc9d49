from django.urls import path

from survey.views import answering

urlpatterns = [
    path("", answering.home, name="home"),
]
