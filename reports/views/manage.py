"""The back office for coordinators (and, read-only, the national team).

Each view starts with an access helper from `access.py`; writes go through `drafts.py` and
`workflow.py`. State changes are POST only, with CSRF.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from .. import access, change_checks, drafts, releases, sections, windows, workflow
from ..access import AuthenticatedHttpRequest
from ..forms import (
    AcknowledgementForm,
    DashboardFilterForm,
    SignatoryFormSet,
    StartReportForm,
    SubmitForm,
    TableForm,
    TextSectionForm,
    VersionedForm,
    cell_field_name,
    report_text_initial,
)
from ..history import report_history
from ..models import AnnualReport, Area, ReportingYear, ReturnPointer, Signatory, StatusSummary
from ..returns import CellRef
from ..sections import sections_for

GET_POST = require_http_methods(["GET", "POST"])


def _posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST (even an empty one), or None so that forms stay unbound."""
    return request.POST if request.method == "POST" else None


def report_url(name: str, report: AnnualReport, **extra: str) -> str:
    return reverse(name, kwargs={"year": report.year.label, "area": report.area.slug, **extra})


# --- Dashboard and starting a report -------------------------------------------------------


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """The signed-in person's areas and years, each report's status and what to do next.

    The national team sees every area's reports as one table, filtered by year, status and area.
    """
    is_admin = access.is_national_admin(request.user)
    open_years = list(ReportingYear.objects.filter(is_open=True))
    # Past publications are not submissions: there is nothing of theirs to track.
    tracked_years = list(
        ReportingYear.objects.filter(
            Q(reports__isnull=False, reports__is_past_publication=False) | Q(is_open=True)
        ).distinct()
    )
    context: dict = {
        "open_years": [(year, windows.describe(year)) for year in open_years],
        "tracked_years": tracked_years,
        "is_admin": is_admin,
        "pre_release": releases.open_access(request.user),
    }
    if is_admin:
        context.update(_national_table(request, tracked_years))
        return render(request, "manage/dashboard.html", context)
    areas = list(access.coordinated_areas(request.user))
    reports = (
        AnnualReport.objects.filter(area__in=areas)
        .with_release_times()
        .select_related("year", "area")
    )
    by_area: dict[int, dict[int, AnnualReport]] = {}
    for report in reports:
        by_area.setdefault(report.area_id, {})[report.year_id] = report
    rows = []
    for area in areas:
        area_reports = by_area.get(area.pk, {})
        years = {year.pk: year for year in open_years}
        years.update({r.year.pk: r.year for r in area_reports.values()})
        entries = [
            _dashboard_entry(year, area, area_reports.get(year.pk))
            for year in sorted(years.values(), key=lambda y: -y.start_year)
        ]
        rows.append({"area": area, "entries": entries})
    context["rows"] = rows
    return render(request, "manage/dashboard.html", context)


def _dashboard_entry(year: ReportingYear, area: Area, report: AnnualReport | None) -> dict:
    """One of a coordinator's reports: its status, the link to follow ("start", "continue",
    "view"), and why the area can do no more, or that it can thanks to an extension."""
    entry = _entry(area, year, report)
    entry.update(action=None, note=None)
    if report is not None:
        verdict = windows.can_change(report)
        entry["action"] = "continue" if verdict.allowed else "view"
        # The status tag already says a report is with reviewers or approved.
        if report.status in windows.EDITABLE_STATUSES:
            entry["note"] = verdict.refusal or verdict.note
    elif year.is_open:
        verdict = windows.can_start(year, area)
        entry["action"] = "start" if verdict.allowed else None
        entry["note"] = verdict.refusal or verdict.note
    return entry


def _entry(area: Area, year: ReportingYear, report: AnnualReport | None) -> dict:
    """One area's report for one year, as a row of a dashboard."""
    status = report.status_summary() if report else StatusSummary("not_started", "Not started")
    return {"area": area, "year": year, "report": report, "status": status}


