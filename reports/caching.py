"""HTTP caching for public pages and downloads: ETag and Last-Modified from what is public.

Anything becoming public (a publication, a correction, a release time passing) changes both,
so a conditional request for unchanged data gets 304 Not Modified.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from typing import Any

from django.db.models import Count, Max
from django.http import HttpRequest
from django.views.decorators.http import condition

from .models import PublishedRevision, ReportingYear, StandardText


def _state(request: HttpRequest) -> tuple[datetime.datetime | None, str]:
    """(last modified, etag) of the public data, computed once per request."""
    cached = getattr(request, "_public_state", None)
    if cached is None:
        summary = PublishedRevision.objects.public().aggregate(
            last=Max("published_at"), count=Count("pk"), top=Max("pk")
        )
        releases = ReportingYear.objects.aggregate(last=Max("release_at"), count=Count("pk"))
        # Every report shows its year's standard text: a new wording is a new page.
        texts = StandardText.objects.aggregate(last=Max("updated_at"), count=Count("pk"))
        # Signed-in people see their own navigation, so they get their own validators.
        user = request.user.pk if request.user.is_authenticated else 0
        key = f"{summary}|{releases}|{texts}|{user}"
        times = (summary["last"], releases["last"], texts["last"])
        last = max((t for t in times if t is not None), default=None)
        cached = (last, hashlib.sha256(key.encode()).hexdigest()[:32])
        request._public_state = cached  # type: ignore[attr-defined]
    return cached


def public_cache(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send ETag and Last-Modified with a public view, and answer 304 when unchanged."""
    return condition(
        etag_func=lambda request, *args, **kwargs: _state(request)[1],
        last_modified_func=lambda request, *args, **kwargs: _state(request)[0],
    )(view)
