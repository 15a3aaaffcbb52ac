"""The Django admin's own Content Security Policy.

The public site and the coordinators' pages run under a strict policy (settings: no inline
script but one, allowed by its hash).
The admin is used only by the national team, and django-import-export's pages there need inline
scripts, so it allows those, and nothing from anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