def _national_table(request: HttpRequest, tracked_years: list[ReportingYear]) -> dict:
    """Every area's report for the tracked years as one table, with its filters (GET)."""
    # Unfiltered, the newest year is shown: 42 rows, not 42 for every year.
    newest = tracked_years[0].label if tracked_years else ""
    form = DashboardFilterForm(
        request.GET or None,
        initial={"year": newest},
        years=tracked_years,
        areas=list(Area.objects.all()),
    )
    chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}
    year_label = chosen.get("year", newest)
    years = [y for y in tracked_years if year_label in ("", y.label)]
    areas = Area.objects.all()
    if chosen.get("area"):
        areas = areas.filter(slug=chosen["area"])
    reports = {
        (r.area_id, r.year_id): r
        for r in AnnualReport.objects.filter(year__in=years, area__in=areas)
        .with_release_times()
        .select_related("year", "area")
    }
    rows = [_entry(area, year, reports.get((area.pk, year.pk))) for year in years for area in areas]
    if chosen.get("status"):
        rows = [row for row in rows if row["status"].key == chosen["status"]]
    return {"filter_form": form, "table_rows": rows, "shown_year": year_label}


@login_required
@GET_POST
def start_report(request: HttpRequest, year: str, area: str) -> HttpResponse:
    """Start an area's report for an open year, optionally from last year's text."""
    area_obj = access.get_area_for_coordinator(request.user, area)
    year_obj = access.get_year(year)
    existing = AnnualReport.objects.filter(area=area_obj, year=year_obj).first()
    if existing:
        return redirect(report_url("manage:overview", existing))
    verdict = windows.can_start(year_obj, area_obj)
    if not verdict.allowed:
        messages.error(request, cast(str, verdict.refusal))
        return redirect("manage:dashboard")
    previous = (
        AnnualReport.objects.filter(area=area_obj, year__start_year__lt=year_obj.start_year)
        .order_by("-year__start_year")
        .first()
    )
    form = StartReportForm(_posted(request))
    if request.method == "POST" and (previous is None or form.is_valid()):
        copy = previous is not None and form.cleaned_data["copy_previous"]
        try:
            report = _create_report(area_obj, year_obj, previous if copy else None)
        except IntegrityError:  # someone else started it a moment ago
            report = AnnualReport.objects.get(area=area_obj, year=year_obj)
        messages.success(request, f"You started the {area_obj} report for {year_obj}.")
        return redirect(report_url("manage:overview", report))
    return render(
        request,
        "manage/start.html",
        {
            "form": form,
            "area": area_obj,
            "year": year_obj,
            "previous": previous,
            "window": windows.describe(year_obj, area_obj),
            "extension_note": verdict.note,
        },
    )


@transaction.atomic
def _create_report(area: Area, year: ReportingYear, previous: AnnualReport | None) -> AnnualReport:
    report = AnnualReport.objects.create(area=area, year=year)
    if previous is not None:
        for name in ("foreword_title", "foreword", "local_page_title", "local_narrative"):
            setattr(report, name, getattr(previous, name))
        report.population_source = previous.population_source
        # Last year's words in this year's report: each section needs reading before it goes
        # in again, so it reads "Check before submitting" until opened and saved.
        report.copied_sections = [
            slug
            for slug, names in sections.TEXT_FIELDS.items()
            if any(getattr(report, name) for name in names)
        ]
        if previous.signatories.exists():
            report.copied_sections.append(sections.SIGNATORIES)
        report.save()
        for signatory in previous.signatories.all():
            Signatory.objects.create(
                report=report,
                section=signatory.section,
                name=signatory.name,
                job_title=signatory.job_title,
                organisation=signatory.organisation,
                order=signatory.order,
            )
    return report


# --- The report's task list ----------------------------------------------------------------


@login_required
@require_safe
def overview(request: HttpRequest, year: str, area: str) -> HttpResponse:
    """The task list: each section with its status, and the way to check and submit."""
    report = access.get_report_for_viewing(request.user, year, area)
    verdict = windows.can_change(report)
    values = report.cell_values()
    signatories = report.signatories.count()
    pointers = sections.open_pointers(report)
    to_look_at = {p.pk for p in sections.unchanged(report, pointers)}
    reopened = sections.reopened_sections(report)
    verdict = windows.can_change(report)
    editable = verdict.allowed and access.can_edit_area(request.user, report.area)
    tasks = []
    for section in sections_for(report.template):
        if section.table is not None:
            cells = [
                ref
                for ref, row, column in section.table.cell_refs()
                if section.table.is_applicable(row, column)
            ]
            filled = sum(ref in values for ref in cells)
            status = (
                "Completed" if filled == len(cells) else "In progress" if filled else "Not started"
            )
            url = report_url(section.url_name, report, table=section.slug)
        elif section.slug == sections.SIGNATORIES:
            status = f"{signatories} added" if signatories else "Optional"
            url = report_url(section.url_name, report)
        else:
            text = report.foreword if section.slug == "introduction" else report.local_narrative
            status = "Completed" if text.strip() else "Not started"
            url = report_url(section.url_name, report)
        if section.slug in report.copied_sections:
            status = "Check before submitting"
        pointed = [p for p in pointers if p.section == section.slug]
        if any(p.pk in to_look_at for p in pointed):
            # Returned for this section: in progress again until the coordinator changes it.
            status = "In progress"
        locked = sections.locked_reason(report, section.slug, reopened)
        tasks.append(
            {
                "section": section,
                "status": status,
                "url": url,
                "pointed": pointed,
                "locked": locked,
                "link": editable and not locked,
            }
        )
    context = {
        "report": report,
        "status": report.status_summary(),
        "tasks": tasks,
        "editable": editable,
        "not_editable_reason": verdict.refusal,
        "extension_note": verdict.note,
        "window": windows.describe(report.year, report.area),
        "returned": latest_return(report, pointers),
        "events": report.events.select_related("user"),
        "is_admin": access.is_national_admin(request.user),
    }
    return render(request, "manage/overview.html", context)


