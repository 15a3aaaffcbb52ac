from django.contrib import admin
from django.urls import include, path

from reports.api import api
from reports.urls import account_patterns, manage_patterns, public_patterns
from reports.views.public import api_guide

admin.site.site_header = "MAPPA Portal administration"
admin.site.site_title = "MAPPA Portal admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    # Before the API's own (empty) root: the guide for people, 404 for programs as before.
    path("api/v1/", api_guide, name="api-guide"),
    path("api/v1/", api.urls),
    path("account/", include((account_patterns, "accounts"))),
    path("manage/", include((manage_patterns, "manage"))),
    path("", include((public_patterns, "reports"))),
]
