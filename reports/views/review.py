"""The national team's side of the back office: reviewing, moving reports on, tracking."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from .. import access, change_checks, drafts, standard_text, windows, workflow
from ..access import AuthenticatedHttpRequest
from ..forms import (
    ActionForm,
    BasePointerFormSet,
    CorrectionNoteForm,
    DashboardFilterForm,
    PointerFormSet,
)
from ..history import changes_between_submissions
from ..models import AnnualReport, Area, ReportEvent, Signatory, StatusSummary
from .manage import describe_pointers, report_url


def _require_admin(request: HttpRequest) -> None:
    if not access.is_national_admin(request.user):
        raise Http404("Not found.")


#: Moves that ask "Are you sure?" on a page of their own before they are made.
CONFIRMED = {"approve", "publish"}


@login_required
@require_safe
def review(request: AuthenticatedHttpRequest, year: str, area: str) -> HttpResponse:
    """A report as the reviewer sees it: as it will be published, beside what changed since
    the previous submission, and the moves."""
    _require_admin(request)
    report = access.get_report_for_viewing(request.user, year, area)
    return render(request, "manage/review.html", _review_context(request, report, forms={}))


def _action_form(report: AnnualReport, action: str, data: QueryDict | None = None) -> ActionForm:
    transition = workflow.TRANSITIONS[action]
    return ActionForm(
        data,
        initial={"version": report.version},
        template=report.template,
        comment_required=transition.comment_required,
        action=action,
        prefix=action,
    )


def _pointer_formset(report: AnnualReport, data: QueryDict | None = None) -> BasePointerFormSet:
    return PointerFormSet(data, template=report.template, prefix="pointers")


def _review_context(
    request: AuthenticatedHttpRequest,
    report: AnnualReport,
    forms: dict,
    pointer_formset: BasePointerFormSet | None = None,
) -> dict:
    actions = workflow.allowed_actions(report, request.user)
    action_forms = {
        t.action: forms.get(t.action) or _action_form(report, t.action) for t in actions
    }
    values = report.cell_values()
    template = report.template
    signatories = list(report.signatories.all())
    texts = standard_text.text_for(report.year)
    last_return = (
        report.events.filter(action__in=["return", "reopen"]).order_by("-at", "-pk").first()
    )
    return {
        "report": report,
        "status": report.status_summary(),
        "state": workflow.readiness(report),
        "actions": [(t, action_forms[t.action]) for t in actions],
        "is_correction": workflow.is_correction(report),
        "confirmed": CONFIRMED,
        "pointer_formset": pointer_formset or _pointer_formset(report),
        "changes": changes_between_submissions(report),
        "last_return": last_return,
        "last_pointers": describe_pointers(report, list(last_return.pointers.all()))
        if last_return
        else [],
        "events": report.events.select_related("user"),
        "revisions": report.revisions.order_by("number"),
        # The report as it will be published, laid out by the public page's own includes.
        "revision": report,
        "tables": template.layout(values, report.year.snapshot_date),
        "rate_table": template.rate_rule.rate.table if template.rate_rule else None,
        "foreword_signatories": [s for s in signatories if s.section == Signatory.Section.FOREWORD],
        "local_signatories": [s for s in signatories if s.section == Signatory.Section.LOCAL_PAGE],
        "what_is_mappa": standard_text.render(texts.what_is_mappa, report.year),
        "commentary": standard_text.render(texts.commentary, report.year),
    }


@login_required
@require_POST
def act(request: AuthenticatedHttpRequest, year: str, area: str, action: str) -> HttpResponse:
    """Make one workflow move on a report (return, approve, publish, reopen).

    Approving and publishing first show a confirmation page, whose button makes the move.
    """
    _require_admin(request)
    report = access.get_report_for_viewing(request.user, year, area)
    transition = workflow.TRANSITIONS.get(action)
    if transition is None or transition.role != workflow.ADMIN:
        raise Http404("No such action.")
    form = _action_form(report, action, request.POST)
    # A return posted without the pointer rows (by a script, say) points at nothing.
    has_pointers = action == "return" and "pointers-TOTAL_FORMS" in request.POST
    pointers = _pointer_formset(report, request.POST) if has_pointers else None
    if pointers is not None and "add_pointer" in request.POST:
        return _with_another_pointer(request, report, form)
    valid = form.is_valid() and (pointers is None or pointers.is_valid())
    confirming = request.POST.get("confirm") == "yes"
    # A correction's publication asks for its public note and whether to tell subscribers.
    note_form = None
    if action == "publish" and workflow.is_correction(report):
        note_form = _correction_note_form(report, request.POST if confirming else None)
    if valid and action in CONFIRMED and not confirming:
        return render(
            request, "manage/confirm.html", _confirmation(report, action, form, note_form)
        )
    if valid and note_form is not None and not note_form.is_valid():
        return render(
            request, "manage/confirm.html", _confirmation(report, action, form, note_form)
        )
    if valid:
        note = note_form.cleaned_data if note_form is not None else {}
        try:
            workflow.perform(
                report,
                action,
                request.user,
                form.cleaned_data["version"],
                comment=form.cleaned_data["comment"],
                pointers=pointers.pointers() if pointers is not None else None,
                reopen=form.cleaned_data.get("sections"),
                note=note.get("note"),
                tell_subscribers=note.get("tell_subscribers", False),
            )
        except (workflow.TransitionRefused, drafts.EditConflict) as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _done_message(report, action))
            return redirect(report_url("manage:review", report))
    context = _review_context(request, report, forms={action: form}, pointer_formset=pointers)
    context["error_form"] = form
    context["error_formset"] = pointers
    return render(request, "manage/review.html", context, status=200)


def _with_another_pointer(
    request: AuthenticatedHttpRequest, report: AnnualReport, form: ActionForm
) -> HttpResponse:
    """The review page again, the return as filled in so far, with one more pointer row."""
    data = request.POST
    total = data.get("pointers-TOTAL_FORMS", "0")
    rows = min(int(total) + 1 if total.isdigit() else 1, 30)
    # Unbound copies showing what was entered: no errors until the return is made.
    pointers = PointerFormSet(
        template=report.template,
        prefix="pointers",
        initial=[
            {
                "target": data.get(f"pointers-{n}-target"),
                "comment": data.get(f"pointers-{n}-comment"),
            }
            for n in range(rows)
        ],
    )
    pointers.extra = 0
    unbound = _action_form(report, "return")
    unbound.initial.update(
        {"comment": data.get("return-comment", ""), "version": data.get("return-version")}
    )
    if pointers.forms:  # the new row takes the focus, as if the page had scrolled to it
        pointers.forms[-1].fields["target"].widget.attrs["autofocus"] = True
    context = _review_context(request, report, forms={"return": unbound}, pointer_formset=pointers)
    return render(request, "manage/review.html", context)


def _correction_note_form(report: AnnualReport, data: QueryDict | None) -> CorrectionNoteForm:
    """The public note of a correction, starting as the reason it was reopened for."""
    reopened = report.events.filter(action="reopen").order_by("-at", "-pk").first()
    return CorrectionNoteForm(
        data, initial={"note": reopened.comment if reopened else ""}, prefix="publish"
    )


def _confirmation(
    report: AnnualReport,
    action: str,
    form: ActionForm,
    note_form: CorrectionNoteForm | None = None,
) -> dict:
    """What the confirmation page says will happen."""
    now = timezone.now()
    release = report.year.release_at
    correction = workflow.is_correction(report)
    if action == "approve":
        if release is None:
            then = (
                f"Its figures and text cannot change unless it is returned. No release time "
                f"is set for {report.year} yet: it will go public at the release time once set."
            )
        elif release > now:
            when = timezone.localtime(release)
            then = (
                "Its figures and text cannot change unless it is returned. It will go public "
                f"with the year's other reports on {when.day} {when:%B %Y} at {when:%H:%M}."
            )
        else:
            then = (
                "Its figures and text cannot change unless it is returned. The year's release "
                "time has passed: it goes public within a minute, when the release timer next "
                "runs, unless you publish it first."
                if not correction
                else "Its figures and text cannot change unless it is returned. Publish it, with "
                "its public note, to make the correction public."
            )
    elif release is not None and release > now:
        when = timezone.localtime(release)
        then = (
            f"It will be scheduled for release: it goes public with the year's other reports on "
            f"{when.day} {when:%B %Y} at {when:%H:%M}, and cannot change after that except by "
            "a correction."
        )
    else:
        then = (
            "It goes public at once"
            + (", with the public note below" if correction else "")
            + ". After that it can only change by a correction."
        )
    return {
        "report": report,
        "action": action,
        "transition": workflow.TRANSITIONS[action],
        "form": form,
        "note_form": note_form,
        "then": then,
        "status": report.status_summary(),
    }


def _done_message(report: AnnualReport, action: str) -> str:
    name = f"The {report.area} report for {report.year}"
    if action == "publish":
        summary = report.status_summary()
        if summary.key == "scheduled":
            return f"{name} is {summary.label[0].lower()}{summary.label[1:]}."
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
    filters = DashboardFilterForm.STATUSES[1:]  # every status but "any"
    status = request.GET.get("status", "")
    if status not in {key for key, _ in filters}:
        status = ""
    reports = {
        r.area_id: r
        for r in AnnualReport.objects.filter(year=year_obj)
        .with_release_times()
        .select_related("area", "year")
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
    every: list[dict[str, Any]] = []
    for area in Area.objects.all():
        report = reports.get(area.pk)
        summary = report.status_summary() if report else StatusSummary("not_started", "Not started")
        event = last_events.get(report.pk) if report else None
        extension = extensions.get(area.pk)
        every.append(
            {
                "area": area,
                "report": report,
                "event": event,
                "status": summary,
                "extension": extension,
                "extension_state": windows.extension_state(extension, today) if extension else "",
            }
        )
    counts = Counter(row["status"].key for row in every)
    context = {
        "year": year_obj,
        "rows": [row for row in every if not status or row["status"].key == status],
        "status": status,
        "window": windows.describe(year_obj),
        "filters": [("", "All areas", len(every))]
        + [(key, label, counts[key]) for key, label in filters],
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
