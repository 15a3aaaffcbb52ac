"""A report's history: every change to its figures, text and signatories, and its moves.

Read from django-simple-history's tables and the workflow's events, merged in time order.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from typing import Any, Protocol

from django.db.models import QuerySet

from .models import AnnualReport, Figure, Signatory
from .returns import CellRef, CellStatus, CellValue

REPORT_FIELDS = {
    "foreword_title": "Introduction heading",
    "foreword": "Introduction",
    "local_page_title": "Local page heading",
    "local_narrative": "Local page",
    "population_estimate": "Population estimate",
    "population_source": "How the rate was calculated",
    "change_explanation": "Explanation of changes since last year",
}
SIGNATORY_FIELDS = ("name", "job_title", "organisation", "section")


class FigureRecord(Protocol):
    """A historical Figure: simple-history makes its class at run time, so this names its fields."""

    table: str
    row: str
    column: str
    status: str
    value: Decimal | None


class SignatoryRecord(Protocol):
    """A historical Signatory (as FigureRecord)."""

    name: str
    job_title: str
    organisation: str
    section: str


@dataclass(frozen=True)
class Change:
    at: datetime.datetime
    user: str
    what: str
    old: str
    new: str


def report_history(report: AnnualReport) -> list[Change]:
    """Every recorded change to `report`, newest first."""
    changes = [
        *_report_changes(report),
        *_figure_changes(report),
        *_signatory_changes(report),
        *_events(report),
    ]
    return sorted(changes, key=lambda c: c.at, reverse=True)


def _who(record: object) -> str:
    user = getattr(record, "history_user", None) or getattr(record, "user", None)
    if user is None:
        return "System"
    return user.get_full_name() or user.get_username()


def _report_changes(report: AnnualReport) -> list[Change]:
    records = list(
        report.history.select_related("history_user").order_by("history_date", "history_id")
    )
    changes = []
    previous: Any = None  # a historical AnnualReport (a class made at run time)
    for record in records:
        for field, label in REPORT_FIELDS.items():
            old = getattr(previous, field, None) if previous else None
            new = getattr(record, field)
            if (old or "") != (new or "") and (previous is not None or new):
                changes.append(
                    Change(record.history_date, _who(record), label, _text(old), _text(new))
                )
        previous = record
    return changes


def _figure_changes(report: AnnualReport) -> list[Change]:
    template = report.template

    def name(record: FigureRecord) -> str:
        ref = CellRef(record.table, record.row, record.column)
        if not template.has_cell(ref):
            return str(ref)
        return template.describe(ref)

    def cell(record: FigureRecord) -> str:
        ref = CellRef(record.table, record.row, record.column)
        return CellValue(CellStatus(record.status), record.value).display(template.decimals(ref))

    records = Figure.history.filter(report_id=report.pk).exclude(status=CellStatus.NOT_APPLICABLE)
    return _object_changes(records, name, cell)


def _signatory_changes(report: AnnualReport) -> list[Change]:
    records = Signatory.history.filter(report_id=report.pk)
    return _object_changes(records, lambda record: "Signatory", _signatory)


def _object_changes(
    records: QuerySet[Any], name: Callable[[Any], str], render: Callable[[Any], str]
) -> list[Change]:
    """Changes to each object in `records`, comparing each version with the one before."""
    records = records.select_related("history_user").order_by("id", "history_date", "history_id")
    changes = []
    for _, versions in groupby(records, key=lambda r: r.id):
        previous = None
        for record in versions:
            new = "" if record.history_type == "-" else render(record)
            old = render(previous) if previous is not None and previous.history_type != "-" else ""
            if old != new:
                changes.append(Change(record.history_date, _who(record), name(record), old, new))
            previous = record
    return changes


def _events(report: AnnualReport) -> list[Change]:
    return [
        Change(
            event.at,
            _who(event),
            f"Status ({event.action})",
            AnnualReport.Status(event.from_status).label,
            AnnualReport.Status(event.to_status).label
            + (f": “{event.comment}”" if event.comment else ""),
        )
        for event in report.events.select_related("user")
    ]


def _signatory(record: SignatoryRecord) -> str:
    parts = [record.name, record.job_title, record.organisation]
    where = "introduction" if record.section == Signatory.Section.FOREWORD else "local page"
    return ", ".join(p for p in parts if p) + f" (signs the {where})"


def _text(value: object) -> str:
    return "" if value is None else str(value)
