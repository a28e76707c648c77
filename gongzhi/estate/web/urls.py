from django.urls import path

from . import views

app_name = "estate"
urlpatterns = [
    path("", views.portal, name="portal"),
    path("console/", views.console, name="console"),
]
