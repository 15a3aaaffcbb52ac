"""The report workflow: every status change happens here, atomically, with who, when and why.

    draft ─submit→ submitted ─approve→ approved ─publish→ published
      ↑               │  ↑                │                  │
      └── returned ←──┴──┼── return ──────┘                  │
             ↑           └── submit                          │
             └────────────────── reopen (a correction) ──────┘

The moves are the explicit table `TRANSITIONS`. Each is made by one conditional UPDATE on the
report's status and version, so two people making moves on the same report cannot both win.
Publishing freezes the report into a `PublishedRevision`, the only thing public pages read.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from . import access, alerts, change_checks, notifications, sections, subscriptions, windows
from .drafts import EditConflict
from .models import (
    AnnualReport,
    PublishedFigure,
    PublishedRevision,
    Release,
    ReportEvent,
    ReportingYear,
    ReturnPointer,
)
from .returns import CellRef
from .validation import Problem, check_figures

Status = AnnualReport.Status
logger = logging.getLogger(__name__)
COORDINATOR, ADMIN = "coordinator", "admin"


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    role: str
    comment_required: bool = False


TRANSITIONS = {
    t.action: t
    for t in (
        Transition(
            "submit", "Submit", frozenset({Status.DRAFT, Status.RETURNED}), Status.SUBMITTED,
            COORDINATOR,
        ),
        Transition(
            "return", "Return to coordinator", frozenset({Status.SUBMITTED, Status.APPROVED}),
            Status.RETURNED, ADMIN, comment_required=True,
        ),
        Transition("approve", "Approve", frozenset({Status.SUBMITTED}), Status.APPROVED, ADMIN),
        Transition("publish", "Publish", frozenset({Status.APPROVED}), Status.PUBLISHED, ADMIN),
        Transition(
            "reopen", "Reopen for a correction", frozenset({Status.PUBLISHED}), Status.RETURNED,
            ADMIN, comment_required=True,
        ),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Pointer:
    """What a return points the coordinator at: a section, or one cell of it, and why."""

    section: str
    comment: str
    cell: CellRef | None = None


class TransitionRefused(Exception):
    """The move is not allowed: wrong role, wrong status, or the report is not ready."""


class NotPermitted(TransitionRefused):
    """The move is not the person's to make, whatever the report's status."""


@dataclass
class Readiness:
    """What stands between a report and its submission."""

    errors: list[Problem]
    #: Figures unlike the published history, each with its explanation if it has a current one.
    flagged: list[change_checks.FlaggedFigure]

    @property
    def warnings(self) -> list[change_checks.ChangeWarning]:
        return [f.warning for f in self.flagged]

    @property
    def unexplained(self) -> list[change_checks.FlaggedFigure]:
        """Flagged figures still to be explained (or explained when they were different)."""
        return [f for f in self.flagged if not f.explained]

    @property
    def can_submit(self) -> bool:
        return not self.errors and not self.unexplained


def readiness(report: AnnualReport) -> Readiness:
    """Check a report as submission would: complete, consistent, and every figure flagged by the
    change checks explained."""
    values = report.cell_values()
    template = report.template
    errors = check_figures(template, values, complete=True, population=report.population_estimate)
    if not report.foreword.strip():
        errors.append(Problem((), "Write the introduction (foreword)."))
    if not report.local_narrative.strip():
        errors.append(Problem((), "Write the local page."))
    return Readiness(errors=errors, flagged=change_checks.flagged_figures(report, values))


def permitted(report: AnnualReport, action: str, user: User) -> bool:
    """Whether `action` on `report` is ever `user`'s to make: the area's coordinators submit,
    the national team (the review permission) makes the other moves."""
    if TRANSITIONS[action].role == COORDINATOR:
        return access.can_edit_area(user, report.area)
    return access.is_national_admin(user)


def not_permitted_message(action: str) -> str:
    """What a person is told when `action` is not theirs to make."""
    transition = TRANSITIONS[action]
    who = (
        "the area's coordinators"
        if transition.role == COORDINATOR
        else "the national team, with the permission to review reports"
    )
    return f"You do not have permission to do this: “{transition.label}” is for {who}."


def allowed(report: AnnualReport, action: str, user: User) -> bool:
    """Whether `user` may make `action` on `report` now."""
    return refusal(report, action, user) is None


def refusal(report: AnnualReport, action: str, user: User) -> str | None:
    """Why `user` may not make `action` on `report` now, in plain words; None if they may.

    The coordinators' move (submit) is a change to the report, so the collection window
    (`windows.py`) applies to it; the national team's moves never wait on dates.
    """
    transition = TRANSITIONS[action]
    if not permitted(report, action, user):
        return not_permitted_message(action)
    if transition.role == COORDINATOR:
        verdict = windows.can_change(report)
        if not verdict.allowed:
            return verdict.refusal
    if report.status not in transition.sources:
        return (
            f"You cannot {transition.label.lower()} this report: it is "
            f"{report.get_status_display().lower()}."
        )
    return None


def allowed_actions(report: AnnualReport, user: User) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if allowed(report, t.action, user)]


def perform(
    report: AnnualReport,
    action: str,
    user: User,
    version: int,
    comment: str = "",
    pointers: list[Pointer] | None = None,
    reopen: list[str] | None = None,
    note: str | None = None,
    tell_subscribers: bool = False,
) -> None:
    """Make `action` on `report` as `user`: the one entry point for every move.

    A return may carry `pointers` to cells and sections; a reopening may name the sections
    it `reopen`s (none: every section). Publishing a correction takes its public `note` (by
    default the reason given when it was reopened) and whether to `tell_subscribers`.
    """
    if action not in TRANSITIONS:
        raise TransitionRefused(f"There is no action “{action}”.")
    transition = TRANSITIONS[action]
    if not permitted(report, action, user):
        raise NotPermitted(not_permitted_message(action))
    if refused := refusal(report, action, user):
        raise TransitionRefused(refused)
    comment = comment.strip()
    if transition.comment_required and not comment:
        raise TransitionRefused(f"Say why, to {transition.label.lower()} the report.")
    with transaction.atomic():
        if action == "submit":
            _submit(report, user, version)
        elif action == "publish":
            _move(report, transition, user, version)
            revision = publish_revision(report, user, note=note, tell_subscribers=tell_subscribers)
            if revision.number > 1:  # a first publication is announced at the release
                alerts.announce(revision)
        elif action == "return":
            _return(report, transition, user, version, comment, pointers or [])
        elif action == "reopen":
            known = sections.section_titles(report.template)
            unknown = [slug for slug in reopen or [] if slug not in known]
            if unknown:
                raise TransitionRefused(f"There is no section “{unknown[0]}” to reopen.")
            _move(report, transition, user, version, comment=comment, reopened=reopen or [])
        else:
            _move(report, transition, user, version, comment=comment)
        notifications.after_move(report, action, comment)


def _return(
    report: AnnualReport,
    transition: Transition,
    user: User,
    version: int,
    comment: str,
    pointers: list[Pointer],
) -> None:
    reopened = sections.reopened_sections(report)
    for pointer in pointers:
        reason = sections.locked_reason(report, pointer.section, reopened)
        if reason:
            raise TransitionRefused(f"You cannot point at it: {reason}")
    cells = [p.cell for p in pointers if p.cell is not None]
    event = _move(report, transition, user, version, comment=comment, cells=cells)
    values = report.cell_values()
    states: dict[str, str] = {}
    for pointer in pointers:
        if pointer.cell is not None:
            was = sections.cell_state(report.template, values, pointer.cell)
        else:
            if pointer.section not in states:
                states[pointer.section] = sections.section_state(report, pointer.section)
            was = states[pointer.section]
        ReturnPointer.objects.create(
            event=event,
            report=report,
            section=pointer.section,
            cell=str(pointer.cell) if pointer.cell else "",
            comment=pointer.comment,
            was=was,
        )


def _submit(report: AnnualReport, user: User, version: int) -> None:
    state = readiness(report)
    if state.errors:
        raise TransitionRefused("The report has problems to fix before it can be submitted.")
    if state.unexplained:
        raise TransitionRefused(unexplained_message(len(state.unexplained)))
    template = report.template
    snapshot = {str(ref): template.text(ref, value) for ref, value in report.cell_values().items()}
    pointers = sections.open_pointers(report)
    left = {p.pk for p in sections.unchanged(report, pointers)}
    event = _move(report, TRANSITIONS["submit"], user, version, figures=snapshot)
    # The return is answered: its pointers are kept, each saying whether it was acted on.
    for pointer in pointers:
        pointer.resolved_by, pointer.changed = event, pointer.pk not in left
        pointer.save(update_fields=["resolved_by", "changed"])


#: What an approver is told when a correction has no public note.
CORRECTION_NOTE_MISSING = "Enter a public note saying what changed in the correction and why."


def unexplained_message(count: int) -> str:
    """What a coordinator is told when flagged figures are not explained yet."""
    figures = "figure" if count == 1 else "figures"
    return f"Explain the {count} {figures} marked for checking before you submit the report."


def submit(report: AnnualReport, user: User, version: int) -> None:
    """Submit a complete, consistent report whose flagged figures are all explained."""
    perform(report, "submit", user, version)


def is_correction(report: AnnualReport) -> bool:
    """Whether publishing `report` now would correct a public report (rather than publish it
    for the first time, or replace a revision still waiting for the release)."""
    return PublishedRevision.objects.public().filter(report=report).exists()


def publish_revision(
    report: AnnualReport,
    user: User | None,
    at: datetime.datetime | None = None,
    note: str | None = None,
    tell_subscribers: bool = False,
) -> PublishedRevision:
    """Freeze the report as its next published revision.

    The first revision goes public at the year's release time (never before it); a correction
    goes public at once, with its public `note` saying what changed and why (by default the
    reason given when the report was reopened; refused if blank). A revision published while
    the year's release is marked as provisional figures is provisional (`[p]`).
    """
    now = timezone.now()
    # A revision still waiting for the release was never public: a fix before the release
    # replaces it (no correction, no note, no [r]), so nothing unreleased ever goes public.
    public = PublishedRevision.objects.public().filter(report=report)
    report.revisions.exclude(pk__in=public.values("pk")).delete()
    number = report.revisions.count() + 1
    release = report.year.release_at
    if at is None:
        if number == 1 and release is None:
            raise TransitionRefused(
                f"Set the release date and time for {report.year} before publishing its reports."
            )
        # Nothing of a year goes public before its announced release, corrections included.
        at = release if release is not None and release > now else now
    reason = ""
    if number > 1:
        if note is None:
            reopened = report.events.filter(action="reopen").order_by("-at", "-pk").first()
            note = reopened.comment if reopened else ""
        reason = note.strip()
        if not reason:
            raise TransitionRefused(CORRECTION_NOTE_MISSING)
    entry = Release.objects.filter(year=report.year_id).first()
    revision = PublishedRevision.objects.create(
        report=report,
        number=number,
        provisional=entry is not None and entry.provisional_figures,
        published_at=at,
        reason=reason,
        published_by=user,
        tell_subscribers=number > 1 and tell_subscribers,
        foreword_title=report.foreword_title,
        foreword=report.foreword,
        local_page_title=report.local_page_title,
        local_narrative=report.local_narrative,
        population_estimate=report.population_estimate,
        population_source=report.population_source,
        source_note=report.source_note,
        signatories=[
            {
                "section": s.section,
                "name": s.name,
                "job_title": s.job_title,
                "organisation": s.organisation,
            }
            for s in report.signatories.all()
        ],
    )
    PublishedFigure.objects.bulk_create(
        PublishedFigure(revision=revision, **figure.cell_fields())
        for figure in report.figures.all()
    )
    return revision


@transaction.atomic
def set_release_time(
    year: ReportingYear, release_at: datetime.datetime | None, reason: str = ""
) -> None:
    """Announce (or move) a year's release; revisions waiting for it move with it, and the
    year's subscribers are told (`alerts.release_changed`)."""
    now = timezone.now()
    previous = ReportingYear.objects.filter(pk=year.pk).values_list("release_at", flat=True)[0]
    waiting = PublishedRevision.objects.filter(report__year=year, published_at__gt=now)
    if release_at is None and waiting.exists():
        raise TransitionRefused(
            f"Some {year} reports are published and waiting for the release: give a new "
            "release time rather than none."
        )
    if release_at is not None:
        waiting.update(published_at=max(release_at, now))
    year.release_at = release_at
    year.save(update_fields=["release_at"])
    alerts.release_changed(year, previous, reason)


