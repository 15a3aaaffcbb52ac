"""Public pages: only published reports are ever shown here."""

from itertools import groupby

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ..models import AnnualReport, ReportingYear, Signatory


def home(request: HttpRequest) -> HttpResponse:
    """What MAPPA Portal is, and the published reports by year and area."""
    reports = AnnualReport.objects.published().select_related("area", "year")
    by_year = [(year, list(items)) for year, items in groupby(reports, key=lambda r: r.year)]
    return render(request, "reports/home.html", {"reports_by_year": by_year})


def report_detail(request: HttpRequest, year: str, area: str) -> HttpResponse:
    """One published annual report, section by section as the printed report."""
    report = _get_published_report(year, area)
    signatories = list(report.signatories.all())
    context = {
        "report": report,
        "tables": report.template.layout(report.cell_values(), report.year.snapshot_date),
        "foreword_signatories": [s for s in signatories if s.section == Signatory.Section.FOREWORD],
        "local_signatories": [s for s in signatories if s.section == Signatory.Section.LOCAL_PAGE],
    }
    return render(request, "reports/report_detail.html", context)


def _get_published_report(year_label: str, area_slug: str) -> AnnualReport:
    start_year = ReportingYear.start_year_from_label(year_label)
    try:
        return (
            AnnualReport.objects.published()
            .select_related("area", "year")
            .get(year__start_year=start_year, area__slug=area_slug)
        )
    except AnnualReport.DoesNotExist:
        raise Http404("No published report for that year and area.") from None
