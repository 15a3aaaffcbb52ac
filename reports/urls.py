from django.urls import path, register_converter

from . import views
from .converters import YearLabelConverter

register_converter(YearLabelConverter, "year")

app_name = "reports"
urlpatterns = [
    path("", views.home, name="home"),
    path("reports/<year:year>/<slug:area>/", views.report_detail, name="report"),
]
