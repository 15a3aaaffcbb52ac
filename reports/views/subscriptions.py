"""Subscribing by email to a year's release or an area's reports, confirming, unsubscribing.

None of these pages says whether an address is subscribed already: a request always answers
"check your email". Past the limits (per address and per client) nothing is sent.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from mappa_portal.client_ip import client_ip

from .. import subscriptions
from ..access import get_year
from ..forms import SubscribeForm
from ..models import Area
from ..rate_limits import RateLimit

HOUR = 60 * 60
TOO_MANY = "You have asked to subscribe too many times. Wait an hour, then try again."


@require_http_methods(["GET", "POST"])
def subscribe(
    request: HttpRequest, year: str | None = None, area: str | None = None
) -> HttpResponse:
    """Ask for a year's or an area's updates by email (a confirmation link is sent)."""
    year_obj = get_year(year) if year is not None else None
    area_obj = None
    if area is not None:
        area_obj = Area.objects.filter(slug=area).first()
        if area_obj is None:
            raise Http404("No such area.")
    form = SubscribeForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        per_client = RateLimit("subscribe-client", settings.SUBSCRIPTIONS_PER_CLIENT, HOUR)
        per_address = RateLimit("subscribe-address", settings.SUBSCRIPTIONS_PER_ADDRESS, HOUR)
        # The client's limit first: a client past it cannot use up anyone's address limit.
        if per_client.use(client_ip(request) or "") and per_address.use(email):
            subscriptions.request(email, year=year_obj, area=area_obj)
            return redirect("reports:subscribe-sent")
        form.add_error(None, TOO_MANY)
        status = 429
    context = {"form": form, "year": year_obj, "area": area_obj}
    return render(request, "reports/subscribe.html", context, status=status)


@require_safe
def check_email(request: HttpRequest) -> HttpResponse:
    """What happens next, the same whoever asked."""
    return render(request, "reports/subscribe_sent.html")


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """A confirmation link: a button to confirm (a link opened by a mail scanner confirms
    nothing), then the confirmation."""
    try:
        subscription = subscriptions.subscription_to_confirm(token)
    except subscriptions.LinkRefused as refused:
        return render(request, "reports/subscription_link.html", {"refusal": str(refused)})
    if request.method == "POST":
        subscriptions.confirm(subscription)
        return render(
            request, "reports/subscription_confirmed.html", {"subscription": subscription}
        )
    return render(request, "reports/subscription_confirm.html", {"subscription": subscription})


# The signed token is the authority: mail clients unsubscribe with a bare POST (RFC 8058).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """An unsubscribe link: one button (or the mail client's one-click POST) ends it."""
    try:
        subscription = subscriptions.subscription_to_end(token)
    except subscriptions.LinkRefused as refused:
        return render(request, "reports/subscription_link.html", {"refusal": str(refused)})
    if request.method == "POST":
        subscriptions.unsubscribe(subscription)
        return render(request, "reports/unsubscribed.html")
    if subscription is None:  # ended already: say so, as if just now
        return render(request, "reports/unsubscribed.html")
    return render(request, "reports/unsubscribe.html", {"subscription": subscription})
