"""The address a request came from, seen through the trusted proxies in front of the service.

Behind a load balancer every request's `REMOTE_ADDR` is the balancer's, so whatever is keyed
on the client (sign-in lockouts, password-reset limits) would be shared by everyone. Each
trusted proxy appends the address it received the request from to `X-Forwarded-For`; with
`TRUSTED_PROXY_COUNT` proxies, the client is the entry that many places from the right.
Anything to the left of it was written by the client and is ignored: it could be anything.
A port some proxies add is dropped, and an IPv6 client is keyed by its /64, which it holds
whole and could otherwise move through to escape any limit.

The service must be reachable only through those proxies (docs/deployment.md): a request that
reached it directly could write its own `X-Forwarded-For`.
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
        return _remote_keyed(remote)
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [part.strip() for part in header.split(",") if part.strip()]
    if not forwarded:
        # Not through the proxies (a health check from inside, say): the peer is the client.
        return _remote_keyed(remote)
    # Fewer entries than proxies: every entry was written by a trusted proxy; the left-most
    # is the furthest address any of them saw.
    candidate = _without_port(forwarded[-min(trusted, len(forwarded))])
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        # A trusted proxy writes only addresses; anything else means it was not one of ours.
        return _remote_keyed(remote)
    return _keyed(address)


def _without_port(entry: str) -> str:
    """`198.51.100.7:52311` and `[2001:db8::1]:443`, as some proxies write them, to addresses."""
    if entry.startswith("["):
        return entry[1:].split("]", 1)[0]
    if entry.count(":") == 1:
        return entry.split(":", 1)[0]
    return entry


def _keyed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    # One IPv6 client holds a whole /64 and can move within it at will: it is one client.
    if address.version == 6 and not address.ipv4_mapped:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def _remote_keyed(remote: str | None) -> str | None:
    try:
        return _keyed(ipaddress.ip_address(remote or ""))
    except ValueError:
        return remote
