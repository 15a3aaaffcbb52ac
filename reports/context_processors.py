"""What every page's header needs to know: the person signed in, and where the page is."""

from __future__ import annotations

from django.http import HttpRequest

from . import access
from .accounts import display_name


def signed_in(request: HttpRequest) -> dict[str, object]:
    """Who is signed in (shown beside "Sign out") and whether they may manage accounts."""
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "signed_in_as": display_name(user),
        "can_manage_accounts": access.can_manage_accounts(user),
    }


#: The service navigation's items, and the pages (URL names) that belong to each.
SECTIONS = {
    "areas": ("reports:areas", "reports:area"),
    "releases": ("reports:releases",),
    "data": ("reports:data", "reports:series", "api-guide"),
    "accounts": ("manage:accounts", "manage:invite", "manage:account", "manage:account-"),
    "manage": ("manage:",),
    "sign-in": ("accounts:sign-in",),
}
#: Each item's own page: there the item is the current page, elsewhere in its section "true".
HOMES = {
    "areas": "reports:areas",
    "releases": "reports:releases",
    "data": "reports:data",
    "accounts": "manage:accounts",
    "manage": "manage:dashboard",
    "sign-in": "accounts:sign-in",
}


def navigation(request: HttpRequest) -> dict[str, str]:
    """Which navigation item the page is under (`nav_section`), and its `aria-current`:
    "page" on the item's own page, "true" on the pages within it."""
    match = getattr(request, "resolver_match", None)
    view = match.view_name if match else ""
    for section, names in SECTIONS.items():
        # A name ending in ":" or "-" stands for every URL name it begins.
        if any(view == name or (name[-1] in ":-" and view.startswith(name)) for name in names):
            current = "page" if view == HOMES[section] else "true"
            return {"nav_section": section, "nav_current": current}
    return {}
