"""The back office for coordinators (and, read-only, the national team).

Each view starts with an access helper from `access.py`; writes go through `drafts.py` and
`workflow.py`. State changes are POST only, with CSRF.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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

from .. import access, change_checks, drafts, windows, workflow
from ..access import AuthenticatedHttpRequest
from ..forms import (
    AcknowledgementForm,
    SignatoryFormSet,
    StartReportForm,
    SubmitForm,
    TableForm,
    TextSectionForm,
    VersionedForm,
    report_text_initial,
)
from ..history import report_history
from ..models import AnnualReport, Area, ReportingYear, Signatory
from ..returns import CellRef, Table

GET_POST = require_http_methods(["GET", "POST"])


@dataclass(frozen=True)
class Section:
    """A part of the return a coordinator completes on its own page."""

    slug: str
    title: str
    url_name: str
    table: Table | None = None


def sections_for(report: AnnualReport) -> list[Section]:
    """The report's sections in report order, the tables taken from its return template."""
    return [
        Section("introduction", "Introduction", "manage:introduction"),
        Section("signatories", "Signatories", "manage:signatories"),
        *(
            Section(table.key, table.short_name, "manage:table", table=table)
            for table in report.template.tables
        ),
        Section("local-page", "Local page", "manage:local-page"),
    ]


def _posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST (even an empty one), or None so that forms stay unbound."""
    return request.POST if request.method == "POST" else None


def report_url(name: str, report: AnnualReport, **extra: str) -> str:
    return reverse(name, kwargs={"year": report.year.label, "area": report.area.slug, **extra})


# --- Dashboard and starting a report -------------------------------------------------------


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """The signed-in person's areas and years, each report's status and what to do next."""
    if access.is_national_admin(request.user):
        areas = list(Area.objects.all())
    else:
        areas = list(access.coordinated_areas(request.user))
    open_years = list(ReportingYear.objects.filter(is_open=True))
    reports = AnnualReport.objects.filter(area__in=areas).select_related("year", "area")
    by_area: dict[int, dict[int, AnnualReport]] = {}
    for report in reports:
        by_area.setdefault(report.area_id, {})[report.year_id] = report
    is_admin = access.is_national_admin(request.user)
    can_edit = {area.pk for area in access.coordinated_areas(request.user)}
    rows = []
    for area in areas:
        area_reports = by_area.get(area.pk, {})
        years = {year.pk: year for year in open_years}
        years.update({r.year.pk: r.year for r in area_reports.values()})
        entries = [
            _dashboard_entry(year, area, area_reports.get(year.pk), area.pk in can_edit, is_admin)
            for year in sorted(years.values(), key=lambda y: -y.start_year)
        ]
        rows.append({"area": area, "entries": entries})
    context = {
        "rows": rows,
        "open_years": [(year, windows.describe(year)) for year in open_years],
        # Past publications are not submissions: there is nothing of theirs to track.
        "tracked_years": ReportingYear.objects.filter(
            Q(reports__isnull=False, reports__is_past_publication=False) | Q(is_open=True)
        ).distinct(),
        "is_admin": is_admin,
    }
    return render(request, "manage/dashboard.html", context)


def _dashboard_entry(
    year: ReportingYear, area: Area, report: AnnualReport | None, coordinates: bool, admin: bool
) -> dict:
    """One row of the dashboard: the link to follow ("start", "continue", "review", "view"),
    and why the area can do no more, or that it can thanks to an extension."""
    entry: dict = {"year": year, "report": report, "action": None, "note": None}
    if report is not None:
        verdict = windows.can_change(report) if coordinates else windows.ALLOWED
        if coordinates and verdict.allowed:
            entry["action"] = "continue"
        elif admin and report.status != AnnualReport.Status.DRAFT:
            entry["action"] = "review"
        else:
            entry["action"] = "view"
        # The status tag already says a report is with reviewers or approved.
        if report.status in windows.EDITABLE_STATUSES:
            entry["note"] = verdict.refusal or verdict.note
    elif coordinates and year.is_open:
        verdict = windows.can_start(year, area)
        entry["action"] = "start" if verdict.allowed else None
        entry["note"] = verdict.refusal or verdict.note
    return entry


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
    tasks = []
    for section in sections_for(report):
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
        elif section.slug == "signatories":
            status = f"{signatories} added" if signatories else "Optional"
            url = report_url(section.url_name, report)
        else:
            text = report.foreword if section.slug == "introduction" else report.local_narrative
            status = "Completed" if text.strip() else "Not started"
            url = report_url(section.url_name, report)
        tasks.append({"section": section, "status": status, "url": url})
    context = {
        "report": report,
        "tasks": tasks,
        "editable": verdict.allowed and access.can_edit_area(request.user, report.area),
        "not_editable_reason": verdict.refusal,
        "extension_note": verdict.note,
        "window": windows.describe(report.year, report.area),
        "returned": latest_return(report),
        "events": report.events.select_related("user"),
        "is_admin": access.is_national_admin(request.user),
    }
    return render(request, "manage/overview.html", context)


def latest_return(report: AnnualReport) -> dict | None:
    """The national team's latest return (or reopening) comment, while the report is returned."""
    if report.status != AnnualReport.Status.RETURNED:
        return None
    event = report.events.filter(action__in=["return", "reopen"]).order_by("-at", "-pk").first()
    if event is None:
        return None
    template = report.template
    cells = []
    for key in event.cells:
        ref = CellRef.parse(key)
        if template.has_cell(ref):
            cells.append(template.describe(ref))
    return {"event": event, "cells": cells}


# --- Sections ------------------------------------------------------------------------------


def _editable_or_redirect(request: HttpRequest, report: AnnualReport) -> HttpResponse | None:
    """Send people back to the read-only overview when the report cannot be changed."""
    if drafts.is_editable(report):
        return None
    messages.error(request, drafts.not_editable_reason(report))
    return redirect(report_url("manage:overview", report))


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
    if response := _editable_or_redirect(request, report):
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
    return render(
        request,
        "manage/table_form.html",
        {"report": report, "form": form, "table": table_obj, "title": title},
    )


@login_required
@GET_POST
def edit_text(
    request: AuthenticatedHttpRequest, year: str, area: str, section: str
) -> HttpResponse:
    """The introduction (foreword) or the local page: a heading and plain text."""
    report = access.get_report_for_coordinator(request.user, year, area)
    if response := _editable_or_redirect(request, report):
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
    return render(
        request, "manage/text_form.html", {"report": report, "form": form, "heading": heading}
    )


@login_required
@GET_POST
def edit_signatories(request: AuthenticatedHttpRequest, year: str, area: str) -> HttpResponse:
    """Add, remove and reorder the people who sign the report."""
    report = access.get_report_for_coordinator(request.user, year, area)
    if response := _editable_or_redirect(request, report):
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
        {"report": report, "formset": formset, "version_form": version},
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
                messages.success(
                    request, f"You submitted the {report.area} report for {report.year}."
                )
                return redirect(report_url("manage:overview", report))
    values = report.cell_values()
    signatories = list(report.signatories.all())
    context = {
        "report": report,
        "state": state,
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
    if response := _editable_or_redirect(request, report):
        return response
    flagged = _flagged_or_404(report, cell, rule)
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
def history(request: HttpRequest, year: str, area: str) -> HttpResponse:
    """Every change to the report: who, when, old and new."""
    report = access.get_report_for_viewing(request.user, year, area)
    return render(
        request, "manage/history.html", {"report": report, "changes": report_history(report)}
    )
