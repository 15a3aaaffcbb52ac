"""The Atom feed of releases and corrections: the alerts subscribers are emailed, for anyone
to follow without giving an address (`/releases.atom`)."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from . import alerts
from .models import Alert

#: The most recent events listed.
ENTRIES = 100


class ReleasesFeed(Feed):
    """Releases confirmed, moved, cancelled and made; reports published and corrected."""

    feed_type = Atom1Feed
    title = "MAPPA annual reports: releases and corrections"
    subtitle = (
        "Release dates confirmed or moved, each year's release, and every report published or "
        "corrected, with what changed and why."
    )

    def link(self) -> str:
        return reverse("reports:releases")

    def feed_guid(self) -> str:
        return f"{settings.SITE_URL}{reverse('reports:releases-feed')}"

    def items(self) -> QuerySet[Alert]:
        return Alert.objects.select_related("year", "area", "revision")[:ENTRIES]

    def item_title(self, item: Alert) -> str:
        return alerts.title(item)

    def item_description(self, item: Alert) -> str:
        return alerts.summary(item)

    def item_link(self, item: Alert) -> str:
        return alerts.link(item)

    def item_guid(self, item: Alert) -> str:
        # A tag URI (RFC 4151): the entry's id stays the same wherever its links point.
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"tag:{host},{item.recorded_at:%Y-%m-%d}:mappa-portal/{item.key}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Alert) -> datetime.datetime:
        return item.at

    def item_updateddate(self, item: Alert) -> datetime.datetime:
        return item.at
