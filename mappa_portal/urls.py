from django.contrib import admin
from django.urls import include, path

from reports.api import api
from reports.urls import account_patterns, manage_patterns, public_patterns

admin.site.site_header = "MAPPA Portal administration"
admin.site.site_title = "MAPPA Portal admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("account/", include((account_patterns, "accounts"))),
    path("manage/", include((manage_patterns, "manage"))),
    path("", include((public_patterns, "reports"))),
]
