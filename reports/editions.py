"""A year's published figures as they stood after each publication: its release, a report
published later, each correction. Every edition keeps its own download address, so that a
figure quoted from the year's file can always be found as it was."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from itertools import groupby

from .models import PublishedRevision, PublishedRevisionQuerySet, ReportingYear

#: An edition's address: the second it was published, in UTC (`20261029T093000Z`).
STAMP = "%Y%m%dT%H%M%SZ"
ONE_SECOND = datetime.timedelta(seconds=1)


@dataclass(frozen=True)
class Edition:
    """The year's figures after the revisions published in one second."""

    at: datetime.datetime
    revisions: list[PublishedRevision]

    @property
    def stamp(self) -> str:
        return self.at.astimezone(datetime.UTC).strftime(STAMP)

    @property
    def corrections(self) -> list[PublishedRevision]:
        return [r for r in self.revisions if r.number > 1]

    @property
    def first_publications(self) -> list[PublishedRevision]:
        return [r for r in self.revisions if r.number == 1]

    def revisions_current(self, year: ReportingYear) -> PublishedRevisionQuerySet:
        """Each of the year's public reports as it stood in this edition."""
        last = self.at + ONE_SECOND - datetime.timedelta(microseconds=1)
        return PublishedRevision.objects.public().filter(report__year=year).as_at(last)


def editions(revisions: list[PublishedRevision]) -> list[Edition]:
    """The editions made by a year's public revisions (in the order published), oldest first."""

    def second(revision: PublishedRevision) -> datetime.datetime:
        return revision.published_at.astimezone(datetime.UTC).replace(microsecond=0)

    return [Edition(at, list(group)) for at, group in groupby(revisions, key=second)]


def year_revisions(year: ReportingYear) -> list[PublishedRevision]:
    """Every public revision of the year's reports, in the order published (one query)."""
    return list(
        PublishedRevision.objects.public()
        .filter(report__year=year)
        .select_related("report__area", "report__year")
        .order_by("published_at", "report__area__name", "number")
    )
