"""Signing in, resetting a password (Django's views, with limits on resets), and setting a
password from an invitation."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from mappa_portal.client_ip import client_ip

from .. import accounts
from ..account_forms import InvitationPasswordForm
from ..rate_limits import RateLimit

HOUR = 60 * 60
TOO_MANY_RESETS = "You have asked for too many password reset links. Wait an hour, then try again."


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, refused past the limits per email address and per client.

    The limits count every request, whether or not the address has an account, and the refusal
    is the same either way, so they reveal nothing about who has one; past them nothing is sent.
    """

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        per_client = RateLimit("password-reset-client", settings.PASSWORD_RESETS_PER_CLIENT, HOUR)
        per_address = RateLimit(
            "password-reset-address", settings.PASSWORD_RESETS_PER_ADDRESS, HOUR
        )
        # The client's limit first: a client past it cannot use up anyone's address limit.
        if not per_client.use(client_ip(self.request) or "") or not per_address.use(
            form.cleaned_data["email"].strip().lower()
        ):
            form.add_error(None, TOO_MANY_RESETS)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Set a password from an invitation, once; then sign in as anyone does."""
    try:
        with transaction.atomic():
            # Locked while the password is set: two uses at the same moment cannot both succeed.
            account = accounts.account_for_invitation(token, lock=request.method == "POST")
            posted = request.POST if request.method == "POST" else None
            form = InvitationPasswordForm(account, posted)
            if form.is_valid():
                accounts.accept_invitation(account, form.cleaned_data["new_password1"])
                messages.success(
                    request, "Your password is set. Sign in with your email address and password."
                )
                return redirect("accounts:sign-in")
    except accounts.InvitationRefused as refusal:
        return render(request, "registration/invitation.html", {"refusal": str(refusal)})
    return render(request, "registration/invitation.html", {"form": form, "account": account})
