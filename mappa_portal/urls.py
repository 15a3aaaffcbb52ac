from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "MAPPA Portal administration"
admin.site.site_title = "MAPPA Portal admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("reports.urls")),
]
