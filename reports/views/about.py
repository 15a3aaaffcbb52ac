"""Pages about the service itself, linked from every page's footer: accessibility, cookies,
privacy, contact, and help for staff. The same for everyone, so cached like the public pages."""

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..caching import public_cache

#: The footer's pages: URL name, template and title, in the footer's order.
PAGES = {
    "help": "Help for staff",
    "contact": "Contact",
    "accessibility": "Accessibility statement",
    "cookies": "Cookies",
    "privacy": "Privacy notice",
}


@require_safe
@public_cache
def page(request: HttpRequest, name: str) -> HttpResponse:
    """One of the footer's pages. Their facts (cookie names, the session's length, who to
    write to) come from the settings in force, so the pages stay true to the service."""
    context = {
        "title": PAGES[name],
        "contact_email": settings.SERVICE_CONTACT_EMAIL,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "session_minutes": settings.SESSION_COOKIE_AGE // 60,
        "messages_cookie": CookieStorage.cookie_name,
        "csrf_cookie_days": settings.CSRF_COOKIE_AGE // 86400,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, f"about/{name}.html", context)
