"""The address a request came from, seen through the trusted proxies in front of the service.

Behind a load balancer every request's `REMOTE_ADDR` is the balancer's, so whatever is keyed
on the client (sign-in lockouts, password-reset limits) would be shared by everyone. Each
trusted proxy appends the address it received the request from to `X-Forwarded-For`; with
`TRUSTED_PROXY_COUNT` proxies, the client is the entry that many places from the right.
Anything to the left of it was written by the client and is ignored: it could be anything.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: `REMOTE_ADDR` when no proxy is trusted, else the one the
    outermost trusted proxy appended to `X-Forwarded-For`."""
    remote = request.META.get("REMOTE_ADDR")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted == 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [part.strip() for part in header.split(",") if part.strip()]
    if not forwarded:
        # Not through the proxies (a health check from inside, say): the peer is the client.
        return remote
    # Fewer entries than proxies: every entry was written by a trusted proxy; the left-most
    # is the furthest address any of them saw.
    candidate = forwarded[-min(trusted, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # A trusted proxy writes only addresses; anything else means it was not one of ours.
        return remote
