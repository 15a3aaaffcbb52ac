"""When a year's reports can be started and changed: its collection window, and extensions.

A year has three dates, each optional, each a London date that lasts to the end of its day:

- the deadline, by which areas should submit: shown everywhere, and nothing happens on it;
- the day new reports close: after it, no area starts its report;
- the day edits close: after it, no draft report is changed or submitted.

Before any of them, the national team opens the year (`ReportingYear.is_open`): a year that is
not open takes no new reports and no changes to drafts.

The national team can give an area an extension to a date: the area may start and change its
report until the end of that day, whatever the year's dates. It ends by itself, because every
check compares it with today; it can be withdrawn; nothing is deleted.

A report the national team has returned (or reopened for a correction) can be changed and
resubmitted whatever the dates, and whether or not the year is open: the team asked for it.
The national team's own moves (return, approve, publish, reopen) never wait on the dates.

This module is the one statement of those rules. Drafts, the workflow, the start page and the
imports ask it, and when it refuses, its words are what people read.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from .models import AnnualReport, Area, Extension, ReportingYear, long_date

#: Every date of a collection is a date in London, lasting until midnight there.
LONDON = ZoneInfo("Europe/London")

Status = AnnualReport.Status
#: Statuses in which the area's coordinators work on a report.
EDITABLE_STATUSES = (Status.DRAFT, Status.RETURNED)

_STATUS_REFUSALS = {
    Status.SUBMITTED: "The report is with reviewers: it can be changed only if they return it.",
    Status.APPROVED: (
        "The report is approved: it can be changed only if the national team returns it."
    ),
    Status.PUBLISHED: (
        "The report is published: it can be changed only if the national team reopens it for "
        "a correction."
    ),
}


@dataclass(frozen=True)
class Verdict:
    """Whether something may be done now; if not, why, in words people can act on."""

    refusal: str | None = None
    #: When it is allowed only thanks to an extension, a sentence that says so.
    note: str | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None


ALLOWED = Verdict()


def today() -> datetime.date:
    """Today's date in London, where the collection's dates are."""
    return timezone.now().astimezone(LONDON).date()


def latest_extension(year: ReportingYear, area: Area) -> Extension | None:
    """The area's most recent extension for the year, whatever its state."""
    return (
        Extension.objects.filter(year=year, area=area)
        .select_related("area")
        .order_by("-granted_at", "-pk")
        .first()
    )


def is_active(extension: Extension | None, on: datetime.date | None = None) -> bool:
    """Whether `extension` covers the day `on` (today): not withdrawn, and not yet ended."""
    if extension is None or extension.withdrawn_at is not None:
        return False
    return extension.until >= (on or today())


def extension_state(extension: Extension, on: datetime.date | None = None) -> str:
    """ "Active", "Ended" or "Withdrawn", for tables."""
    if extension.withdrawn_at is not None:
        return "Withdrawn"
    return "Active" if is_active(extension, on) else "Ended"


def can_start(year: ReportingYear, area: Area) -> Verdict:
    """Whether `area` may start its report for `year` now."""
    if not year.is_open:
        return Verdict(_not_open(year))
    return _dates(year, area, starting=True)


def can_change(report: AnnualReport) -> Verdict:
    """Whether the area's coordinators may change (and submit) `report` now."""
    if refusal := _STATUS_REFUSALS.get(AnnualReport.Status(report.status)):
        return Verdict(refusal)
    if report.status == Status.RETURNED:
        return ALLOWED  # the national team asked for the change
    if not report.year.is_open:
        return Verdict(_not_open(report.year))
    return _dates(report.year, report.area, starting=False)


def can_import(year: ReportingYear, area: Area, report: AnnualReport | None) -> Verdict:
    """Whether an import may write the area's figures for `year` now.

    An import is the national team's, on an area's behalf: the report's status and the year's
    dates (with the area's extension) apply as to the area itself, but the team may import
    into a year it has not opened yet, to load figures ahead of the collection.
    """
    if report is None:
        return _dates(year, area, starting=True)
    if refusal := _STATUS_REFUSALS.get(AnnualReport.Status(report.status)):
        return Verdict(refusal)
    if report.status == Status.RETURNED:
        return ALLOWED
    return _dates(year, area, starting=False)


