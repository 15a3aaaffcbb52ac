"""The national team's side of the back office: reviewing, moving reports on, tracking."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from .. import access, change_checks, drafts, windows, workflow
from ..access import AuthenticatedHttpRequest
from ..forms import ActionForm
from ..models import AnnualReport, Area, ReportEvent
from ..returns import CellValue
from ..validation import parse_cell
from .manage import report_url


def _require_admin(request: HttpRequest) -> None:
    if not access.is_national_admin(request.user):
        raise Http404("Not found.")


@login_required
@require_safe
def review(request: AuthenticatedHttpRequest, year: str, area: str) -> HttpResponse:
    """A report as the reviewer sees it: changes since the last submission and the moves."""
    _require_admin(request)
    report = access.get_report_for_viewing(request.user, year, area)
    return render(request, "manage/review.html", _review_context(request, report, forms={}))


def _review_context(request: AuthenticatedHttpRequest, report: AnnualReport, forms: dict) -> dict:
    actions = workflow.allowed_actions(report, request.user)
    action_forms = {
        t.action: forms.get(t.action)
        or ActionForm(
            initial={"version": report.version},
            template=report.template,
            comment_required=t.comment_required,
            action=t.action,
            prefix=t.action,
        )
        for t in actions
    }
    return {
        "report": report,
        "state": workflow.readiness(report),
        "actions": [(t, action_forms[t.action]) for t in actions],
        "changes": changes_since_previous_submission(report),
        "events": report.events.select_related("user"),
        "revisions": report.revisions.order_by("number"),
        "tables": report.template.layout(report.cell_values(), report.year.snapshot_date),
    }


def changes_since_previous_submission(report: AnnualReport) -> list[dict] | None:
    """Cell-by-cell differences between the last two submissions (None before a resubmission)."""
    submissions = list(
        report.events.filter(action="submit", figures__isnull=False).order_by("-at", "-pk")[:2]
    )
    if len(submissions) < 2:
        return None
    # Both are {cell: shorthand} snapshots: the filter above leaves out events without one.
    latest, before = (cast(dict[str, str], event.figures) for event in submissions)
    template = report.template
    rows = []
    for ref, _ in template.cells():
        key = str(ref)
        if latest.get(key) != before.get(key):
            rows.append(
                {
                    "cell": template.describe(ref),
                    "before": _display(before.get(key), template.decimals(ref)),
                    "now": _display(latest.get(key), template.decimals(ref)),
                }
            )
    return rows


def _display(shorthand: str | None, decimals: int) -> str:
    if shorthand is None:
        return "Not entered"
    try:
        value = parse_cell(shorthand, decimals=3)
    except ValueError:
        return shorthand
    return value.display(decimals) if isinstance(value, CellValue) else shorthand


@login_required
@require_POST
def act(request: AuthenticatedHttpRequest, year: str, area: str, action: str) -> HttpResponse:
    """Make one workflow move on a report (return, approve, publish, reopen)."""
    _require_admin(request)
    report = access.get_report_for_viewing(request.user, year, area)
    transition = workflow.TRANSITIONS.get(action)
    if transition is None or transition.role != workflow.ADMIN:
        raise Http404("No such action.")
    form = ActionForm(
        request.POST,
        template=report.template,
        comment_required=transition.comment_required,
        action=action,
        prefix=action,
    )
    if form.is_valid():
        try:
            workflow.perform(
                report,
                action,
                request.user,
                form.cleaned_data["version"],
                comment=form.cleaned_data["comment"],
                cells=form.cell_refs(),
            )
        except (workflow.TransitionRefused, drafts.EditConflict) as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _done_message(report, action))
            return redirect(report_url("manage:review", report))
    context = _review_context(request, report, forms={action: form})
    context["error_form"] = form
    return render(request, "manage/review.html", context, status=200)


def _done_message(report: AnnualReport, action: str) -> str:
    name = f"The {report.area} report for {report.year}"
    if action == "publish":
        revision = report.revisions.order_by("-number").first()
        if revision and revision.published_at > timezone.now():
            return (
                f"{name} is published. It goes public with the year's other reports on "
                f"{timezone.localtime(revision.published_at):%d %B %Y at %H:%M}."
            )
        return f"{name} is published."
    return {
        "return": f"{name} is returned to its coordinator.",
        "approve": f"{name} is approved.",
        "reopen": f"{name} is reopened for a correction and returned to its coordinator.",
    }[action]


@login_required
@require_safe
def tracker(request: HttpRequest, year: str) -> HttpResponse:
    """Every area's report for a year: status, who last acted, days to the deadline."""
    _require_admin(request)
    year_obj = access.get_year(year)
    status = request.GET.get("status", "")
    valid = {choice for choice, _ in AnnualReport.Status.choices} | {"not_started"}
    if status and status not in valid:
        status = ""
    reports = {
        r.area_id: r for r in AnnualReport.objects.filter(year=year_obj).select_related("area")
    }
    last_events: dict[int, ReportEvent] = {}
    for recorded in (
        ReportEvent.objects.filter(report__year=year_obj)
        .select_related("user")
        .defer("figures")  # the submission snapshots are not needed for "last action"
        .order_by("at")
    ):
        last_events[recorded.report_id] = recorded
    extensions = windows.extensions_by_area(year_obj)
    today = windows.today()
    rows = []
    for area in Area.objects.all():
        report = reports.get(area.pk)
        row_status = report.status if report else "not_started"
        if status and row_status != status:
            continue
        event = last_events.get(report.pk) if report else None
        extension = extensions.get(area.pk)
        rows.append(
            {
                "area": area,
                "report": report,
                "event": event,
                "extension": extension,
                "extension_state": windows.extension_state(extension, today) if extension else "",
            }
        )
    area_ids = list(Area.objects.values_list("pk", flat=True))
    counts = {choice: 0 for choice in valid}
    for area_id in area_ids:
        report = reports.get(area_id)
        counts[report.status if report else "not_started"] += 1
    context = {
        "year": year_obj,
        "rows": rows,
        "status": status,
        "window": windows.describe(year_obj),
        "filters": [("", "All areas", len(area_ids))]
        + [("not_started", "Not started", counts["not_started"])]
        + [(c, label, counts[c]) for c, label in AnnualReport.Status.choices],
    }
    return render(request, "manage/tracker.html", context)


@login_required
@require_safe
def flagged_figures(request: HttpRequest, year: str) -> HttpResponse:
    """Every figure of a year's reports that the change checks flag, for the national team."""
    _require_admin(request)
    year_obj = access.get_year(year)
    severity = request.GET.get("severity", "")
    if severity not in change_checks.Severity.values:
        severity = ""
    flagged = change_checks.flagged_in_year(year_obj)
    counts = {s: sum(f.warning.severity == s for f in flagged) for s in change_checks.Severity}
    shown = [f for f in flagged if not severity or f.warning.severity == severity]
    context = {
        "year": year_obj,
        "flagged": shown,
        "severity": severity,
        "filters": [("", "All flagged figures", len(flagged))]
        + [(s.value, s.label, counts[s]) for s in change_checks.Severity],
        "unexplained": sum(not f.explained for f in flagged),
    }
    return render(request, "manage/flagged_figures.html", context)
