"""The report workflow: every status change happens here, atomically, with who, when and why.

The moves are a small explicit table. Each is made by one conditional UPDATE on the report's
status and version, so two people making moves on the same report cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import access
from .drafts import EditConflict
from .models import AnnualReport, ReportEvent
from .validation import Problem, check_changes, check_figures

Status = AnnualReport.Status


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    #: "coordinator" (of the report's area) or "admin" (national team).
    role: str
    comment_required: bool = False


TRANSITIONS = {
    t.action: t
    for t in (
        Transition(
            "submit", frozenset({Status.DRAFT, Status.RETURNED}), Status.SUBMITTED, "coordinator"
        ),
    )
}


class TransitionRefused(Exception):
    """The move is not allowed: wrong role, wrong status, or the report is not ready."""


@dataclass
class Readiness:
    """What stands between a report and its submission."""

    errors: list[Problem]
    warnings: list[Problem]
    previous: AnnualReport | None

    @property
    def can_submit(self) -> bool:
        return not self.errors


def readiness(report: AnnualReport) -> Readiness:
    """Check a report as submission would: complete, consistent, with warnings for big moves."""
    values = report.cell_values()
    template = report.template
    errors = check_figures(template, values, complete=True, population=report.population_estimate)
    if not report.foreword.strip():
        errors.append(Problem((), "Write the introduction (foreword)."))
    if not report.local_narrative.strip():
        errors.append(Problem((), "Write the local page."))
    previous = previous_published(report)
    warnings = []
    if previous is not None:
        warnings = check_changes(template, values, previous.cell_values(), str(previous.year))
    return Readiness(errors=errors, warnings=warnings, previous=previous)


def previous_published(report: AnnualReport) -> AnnualReport | None:
    """The area's latest published report before this one's year."""
    return (
        AnnualReport.objects.published()
        .filter(area=report.area, year__start_year__lt=report.year.start_year)
        .select_related("year")
        .order_by("-year__start_year")
        .first()
    )


def allowed(report: AnnualReport, action: str, user: AbstractBaseUser) -> bool:
    """Whether `user` may make `action` on `report` now."""
    transition = TRANSITIONS[action]
    if report.status not in transition.sources:
        return False
    if transition.role == "coordinator":
        return access.can_edit_area(user, report.area) and report.year.is_open
    return access.is_national_admin(user)


@transaction.atomic
def submit(
    report: AnnualReport, user: AbstractBaseUser, version: int, explanation: str = ""
) -> None:
    """Submit a complete, consistent report for review.

    Warnings (big moves since last year) need a short explanation, which admins see.
    """
    if not allowed(report, "submit", user):
        raise TransitionRefused("You cannot submit this report now.")
    state = readiness(report)
    if state.errors:
        raise TransitionRefused("The report has problems to fix before it can be submitted.")
    explanation = explanation.strip()
    if state.warnings and not explanation:
        raise TransitionRefused("Explain why the figures marked changed so much since last year.")
    _move(report, TRANSITIONS["submit"], user, version, comment=explanation)
    report.change_explanation = explanation
    report.save(update_fields=["change_explanation"])


def _move(
    report: AnnualReport,
    transition: Transition,
    user: AbstractBaseUser,
    version: int,
    comment: str = "",
) -> None:
    now = timezone.now()
    moved = AnnualReport.objects.filter(
        pk=report.pk, version=version, status__in=transition.sources
    ).update(
        status=transition.target, version=F("version") + 1, last_edited_by=user, updated_at=now
    )
    if not moved:
        current = AnnualReport.objects.select_related("last_edited_by").get(pk=report.pk)
        if current.status not in transition.sources:
            raise TransitionRefused(
                f"This report is already {current.get_status_display().lower()}."
            )
        raise EditConflict(current)
    ReportEvent.objects.create(
        report=report,
        action=transition.action,
        from_status=report.status,
        to_status=transition.target,
        user=user,
        at=now,
        comment=comment,
    )
    report.status, report.version, report.last_edited_by = transition.target, version + 1, user
    report.updated_at = now