def _not_open(year: ReportingYear) -> str:
    return f"The {year} collection is not open."


def _closed(year: ReportingYear, starting: bool, on: datetime.date) -> str | None:
    """What has closed by `on`, as the start of a sentence; None if nothing has."""
    if starting:
        # A collection closed to edits is closed to new reports as well.
        closes = year.starts_close_on or year.edits_close_on
        if closes is not None and on > closes:
            return f"The {year} collection closed to new reports on {long_date(closes)}"
        return None
    if year.edits_close_on is not None and on > year.edits_close_on:
        return f"Edits to {year} reports closed on {long_date(year.edits_close_on)}"
    return None


def _dates(year: ReportingYear, area: Area, starting: bool) -> Verdict:
    on = today()
    closed = _closed(year, starting, on)
    if closed is None:
        return ALLOWED
    extension = latest_extension(year, area)
    if extension is None:
        return Verdict(f"{closed}.")
    if is_active(extension, on):
        return Verdict(
            note=f"{closed}; {area} has an extension until {long_date(extension.until)}."
        )
    if extension.withdrawn_at is not None:
        withdrawn = extension.withdrawn_at.astimezone(LONDON).date()
        return Verdict(f"{closed}; {area}’s extension was withdrawn on {long_date(withdrawn)}.")
    return Verdict(f"{closed}; {area}’s extension ended on {long_date(extension.until)}.")


# --- What people are shown ------------------------------------------------------------------


def days_left(year: ReportingYear) -> int | None:
    """Days from today to the deadline: 0 on the day, negative after it; None without one."""
    return (year.deadline - today()).days if year.deadline else None


def describe(year: ReportingYear, area: Area | None = None) -> list[str]:
    """The year's window in sentences: the deadline, what closes when, the area's extension."""
    on = today()
    sentences = [f"The {year} collection is {'open' if year.is_open else 'not open'}."]
    if year.deadline is not None:
        left = (year.deadline - on).days
        when = (
            f"{left} day{'s' if left != 1 else ''} left"
            if left > 0
            else "today"
            if left == 0
            else f"{-left} day{'s' if left != -1 else ''} ago"
        )
        sentences.append(f"Reports are due by {long_date(year.deadline)} ({when}).")
    starts = year.starts_close_on
    if starts is not None:
        sentences.append(
            f"New reports can be started until the end of {long_date(starts)}."
            if on <= starts
            else f"The collection closed to new reports on {long_date(starts)}."
        )
    edits = year.edits_close_on
    if edits is not None:
        sentences.append(
            f"Draft reports can be changed and submitted until the end of {long_date(edits)}."
            if on <= edits
            else f"Edits to draft reports closed on {long_date(edits)}."
        )
    if area is not None:
        extension = latest_extension(year, area)
        if is_active(extension, on):
            assert extension is not None
            sentences.append(f"{area} has an extension until {long_date(extension.until)}.")
    return sentences


def extensions_by_area(year: ReportingYear) -> dict[int, Extension]:
    """Each area's most recent extension for `year` (one query)."""
    latest: dict[int, Extension] = {}
    for extension in Extension.objects.filter(year=year).order_by("granted_at", "pk"):
        latest[extension.area_id] = extension
    return latest


# --- The national team's changes -------------------------------------------------------------


@transaction.atomic
def grant_extension(
    year: ReportingYear, area: Area, until: datetime.date, reason: str, user: User
) -> Extension:
    """Give `area` until the end of `until`; an extension it already has is withdrawn first."""
    now = timezone.now()
    Extension.objects.select_for_update().filter(year=year, area=area).live().update(
        withdrawn_at=now, withdrawn_by=user
    )
    return Extension.objects.create(
        year=year, area=area, until=until, reason=reason, granted_by=user, granted_at=now
    )


@transaction.atomic
def withdraw_extension(extension: Extension, user: User) -> bool:
    """Withdraw `extension` now; False if it had already been withdrawn."""
    return bool(
        Extension.objects.filter(pk=extension.pk)
        .live()
        .update(withdrawn_at=timezone.now(), withdrawn_by=user)
    )