def latest_return(report: AnnualReport, pointers: list[ReturnPointer]) -> dict | None:
    """The national team's latest return (or reopening) comment, while the report is returned."""
    if report.status != AnnualReport.Status.RETURNED:
        return None
    event = report.events.filter(action__in=["return", "reopen"]).order_by("-at", "-pk").first()
    if event is None:
        return None
    return {"event": event, "pointers": describe_pointers(report, pointers)}


def describe_pointers(report: AnnualReport, pointers: list[ReturnPointer]) -> list[dict]:
    """Each pointer with its target's name and the address of the cell or section's page."""
    template = report.template
    titles = sections.section_titles(template)
    described = []
    for pointer in pointers:
        ref = pointer.ref
        field_id = ""
        if ref is not None and template.has_cell(ref):
            name, field_id = template.describe(ref), cell_field_id(ref)
            url = report_url("manage:table", report, table=ref.table) + f"#{field_id}"
        elif pointer.section in titles:
            name = titles[pointer.section]
            section = next(s for s in sections_for(template) if s.slug == pointer.section)
            kwargs = {"table": section.slug} if section.table else {}
            url = report_url(section.url_name, report, **kwargs) + "#returned"
        else:
            continue  # a cell or section the template no longer has
        described.append({"pointer": pointer, "name": name, "url": url, "field_id": field_id})
    return described


def cell_field_id(ref: CellRef) -> str:
    """The id of a cell's input on its table page (Django's auto id of the field)."""
    return f"id_{cell_field_name(ref)}"


# --- Sections ------------------------------------------------------------------------------


def _editable_or_redirect(
    request: HttpRequest, report: AnnualReport, section: str
) -> HttpResponse | None:
    """Send people back to the read-only overview when the section cannot be changed."""
    if not drafts.is_editable(report):
        reason = drafts.not_editable_reason(report)
    else:
        reason = sections.locked_reason(report, section, sections.reopened_sections(report))
        if not reason:
            return None
    messages.error(request, reason)
    return redirect(report_url("manage:overview", report))


def _pointers_for(report: AnnualReport, section: str) -> list[dict]:
    """What the latest return points at in `section`, for its page."""
    pointed = [p for p in sections.open_pointers(report) if p.section == section]
    return describe_pointers(report, pointed)


def _save_or_conflict(request: HttpRequest, form: BaseForm, save: Callable[[], object]) -> bool:
    """Run `save`; on a lost-update conflict or a closed report, explain on the form."""
    try:
        save()
    except drafts.EditConflict as conflict:
        form.add_error(None, str(conflict))
        # The person has now been told; saving again deliberately is allowed.
        form.data = cast(QueryDict, form.data).copy()  # bound to request.POST, a QueryDict
        form.data[form.add_prefix("version")] = str(conflict.current.version)
        return False
    except drafts.NotEditable as refused:
        form.add_error(None, str(refused))
        return False
    return True


