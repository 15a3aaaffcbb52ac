"""Past publications: figures an area published before the portal, loaded and published at once.

The national team loads them (admin import or `manage.py load_past_publications`) in the tidy
format with a `source` column. Only some cells need be given; the others are `[x]` not
available. They pass the same rules as any return, as far as the given cells allow, and are
published at once as a historical publication: no foreword, marked as such on the page.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .figures import replace_figures
from .imports import ParsedReturn
from .models import AnnualReport, Area, ReportEvent, ReportingYear

#: Fits ReportEvent.action (20 characters).
LOAD_ACTION = "past_publication"


def refusal(year: ReportingYear, area: Area, report: AnnualReport | None) -> str:
    """Why a past publication cannot be loaded for `area` and `year`, or "" if it can."""
    if report is not None:
        state = report.get_status_display().lower()
        return (
            f"{area} already has a {year} report ({state}): past publications are only for "
            "years an area has no report in the portal."
        )
    if year.release_at is None or year.release_at > timezone.now():
        return (
            f"{year} has not been released: past publications are for years whose figures "
            "have already been published."
        )
    return ""


def start(parsed: ParsedReturn, user: AbstractBaseUser | None) -> AnnualReport:
    """The report a past publication's figures will be written to."""
    return AnnualReport.objects.create(
        year=parsed.year,
        area=parsed.area,
        is_past_publication=True,
        source_note=parsed.source_note,
        last_edited_by=user,
    )


@transaction.atomic
def publish(report: AnnualReport, parsed: ParsedReturn, user: AbstractBaseUser | None) -> None:
    """Write the given cells (the rest `[x]`) and publish the report now."""
    from .workflow import publish_revision  # workflow imports this module's neighbours

    replace_figures(report, dict(parsed.values), missing_not_available=True)
    now = timezone.now()
    AnnualReport.objects.filter(pk=report.pk).update(status=AnnualReport.Status.PUBLISHED)
    report.status = AnnualReport.Status.PUBLISHED
    ReportEvent.objects.create(
        report=report,
        action=LOAD_ACTION,
        from_status=AnnualReport.Status.DRAFT,
        to_status=AnnualReport.Status.PUBLISHED,
        user=user,
        at=now,
        comment=f"Past publication loaded. Source: {report.source_note}",
    )
    publish_revision(report, user, at=now)
