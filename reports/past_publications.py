"""Past publications: figures an area published before the portal, loaded and published at once.

The national team loads them (admin import or `manage.py load_past_publications`) in the tidy
format with a `source` column. Only some cells need be given; the others are `[x]` not
available. They pass the same rules as any return, as far as the given cells allow, and are
published at once as a historical publication: no foreword, marked as such on the page.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from . import public_state
from .figures import write_figures
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


def start(parsed: list[ParsedReturn], user: User | None) -> list[AnnualReport]:
    """The reports the past publications' figures will be written to, created in bulk."""
    return bulk_create_with_history(
        [
            AnnualReport(
                year=item.year,
                area=item.area,
                is_past_publication=True,
                source_note=item.source_note,
                last_edited_by=user,
            )
            for item in parsed
        ],
        AnnualReport,
        default_user=user,
    )


@transaction.atomic
def publish(loaded: list[tuple[AnnualReport, ParsedReturn]], user: User | None) -> None:
    """Write each report's given cells (the rest `[x]`), all in bulk, and publish each now."""
    from .workflow import publish_revision  # workflow imports this module's neighbours

    write_figures(
        [(report, parsed.values) for report, parsed in loaded],
        replace=True,
        missing_not_available=True,
        user=user,
    )
    now = timezone.now()
    reports = [report for report, _ in loaded]
    AnnualReport.objects.filter(pk__in=[report.pk for report in reports]).update(
        status=AnnualReport.Status.PUBLISHED
    )
    ReportEvent.objects.bulk_create(
        ReportEvent(
            report=report,
            action=LOAD_ACTION,
            from_status=AnnualReport.Status.DRAFT,
            to_status=AnnualReport.Status.PUBLISHED,
            user=user,
            at=now,
            comment=f"Past publication loaded. Source: {report.source_note}",
        )
        for report in reports
    )
    # Each is a revision of its own, made as any publication is; the public's view changes
    # once for them all (one bump of the public state, inside this transaction).
    with public_state.batch():
        for report in reports:
            report.status = AnnualReport.Status.PUBLISHED
            publish_revision(report, user, at=now)