@login_required
@GET_POST
def edit_table(request: AuthenticatedHttpRequest, year: str, area: str, table: str) -> HttpResponse:
    """One statistics table as a grid of cells."""
    report = access.get_report_for_coordinator(request.user, year, area)
    try:
        table_obj = report.template.table(table)
    except KeyError:
        raise Http404("No such table.") from None
    if response := _editable_or_redirect(request, report, table_obj.key):
        return response
    form = TableForm(
        _posted(request),
        initial={
            "version": report.version,
            "population_estimate": report.population_estimate,
            "population_source": report.population_source,
        },
        template=report.template,
        table=table_obj,
        stored=report.cell_values(),
        population=report.population_estimate,
    )
    if request.method == "POST" and form.is_valid():
        fields = {
            name: form.cleaned_data[name]
            for name in ("population_estimate", "population_source")
            if name in form.fields
        }
        if _save_or_conflict(
            request,
            form,
            lambda: drafts.save_table(
                report, request.user, form.cleaned_data["version"], form.changes(), **fields
            ),
        ):
            messages.success(request, f"{table_obj.short_name}: saved.")
            return redirect(_next_url(request, report))
    layout = report.template.layout(report.cell_values(), report.year.snapshot_date)
    title = next(t.title for t in layout if t.table.key == table_obj.key)
    pointers = _pointers_for(report, table_obj.key)
    return render(
        request,
        "manage/table_form.html",
        {
            "report": report,
            "form": form,
            "table": table_obj,
            "title": title,
            "pointers": pointers,
            "section_pointers": [p for p in pointers if not p["pointer"].cell],
            "cell_pointers": {p["pointer"].cell: p for p in pointers if p["pointer"].cell},
        },
    )


@login_required
@GET_POST
def edit_text(
    request: AuthenticatedHttpRequest, year: str, area: str, section: str
) -> HttpResponse:
    """The introduction (foreword) or the local page: a heading and plain text."""
    report = access.get_report_for_coordinator(request.user, year, area)
    slug = sections.INTRODUCTION if section == "foreword" else sections.LOCAL_PAGE
    if response := _editable_or_redirect(request, report, slug):
        return response
    form = TextSectionForm(_posted(request), initial=report_text_initial(report, section))
    title_field, text_field = (
        ("foreword_title", "foreword")
        if section == "foreword"
        else ("local_page_title", "local_narrative")
    )
    if request.method == "POST" and form.is_valid():
        fields = {title_field: form.cleaned_data["title"], text_field: form.cleaned_data["text"]}
        if _save_or_conflict(
            request,
            form,
            lambda: drafts.save_fields(
                report, request.user, form.cleaned_data["version"], **fields
            ),
        ):
            messages.success(request, "Saved.")
            return redirect(_next_url(request, report))
    heading = "Introduction" if section == "foreword" else "Local page"
    context = {
        "report": report,
        "form": form,
        "heading": heading,
        "section_pointers": _pointers_for(report, slug),
        "copied": slug in report.copied_sections,
    }
    return render(request, "manage/text_form.html", context)


@login_required
@GET_POST
def edit_signatories(request: AuthenticatedHttpRequest, year: str, area: str) -> HttpResponse:
    """Add, remove and reorder the people who sign the report."""
    report = access.get_report_for_coordinator(request.user, year, area)
    if response := _editable_or_redirect(request, report, sections.SIGNATORIES):
        return response
    initial = [
        {
            "id": s.pk,
            "name": s.name,
            "job_title": s.job_title,
            "organisation": s.organisation,
            "section": s.section,
            "ORDER": n + 1,
        }
        for n, s in enumerate(report.signatories.all())
    ]
    formset = SignatoryFormSet(_posted(request), initial=initial, prefix="signatories")
    version = VersionedForm(_posted(request), initial={"version": report.version}, prefix="report")
    if (
        request.method == "POST"
        and formset.is_valid()
        and version.is_valid()
        and _save_or_conflict(
            request,
            version,
            lambda: drafts.save_signatories(
                report, request.user, version.cleaned_data["version"], formset.cleaned_signatories()
            ),
        )
    ):
        messages.success(request, "Signatories saved.")
        return redirect(_next_url(request, report))
    return render(
        request,
        "manage/signatories_form.html",
        {
            "report": report,
            "formset": formset,
            "version_form": version,
            "section_pointers": _pointers_for(report, sections.SIGNATORIES),
            "copied": sections.SIGNATORIES in report.copied_sections,
        },
    )


def _next_url(request: HttpRequest, report: AnnualReport) -> str:
    """Where "Save and …" buttons lead: the named page, or back to the task list."""
    then = request.POST.get("then")
    if then in {"check", "signatories"}:
        return report_url(f"manage:{then}", report)
    return report_url("manage:overview", report)


# --- Check and submit ----------------------------------------------------------------------


