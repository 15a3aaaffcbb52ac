"""The national team's account pages: every account, inviting a coordinator, changing an
account's areas, deactivating and reactivating it, and the record of every change.

Each view starts with an access helper (a 404 for anyone without `reports.manage_accounts`);
the changes themselves are made, and recorded, by `accounts.py`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import access, accounts
from ..access import AuthenticatedHttpRequest
from ..account_forms import AreasForm, InviteForm


@login_required
@require_safe
def account_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every account: who, which areas, where it stands, when they last signed in."""
    access.require_account_manager(request.user)
    return render(request, "manage/accounts.html", {"accounts": accounts.all_accounts()})


@login_required
@require_http_methods(["GET", "POST"])
def invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Invite a coordinator of one or more areas by email."""
    access.require_account_manager(request.user)
    form = InviteForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            user = accounts.invite(**form.cleaned_data, by=request.user)
        except accounts.AccountRefused as refusal:
            form.add_error("email", str(refusal))
        else:
            messages.success(
                request,
                f"{accounts.display_name(user)} has been invited. The invitation has been sent "
                f"to {user.email}; its link works for {accounts.INVITATION_DAYS} days.",
            )
            return redirect("manage:account", account=user.pk)
    return render(request, "manage/invite.html", {"form": form})


@login_required
@require_safe
def account_detail(request: AuthenticatedHttpRequest, account: int) -> HttpResponse:
    """One account, what can be done to it, and every change made to it."""
    user = access.get_account_for_manager(request.user, account)
    context = {
        "account": accounts.account_of(user),
        "history": accounts.history_of(user),
        "can_deactivate": not accounts.why_not_deactivate(user, request.user),
    }
    return render(request, "manage/account.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def change_areas(request: AuthenticatedHttpRequest, account: int) -> HttpResponse:
    """Change the areas an account coordinates: the change applies from their next page."""
    user = access.get_account_for_manager(request.user, account)
    form = AreasForm(
        request.POST if request.method == "POST" else None,
        initial={"areas": list(user.coordinated_areas.values_list("area_id", flat=True))},
    )
    if form.is_valid():
        changed = accounts.change_areas(user, form.cleaned_data["areas"], by=request.user)
        if changed:
            messages.success(request, f"{accounts.display_name(user)}'s areas changed. {changed}")
        else:
            messages.info(request, "Nothing had changed, so nothing was saved.")
        return redirect("manage:account", account=user.pk)
    context = {"account": accounts.account_of(user), "form": form}
    return render(request, "manage/account_areas.html", context)


#: The changes made with one button on the account page, and what is said once they are made.
ACTIONS = {
    "deactivate": (accounts.deactivate, "{name}'s account is deactivated: they cannot sign in."),
    "reactivate": (accounts.reactivate, "{name}'s account is reactivated: they can sign in."),
    "invite-again": (
        accounts.invite_again,
        "A new invitation has been sent to {email}; earlier links no longer work.",
    ),
}


@login_required
@require_POST
def act(request: AuthenticatedHttpRequest, account: int, action: str) -> HttpResponse:
    """Deactivate, reactivate or invite again, then back to the account's page saying so."""
    user = access.get_account_for_manager(request.user, account)
    change, done = ACTIONS[action]
    try:
        change(user, request.user)
    except accounts.AccountRefused as refusal:
        messages.info(request, str(refusal))
    else:
        messages.success(request, done.format(name=accounts.display_name(user), email=user.email))
    return redirect("manage:account", account=user.pk)