def release_due(now: datetime.datetime | None = None) -> list[AnnualReport]:
    """Publish every approved report whose year's release time has come.

    Run by a timer (`manage.py release_reports`), so that a year's approved reports go public
    together at the announced time without anyone pressing a button.
    """
    now = now or timezone.now()
    # First publications only: a correction is published by the national team, who write its
    # public note and choose whether subscribers are told.
    public = PublishedRevision.objects.public(at=now).filter(report=OuterRef("pk"))
    due = (
        AnnualReport.objects.filter(status=Status.APPROVED, year__release_at__lte=now)
        .exclude(Exists(public))
        .select_related("year", "area")
    )
    released = []
    for report in due:
        try:
            with transaction.atomic():
                _move(report, TRANSITIONS["publish"], None, report.version)
                publish_revision(report, None)
                notifications.after_move(report, "publish", "")
        except (TransitionRefused, EditConflict):
            # Someone moved it at the same moment: their move stands; carry on with the rest.
            logger.warning("Release of %s skipped: it changed meanwhile.", report)
            continue
        released.append(report)
    # What became public (these reports, corrections waiting for the release) is announced.
    alerts.announce_due(now)
    alerts.deliver_pending(now)
    subscriptions.forget_unconfirmed(now)
    return released


def _move(
    report: AnnualReport,
    transition: Transition,
    user: User | None,
    version: int,
    comment: str = "",
    cells: list[CellRef] | None = None,
    figures: dict[str, str] | None = None,
    reopened: list[str] | None = None,
) -> ReportEvent:
    now = timezone.now()
    moved = AnnualReport.objects.filter(
        pk=report.pk, version=version, status__in=transition.sources
    ).update(status=transition.target, version=F("version") + 1, updated_at=now)
    if not moved:
        current = AnnualReport.objects.select_related("last_edited_by").get(pk=report.pk)
        if current.status not in transition.sources:
            raise TransitionRefused(
                f"This report is already {current.get_status_display().lower()}."
            )
        raise EditConflict(current)
    event = ReportEvent.objects.create(
        report=report,
        action=transition.action,
        from_status=report.status,
        to_status=transition.target,
        user=user,
        at=now,
        comment=comment,
        cells=[str(c) for c in cells or []],
        figures=figures,
        sections=reopened or [],
    )
    report.status, report.version, report.updated_at = transition.target, version + 1, now
    return event
