"""Saving a draft report, section by section, without ever losing someone else's update.

Every form carries the report's `version`. A save first bumps the version in one conditional
UPDATE; if someone saved in between, nothing is written and `EditConflict` says who and when.
On PostgreSQL the UPDATE also locks the row, so two saves of the same version cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format

from . import sections, windows
from .change_checks import ChangeWarning
from .figures import update_figures
from .models import AnnualReport, ChangeAcknowledgement, Signatory
from .returns import CellRef, CellValue

EDITABLE_STATUSES = windows.EDITABLE_STATUSES
TEXT_FIELDS = {"foreword_title", "foreword", "local_page_title", "local_narrative"}
TABLE_REPORT_FIELDS = {"population_estimate", "population_source"}


class NotEditable(Exception):
    """The report cannot be changed now: its message says why (`windows.can_change`)."""


class EditConflict(Exception):
    """Someone saved the report after the person saving opened it."""

    def __init__(self, current: AnnualReport) -> None:
        self.current = current
        who = editor_name(current)
        when = timezone.localtime(current.updated_at)
        super().__init__(
            f"Your changes have not been saved because {who} changed this report on "
            f"{date_format(when, 'j F Y')} at {date_format(when, 'g:i a')}, after you opened "
            "this page. What you entered is shown below: check it and save again."
        )


def editor_name(report: AnnualReport) -> str:
    user = report.last_edited_by
    if user is None:
        return "someone else"
    return user.get_full_name() or user.get_username()


def is_editable(report: AnnualReport) -> bool:
    """Whether the area's coordinators can change the report now (`windows.can_change`)."""
    return windows.can_change(report).allowed


def not_editable_reason(report: AnnualReport) -> str:
    """Why the report cannot be changed now, in plain words ("" if it can)."""
    return windows.can_change(report).refusal or ""


def check_section_open(report: AnnualReport, section: str) -> None:
    """Refuse a change to a section that a correction did not reopen."""
    reason = sections.locked_reason(report, section, sections.reopened_sections(report))
    if reason:
        raise NotEditable(reason)


def _claim(report: AnnualReport, user: User, version: int, touched: set[str]) -> None:
    """Bump the version if nobody saved since `version`; must run inside a transaction.

    `touched` are the sections the save changes: a correction may change only those reopened.
    """
    if not is_editable(report):
        raise NotEditable(not_editable_reason(report))
    for section in sorted(touched):
        check_section_open(report, section)
    now = timezone.now()
    # Only the report row's own columns in the WHERE: with a join, Django writes
    # "id IN (subquery)", which PostgreSQL does not re-check after waiting for a row lock,
    # so two saves of the same version could both win.
    claimed = AnnualReport.objects.filter(
        pk=report.pk, version=version, status__in=EDITABLE_STATUSES
    ).update(version=F("version") + 1, last_edited_by=user, updated_at=now)
    if not claimed:
        current = AnnualReport.objects.select_related("last_edited_by", "year").get(pk=report.pk)
        if not is_editable(current):
            raise NotEditable(not_editable_reason(current))
        raise EditConflict(current)
    report.version, report.last_edited_by, report.updated_at = version + 1, user, now


@transaction.atomic
def save_fields(report: AnnualReport, user: User, version: int, **fields: object) -> None:
    """Save text or population fields of the report.

    Saving what is there already changes nothing (no version, no history record), but counts
    as checking text copied from last year.
    """
    unknown = set(fields) - TEXT_FIELDS - TABLE_REPORT_FIELDS
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
    touched = sections.sections_of_fields(report.template, fields)
    if all(getattr(report, name) == value for name, value in fields.items()):
        if not is_editable(report):
            raise NotEditable(not_editable_reason(report))
        for section in sorted(touched):
            check_section_open(report, section)
        _mark_checked(report, touched)
        return
    _claim(report, user, version, touched)
    _save_report_fields(report, fields)
    _mark_checked(report, touched)


def _mark_checked(report: AnnualReport, touched: set[str]) -> None:
    """Copied sections saved by the coordinator no longer need checking."""
    left = [slug for slug in report.copied_sections if slug not in touched]
    if left != report.copied_sections:
        # Not part of the report's history: an UPDATE, no version bump.
        AnnualReport.objects.filter(pk=report.pk).update(copied_sections=left)
        report.copied_sections = left


@transaction.atomic
def save_table(
    report: AnnualReport,
    user: User,
    version: int,
    changes: dict[CellRef, CellValue | None],
    **fields: object,
) -> None:
    """Save one table's cells (None clears a cell), and any report fields shown with it."""
    touched = {ref.table for ref in changes} | sections.sections_of_fields(report.template, fields)
    _claim(report, user, version, touched)
    update_figures(report, changes)
    if fields:
        _save_report_fields(report, fields)


def _save_report_fields(report: AnnualReport, fields: dict[str, object]) -> None:
    """Save `fields` with the claim's version, editor and time (recorded in the history)."""
    for name, value in fields.items():
        setattr(report, name, value)
    report.save(update_fields=[*fields, "version", "last_edited_by", "updated_at"])


@transaction.atomic
def save_signatories(
    report: AnnualReport,
    user: User,
    version: int,
    keep: Iterable[dict],
) -> None:
    """Make the report's signatories exactly `keep` (dicts of Signatory fields), in order.

    Existing signatories are matched by `id`, so unchanged ones keep their history.
    """
    _claim(report, user, version, {sections.SIGNATORIES})
    existing: dict[int | None, Signatory] = {s.pk: s for s in report.signatories.all()}
    kept = set()
    for order, data in enumerate(keep):
        signatory = existing.get(data.get("id")) or Signatory(report=report)
        values = {
            "section": data["section"],
            "name": data["name"],
            "job_title": data["job_title"],
            "organisation": data.get("organisation", ""),
            "order": order,
        }
        if signatory.pk is None or any(getattr(signatory, k) != v for k, v in values.items()):
            for name, value in values.items():
                setattr(signatory, name, value)
            signatory.save()
        kept.add(signatory.pk)
    for pk, signatory in existing.items():
        if pk not in kept:
            signatory.delete()
    _mark_checked(report, {sections.SIGNATORIES})


@transaction.atomic
def acknowledge(
    report: AnnualReport, user: User, version: int, warning: ChangeWarning, explanation: str
) -> ChangeAcknowledgement:
    """Record `user`'s explanation of one flagged figure, as it is now (replacing an earlier one
    for the same cell and rule)."""
    _claim(report, user, version, {warning.cell.table})
    acknowledgement, _ = ChangeAcknowledgement.objects.update_or_create(
        report=report,
        table=warning.cell.table,
        row=warning.cell.row,
        column=warning.cell.column,
        rule=warning.rule,
        defaults={
            "figure": warning.figure,
            "explanation": explanation,
            "by": user,
            "at": timezone.now(),
        },
    )
    return acknowledgement
