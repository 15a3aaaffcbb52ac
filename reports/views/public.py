"""Public pages. They read only published revisions whose release time has come."""

from collections.abc import Callable, Iterable, Iterator
from itertools import groupby
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe
from django.views.defaults import page_not_found

from .. import editions, hexmap, printing, public_state, releases, standard_text, statistics
from ..access import get_year
from ..api import api
from ..areas import SLUG
from ..caching import asks_for_html, code_version, public_cache
from ..charts import line_chart
from ..exports import copy_csv, csv_lines, json_chunks, published_rows, series_lines, year_workbook
from ..imports import FIGURE_COLUMNS
from ..models import AnnualReport, Area, PublishedRevision, ReportingYear, Signatory
from ..returns import all_series, all_templates


@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers (and the load benchmark's floor): the app answers; no database."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
@public_cache
def home(request: HttpRequest) -> HttpResponse:
    """What MAPPA Portal is, and the published reports by year and area."""
    reports = AnnualReport.objects.published().select_related("area", "year")
    by_year = [(year, list(items)) for year, items in groupby(reports, key=lambda r: r.year)]
    return render(request, "reports/home.html", {"reports_by_year": by_year})


@require_safe
@public_cache
def report_detail(request: HttpRequest, year: str, area: str) -> HttpResponse:
    """The current published revision of a report, section by section as the printed report."""
    revisions = _public_revisions(year, area)
    return render_revision(request, revisions[-1], revisions, at_revision=False)


@require_safe
@public_cache
def revision_detail(request: HttpRequest, year: str, area: str, number: int) -> HttpResponse:
    """An earlier (or the current) published revision, readable at its own address."""
    revisions = _public_revisions(year, area)
    revision = next((r for r in revisions if r.number == number), None)
    if revision is None:
        raise Http404("No such published revision.")
    return render_revision(request, revision, revisions, at_revision=True)


@require_safe
@public_cache
def revision_pdf(request: HttpRequest, year: str, area: str, number: int) -> FileResponse:
    """A published revision as PDF: its page laid out for print, made once (printing.py)."""
    revisions = _public_revisions(year, area)
    revision = next((r for r in revisions if r.number == number), None)
    if revision is None:
        raise Http404("No such published revision.")
    # Rendered without the request: the same bytes whoever asks, signed in or not.
    context = _revision_context(revision, revisions, pdf=True)
    path = printing.report_pdf(revision, render_to_string("reports/report_detail.html", context))
    report = revision.report
    return FileResponse(
        open(path, "rb"),  # FileResponse closes it
        as_attachment=True,
        filename=f"mappa-{report.year.label}-{report.area.slug}-revision-{revision.number}.pdf",
        content_type="application/pdf",
    )


@require_safe
@public_cache
def report_download(request: HttpRequest, year: str, area: str, fmt: str) -> StreamingHttpResponse:
    """The current published figures of a report, as tidy CSV or JSON."""
    revision = _public_revisions(year, area)[-1]
    revisions = PublishedRevision.objects.filter(pk=revision.pk)
    return _download(
        revisions, fmt, f"mappa-{revision.report.year.label}-{revision.report.area.slug}"
    )


@require_safe
@public_cache
def revision_download(
    request: HttpRequest, year: str, area: str, number: int, fmt: str
) -> StreamingHttpResponse:
    """A published revision's figures as it published them, at an address that never changes:
    a superseded revision's stay available after a correction."""
    revision = next((r for r in _public_revisions(year, area) if r.number == number), None)
    if revision is None:
        raise Http404("No such published revision.")
    report = revision.report
    return _download(
        PublishedRevision.objects.filter(pk=revision.pk),
        fmt,
        f"mappa-{report.year.label}-{report.area.slug}-revision-{number}",
    )


@require_safe
@public_cache
def year_download(request: HttpRequest, year: str, fmt: str) -> StreamingHttpResponse:
    """Every published figure of a year, as tidy CSV or JSON, or as a spreadsheet."""
    year_obj = get_year(year)
    name = f"mappa-{year_obj.label}"
    if fmt == "xlsx":
        response = FileResponse(
            year_workbook(year_obj, public_state.watcher.current().changed_at),
            as_attachment=True,
            filename=f"{name}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        return response
    return _download(statistics.current_revisions().filter(report__year=year_obj), fmt, name)


@require_safe
@public_cache
def all_download(request: HttpRequest, fmt: str) -> StreamingHttpResponse:
    """Every published figure of every year."""
    return _download(statistics.current_revisions(), fmt, "mappa-all-years")


def _download(revisions: QuerySet[PublishedRevision], fmt: str, name: str) -> StreamingHttpResponse:
    body: Iterator[str] | Iterator[bytes]
    if fmt == "json":
        body, content_type = json_chunks(published_rows(revisions)), "application/json"
    elif connection.vendor == "postgresql":
        body, content_type = copy_csv(revisions), "text/csv; charset=utf-8"
    else:
        body, content_type = csv_lines(published_rows(revisions)), "text/csv; charset=utf-8"
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@require_safe
@public_cache
def data_dictionary(request: HttpRequest) -> HttpResponse:
    """What the downloads hold: every column, code, table, row and column key."""
    years = ReportingYear.objects.filter(reports__in=AnnualReport.objects.published()).distinct()
    every_year: dict[str, list[str]] = {}
    for year in ReportingYear.objects.order_by("start_year"):
        every_year.setdefault(year.return_template, []).append(year.label)
    return render(
        request,
        "reports/data.html",
        {
            "templates": [(t, every_year.get(t.key, [])) for t in all_templates().values()],
            "series": all_series().values(),
            "years": years,
            "columns": FIGURE_COLUMNS,
        },
    )


@require_safe
@public_cache
def api_guide(request: HttpRequest) -> HttpResponse:
    """/api/v1/ for a person in a browser: what the API offers, with examples. Programs (not
    asking for HTML) get what they always have here: 404, the endpoints being below it."""
    if not asks_for_html(request):
        missing = Http404("The API's endpoints are below /api/v1/: see /api/v1/openapi.json.")
        not_found = page_not_found(request, missing)
        patch_vary_headers(not_found, ["Accept"])  # a shared cache must not give it to browsers
        return not_found
    schema = api.get_openapi_schema()
    endpoints = [
        {
            "path": path,
            "summary": operation.get("summary", ""),
            "parameters": operation.get("parameters", []),
        }
        for path, operations in schema["paths"].items()
        for operation in operations.values()
    ]
    response = render(request, "reports/api.html", {"endpoints": endpoints})
    patch_vary_headers(response, ["Accept"])
    return response


@require_safe
@public_cache
def series_detail(request: HttpRequest, key: str) -> HttpResponse:
    """One series for every area and year, with each year's sum and its breaks."""
    series = all_series().get(key)
    if series is None or series.share_of:
        raise Http404("No such series.")
    table = statistics.series_table(series)
    shown = [point.display for _, cells in table.rows for point in cells if point]
    shown += ["[x]" for total, _ in table.totals if total is None]
    context = {
        "series": series,
        "table": table,
        "area_count": Area.objects.count(),
        "markers": _markers(shown),
        "has_blanks": any(point is None for _, cells in table.rows for point in cells),
    }
    return render(request, "reports/series_detail.html", context)


@require_safe
@public_cache(params=("area",))
def series_download(request: HttpRequest, key: str) -> StreamingHttpResponse:
    """One series across every published year and area, as CSV, `[b]` at its breaks."""
    series = all_series().get(key)
    if series is None:
        raise Http404("No such series.")
    area = request.GET.get("area")
    area_obj = Area.objects.filter(slug=area).first() if area and SLUG.fullmatch(area) else None
    if area and area_obj is None:
        raise Http404("No such area.")
    rows = statistics.series_rows(series, area_obj)
    response = StreamingHttpResponse(
        series_lines(series, rows), content_type="text/csv; charset=utf-8"
    )
    name = f"mappa-series-{series.key}" + (f"-{area_obj.slug}" if area_obj else "")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@require_safe
@public_cache
def national_summary(request: HttpRequest, year: str) -> HttpResponse:
    """The year's tables summed over every area published for it."""
    year_obj = get_year(year)
    summary = statistics.national_summary(year_obj)
    template = year_obj.template
    notes = summary.notes()
    tables = template.layout(summary.values, year_obj.snapshot_date, notes)
    context: dict[str, Any] = {
        "year": year_obj,
        "release": releases.release_loaded(year_obj),
        "recipients": releases.published_recipients(year_obj),
        "summary": summary,
        "area_count": summary.area_total,
        "tables": tables,
        "rate_table": template.rate_rule.rate.table if template.rate_rule else None,
        "markers": _markers(
            cell.display
            for layout in tables
            for group in layout.groups
            for row in group.rows
            for cell in row.cells
        ),
        "has_area_counts": bool(notes),
        "hexmap": hexmap.national_map(summary),
    }
    revisions = editions.year_revisions(year_obj)
    after = {(r.report_id, r.number): r for r in revisions}
    # Each revision with the one that superseded it (None for a report's current revision).
    context["year_versions"] = [(r, after.get((r.report_id, r.number + 1))) for r in revisions]
    made = editions.editions(revisions)
    # The year's files at each edition, each with the one that superseded it.
    context["year_editions"] = list(zip(made, [*made[1:], None], strict=False))  # [] if none
    return render(request, "reports/national_summary.html", context)


@require_safe
@public_cache
def edition_download(
    request: HttpRequest, year: str, stamp: str, fmt: str
) -> StreamingHttpResponse:
    """The year's figures as they stood in one edition (after a release, a later publication
    or a correction), at an address that never changes."""
    year_obj = get_year(year)
    made = editions.editions(editions.year_revisions(year_obj))
    edition = next((e for e in made if e.stamp == stamp), None)
    if edition is None:
        raise Http404("No such edition of the year's figures.")
    return _download(
        edition.revisions_current(year_obj), fmt, f"mappa-{year_obj.label}-as-at-{stamp}"
    )


@require_safe
@public_cache(params=("sort", "order"))
def compare_areas(request: HttpRequest, year: str) -> HttpResponse:
    """Every published area side by side for a year, sortable by any column."""
    year_obj = get_year(year)
    series = statistics.compare_series()
    sorts: dict[str, Callable[..., Any]] = {
        s.key: (lambda row, k=s.key: row.points[k].value.value) for s in series
    }
    sorts["area"] = lambda row: row.area.name
    sort = request.GET.get("sort", "area")
    sort = sort if sort in sorts else "area"
    descending = request.GET.get("order") == "descending"
    rows = statistics.compare_areas(year_obj)
    key = sorts[sort]
    # Figures not available sort last whichever way.
    known = sorted((r for r in rows if key(r) is not None), key=key, reverse=descending)
    rows = known + [r for r in rows if key(r) is None]
    columns = [("area", "Area"), *((s.key, s.label) for s in series)]
    breaks = {
        s.key: reason for s in series if (reason := statistics.point(s, year_obj, {}).break_reason)
    }
    context = {
        "year": year_obj,
        "rows": rows,
        "sort": sort,
        "descending": descending,
        "columns": columns,
        "series": series,
        "breaks": breaks,
        "markers": _markers(point.display for row in rows for point in row.cells),
    }
    return render(request, "reports/compare.html", context)


@require_safe
@public_cache
def area_list(request: HttpRequest) -> HttpResponse:
    """The 42 areas, and which have published reports."""
    published = set(AnnualReport.objects.published().values_list("area_id", flat=True))
    areas = [(area, area.pk in published) for area in Area.objects.all()]
    return render(request, "reports/area_list.html", {"areas": areas})


@require_safe
@public_cache
def area_detail(request: HttpRequest, area: str) -> HttpResponse:
    """An area over time: its published reports and trend charts of the main figures."""
    try:
        area_obj = Area.objects.get(slug=area)
    except Area.DoesNotExist:
        raise Http404("No such area.") from None
    years, trends = statistics.area_trends(area_obj)
    # A series the area never published (past publications hold a few figures) is only named.
    unpublished = [s for s, points in trends if all(p.value.value is None for p in points)]
    trends = [(s, points) for s, points in trends if s not in unpublished]
    charts = [
        {
            "series": series,
            "label": series.label,
            "points": points,
            "chart": line_chart(
                [(p.year.label, p.value.value, bool(p.break_reason)) for p in points],
                [p.year.start_year for p in points],
            ),
            "breaks": [p for p in points if p.break_reason],
        }
        for series, points in trends
    ]
    context = {
        "area": area_obj,
        "years": years,
        "charts": charts,
        "unpublished": unpublished,
        "return_changes": _return_changes(years, [s for s, _ in trends]),
        "markers": _markers(p.display for _, points in trends for p in points),
        "has_breaks": any(item["breaks"] for item in charts),
    }
    return render(request, "reports/area_detail.html", context)


def _markers(shown: Iterable[str]) -> set[str]:
    """The codes among the figures a page shows, so that it explains those and only those."""
    return {text for text in shown if text in ("[x]", "[c]")}


def _return_changes(years: list[ReportingYear], shown: list) -> list[dict]:
    """The return templates begun within an area's published years, and the series they break."""
    if len(years) < 2:
        return []
    first, last = years[0].start_year, years[-1].start_year
    return [
        {
            "template": template,
            "breaks": [s.label for s in shown if template.key in s.breaks],
        }
        for template in all_templates().values()
        if first < template.first_year <= last
    ]


@require_safe
@public_cache
def release_calendar(request: HttpRequest) -> HttpResponse:
    """Every year's release: upcoming (provisional, confirmed, moved or cancelled), then past
    releases with links and who had pre-release access."""
    upcoming, past = releases.calendar()
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


def render_revision(
    request: HttpRequest,
    revision: PublishedRevision,
    revisions: list[PublishedRevision],
    at_revision: bool = False,
    watermark: str = "",
) -> HttpResponse:
    """A revision as the printed report; with a pre-release `watermark` for a recipient's
    reading before the release (`views/releases.py`), without the public download links."""
    context = _revision_context(revision, revisions, at_revision=at_revision, watermark=watermark)
    return render(request, "reports/report_detail.html", context)


def _revision_context(
    revision: PublishedRevision,
    revisions: list[PublishedRevision],
    *,
    at_revision: bool = False,
    pdf: bool = False,
    watermark: str = "",
) -> dict[str, Any]:
    report = revision.report
    current = revisions[-1]
    template = report.template
    context = {
        "breadcrumbs": _report_breadcrumbs(revision, at_revision),
        "rate_table": template.rate_rule.rate.table if template.rate_rule else None,
        "sources": revision.source_note.splitlines(),
        "report": report,
        "revision": revision,
        "is_current": revision == current,
        "current": current,
        "corrections": [r for r in revisions if 1 < r.number <= revision.number],
        # Each revision with the one that superseded it (None for the current one).
        "versions": list(zip(revisions, [*revisions[1:], None], strict=True)),
        # Read only if the revision's tables are not kept already (report_detail.html).
        "tables": SimpleLazyObject(
            lambda: template.layout(revision.cell_values(), report.year.snapshot_date)
        ),
        "code_version": code_version(),
        "pdf": pdf,
        "watermark": watermark,
        "foreword_signatories": [
            s for s in revision.signatories if s["section"] == Signatory.Section.FOREWORD
        ],
        "local_signatories": [
            s for s in revision.signatories if s["section"] == Signatory.Section.LOCAL_PAGE
        ],
    }
    if not report.is_past_publication:  # a past publication shows its statistics only
        texts = standard_text.public_text_for(report.year)
        context["what_is_mappa"] = standard_text.render(texts.what_is_mappa, report.year)
        context["commentary"] = standard_text.render(texts.commentary, report.year)
    return context


def _report_breadcrumbs(revision: PublishedRevision, at_revision: bool) -> list[tuple[str, str]]:
    """Home, the year's national summary, the area, the report, and a revision's own page."""
    report = revision.report
    year, area = report.year.label, report.area
    crumbs = [
        ("MAPPA Portal", reverse("reports:home")),
        (year, reverse("reports:national", kwargs={"year": year})),
        (area.name, reverse("reports:area", kwargs={"area": area.slug})),
    ]
    if not at_revision:
        return [*crumbs, (f"{year} report", "")]
    report_url = reverse("reports:report", kwargs={"year": year, "area": area.slug})
    return [*crumbs, (f"{year} report", report_url), (f"Revision {revision.number}", "")]
