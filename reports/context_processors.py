"""What every page's header needs to know about the person signed in."""

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
