"""Signing in and resetting a password: Django's views, with limits on password resets."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpResponse

from mappa_portal.client_ip import client_ip

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