@login_required
@GET_POST
def check_answers(request: AuthenticatedHttpRequest, year: str, area: str) -> HttpResponse:
    """Everything entered, what still needs fixing, and the submit button."""
    report = access.get_report_for_viewing(request.user, year, area)
    state = workflow.readiness(report)
    can_submit = workflow.allowed(report, "submit", request.user)
    form = SubmitForm(_posted(request), initial={"version": report.version})
    if request.method == "POST":
        if not workflow.permitted(report, "submit", request.user):
            raise PermissionDenied(workflow.not_permitted_message("submit"))
        if not can_submit:
            refused = workflow.refusal(report, "submit", request.user)
            messages.error(request, refused or "You cannot submit this report now.")
            return redirect(report_url("manage:overview", report))
        if state.unexplained:
            form.add_error(None, workflow.unexplained_message(len(state.unexplained)))
        elif state.can_submit and form.is_valid():
            try:
                workflow.submit(report, request.user, form.cleaned_data["version"])
            except (workflow.TransitionRefused, drafts.EditConflict) as refused:
                form.add_error(None, str(refused))
            else:
                return redirect(report_url("manage:submitted", report))
    values = report.cell_values()
    signatories = list(report.signatories.all())
    pointers = sections.open_pointers(report)
    not_changed = {p.pk for p in sections.unchanged(report, pointers)}
    context = {
        "report": report,
        "status": report.status_summary(),
        "state": state,
        "pointed": [
            {**item, "changed": item["pointer"].pk not in not_changed}
            for item in describe_pointers(report, pointers)
        ],
        "not_changed": len(not_changed),
        "form": form,
        "can_submit": can_submit,
        "tables": report.template.layout(values, report.year.snapshot_date),
        "rate_table": report.template.rate_rule.rate.table if report.template.rate_rule else None,
        "foreword_signatories": [s for s in signatories if s.section == Signatory.Section.FOREWORD],
        "local_signatories": [s for s in signatories if s.section == Signatory.Section.LOCAL_PAGE],
        "editable": drafts.is_editable(report) and access.can_edit_area(request.user, report.area),
    }
    return render(request, "manage/check.html", context)


@login_required
@GET_POST
def explain_change(
    request: AuthenticatedHttpRequest, year: str, area: str, cell: str, rule: str
) -> HttpResponse:
    """One figure flagged by the change checks: the area's series and the explanation."""
    report = access.get_report_for_coordinator(request.user, year, area)
    flagged = _flagged_or_404(report, cell, rule)
    if response := _editable_or_redirect(request, report, flagged.warning.cell.table):
        return response
    form = AcknowledgementForm(
        _posted(request),
        initial={
            "version": report.version,
            # An earlier explanation of the same cell and rule, to start from.
            "explanation": report.change_acknowledgements.filter(
                table=flagged.warning.cell.table,
                row=flagged.warning.cell.row,
                column=flagged.warning.cell.column,
                rule=rule,
            )
            .values_list("explanation", flat=True)
            .first(),
        },
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and _save_or_conflict(
            request,
            form,
            lambda: drafts.acknowledge(
                report,
                request.user,
                form.cleaned_data["version"],
                flagged.warning,
                form.cleaned_data["explanation"],
            ),
        )
    ):
        messages.success(request, f"{flagged.description}: explanation saved.")
        return redirect(report_url("manage:check", report) + "#figures-to-check")
    return render(
        request, "manage/explain_change.html", {"report": report, "form": form, "flagged": flagged}
    )


def _flagged_or_404(report: AnnualReport, cell: str, rule: str) -> change_checks.FlaggedFigure:
    """The report's flagged figure at `cell` by `rule`, or 404 (never flagged, or no longer)."""
    try:
        ref = CellRef.parse(cell)
    except ValueError:
        raise Http404("No such cell.") from None
    for flagged in change_checks.flagged_figures(report):
        if flagged.warning.key == (ref, rule):
            return flagged
    raise Http404("This figure is not flagged.")


@login_required
@require_safe
def submitted(request: HttpRequest, year: str, area: str) -> HttpResponse:
    """The confirmation after submitting: what happens next."""
    report = access.get_report_for_viewing(request.user, year, area)
    if report.status != AnnualReport.Status.SUBMITTED:
        return redirect(report_url("manage:overview", report))
    event = report.events.filter(action="submit").order_by("-at", "-pk").first()
    context = {"report": report, "event": event, "release_at": report.year.release_at}
    return render(request, "manage/submitted.html", context)


@login_required
@require_safe
def history(request: HttpRequest, year: str, area: str) -> HttpResponse:
    """Every change to the report: who, when, old and new."""
    report = access.get_report_for_viewing(request.user, year, area)
    return render(
        request, "manage/history.html", {"report": report, "changes": report_history(report)}
    )
