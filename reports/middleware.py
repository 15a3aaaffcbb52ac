"""Headers the rest of the stack leaves to the project.

`PrivateResponses`: back-office pages (unpublished figures) and anything shown to a signed-in
person are never kept by a browser or a proxy. Only the public cache (reports/caching.py)
says `public`, and only to anonymous requests for public pages.

`AdminContentSecurityPolicy`: the Django admin's own Content Security Policy. The public site
and the coordinators' pages run under a strict policy (settings: no inline script but one,
allowed by its hash). The admin is used only by the national team, and django-import-export's
pages there need inline scripts, so it allows those, and nothing from anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from .caching import personal

#: Pages that may show what is not public: the admin, the back office, signing in.
BACK_OFFICE = ("/admin/", "/manage/", "/account/")


class PrivateResponses:
    """`Cache-Control: private, no-store` (Django's never-cache headers) on every back-office
    response and on every response to a signed-in person, whatever the page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(settings.STATIC_URL):
            return response  # the same for everyone, with far-future caching (WhiteNoise)
        user = getattr(request, "user", None)
        if (
            request.path_info.startswith(BACK_OFFICE)
            or personal(request)
            or (user is not None and user.is_authenticated)
        ):
            add_never_cache_headers(response)
        return response


ADMIN_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class AdminContentSecurityPolicy:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            response.setdefault("Content-Security-Policy", ADMIN_POLICY)
        return response
