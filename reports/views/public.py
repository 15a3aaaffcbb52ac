"""Public pages. They read only published revisions whose release time has come."""

from itertools import groupby

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from ..exports import csv_lines, first_revision_values, revision_rows
from ..models import AnnualReport, PublishedRevision, ReportingYear, Signatory


def home(request: HttpRequest) -> HttpResponse:
    """What MAPPA Portal is, and the published reports by year and area."""
    reports = AnnualReport.objects.published().select_related("area", "year")
    by_year = [(year, list(items)) for year, items in groupby(reports, key=lambda r: r.year)]
    return render(request, "reports/home.html", {"reports_by_year": by_year})


def report_detail(request: HttpRequest, year: str, area: str) -> HttpResponse:
    """The current published revision of a report, section by section as the printed report."""
    revisions = _public_revisions(year, area)
    return _render_revision(request, revisions[-1], revisions)


def revision_detail(request: HttpRequest, year: str, area: str, number: int) -> HttpResponse:
    """An earlier (or the current) published revision, readable at its own address."""
    revisions = _public_revisions(year, area)
    revision = next((r for r in revisions if r.number == number), None)
    if revision is None:
        raise Http404("No such published revision.")
    return _render_revision(request, revision, revisions)


def report_csv(request: HttpRequest, year: str, area: str) -> StreamingHttpResponse:
    """The current published figures of a report as tidy CSV; revised figures marked [r]."""
    revision = _public_revisions(year, area)[-1]
    rows = revision_rows(revision, first_revision_values(revision))
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    name = f"mappa-{revision.report.year.label}-{revision.report.area.slug}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def release_calendar(request: HttpRequest) -> HttpResponse:
    """Announced release dates of the years' reports, upcoming first."""
    now = timezone.now()
    years = ReportingYear.objects.filter(release_at__isnull=False).order_by("-release_at")
    upcoming = sorted((y for y in years if y.release_at > now), key=lambda y: y.release_at)
    past = [y for y in years if y.release_at <= now]
    return render(request, "reports/release_calendar.html", {"upcoming": upcoming, "past": past})


def _public_revisions(year_label: str, area_slug: str) -> list[PublishedRevision]:
    start_year = ReportingYear.start_year_from_label(year_label)
    revisions = list(
        PublishedRevision.objects.public()
        .filter(report__year__start_year=start_year, report__area__slug=area_slug)
        .select_related("report__area", "report__year")
        .order_by("number")
    )
    if not revisions:
        raise Http404("No published report for that year and area.")
    return revisions


def _render_revision(
    request: HttpRequest, revision: PublishedRevision, revisions: list[PublishedRevision]
) -> HttpResponse:
    report = revision.report
    current = revisions[-1]
    context = {
        "report": report,
        "revision": revision,
        "is_current": revision == current,
        "current": current,
        "corrections": [r for r in revisions if 1 < r.number <= revision.number],
        "other_revisions": [r for r in revisions if r != revision],
        "tables": report.template.layout(revision.cell_values(), report.year.snapshot_date),
        "foreword_signatories": [
            s for s in revision.signatories if s["section"] == Signatory.Section.FOREWORD
        ],
        "local_signatories": [
            s for s in revision.signatories if s["section"] == Signatory.Section.LOCAL_PAGE
        ],
    }
    return render(request, "reports/report_detail.html", context)
