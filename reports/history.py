"""A report's history: every change to its figures, text and signatories, and its moves.

Read from django-simple-history's tables and the workflow's events, merged in time order.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from typing import Any, Protocol

from django.db.models import QuerySet

from .models import AnnualReport, Figure, ReportEvent, Signatory
from .returns import CellRef, CellStatus, CellValue
from .validation import parse_cell

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


def _event_heading(event: ReportEvent, scheduled: str) -> str:
    """The status an event moved the report to, never "Published" while it waits for release."""
    if event.to_status == AnnualReport.Status.PUBLISHED and scheduled:
        return scheduled
    return AnnualReport.Status(event.to_status).label


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
    summary = report.status_summary()
    scheduled = summary.label if summary.key == "scheduled" else ""
    return [
        Change(
            event.at,
            _who(event),
            f"Status ({event.action})",
            AnnualReport.Status(event.from_status).label,
            _event_heading(event, scheduled) + (f": “{event.comment}”" if event.comment else ""),
        )
        for event in report.events.select_related("user")
    ]


# --- What changed between two submissions --------------------------------------------------

#: The report's text fields a reviewer compares between submissions, with their names.
SUBMITTED_TEXT = {
    name: label for name, label in REPORT_FIELDS.items() if name != "change_explanation"
}


@dataclass
class TextChange:
    """A text field changed between submissions: its paragraphs removed and added."""

    what: str
    removed: list[str] = dataclasses.field(default_factory=list)
    added: list[str] = dataclasses.field(default_factory=list)


@dataclass
class SubmissionChanges:
    """Everything that changed between the previous submission and the latest one."""

    since: datetime.datetime
    figures: list[dict]
    texts: list[TextChange]
    signatories_removed: list[str]
    signatories_added: list[str]

    def __bool__(self) -> bool:
        return bool(
            self.figures or self.texts or self.signatories_removed or self.signatories_added
        )


def changes_between_submissions(report: AnnualReport) -> SubmissionChanges | None:
    """Figures, text and signatories changed between the last two submissions (None before a
    resubmission). Text and signatories are read from django-simple-history's records."""
    submissions = list(
        report.events.filter(action="submit", figures__isnull=False).order_by("-at", "-pk")[:2]
    )
    if len(submissions) < 2:
        return None
    latest, before = submissions
    return SubmissionChanges(
        since=before.at,
        figures=_figure_differences(report, before, latest),
        texts=_text_differences(report, before.at, latest.at),
        signatories_removed=sorted(
            _signatories_at(report, before.at) - _signatories_at(report, latest.at)
        ),
        signatories_added=sorted(
            _signatories_at(report, latest.at) - _signatories_at(report, before.at)
        ),
    )


def _figure_differences(
    report: AnnualReport, before: ReportEvent, latest: ReportEvent
) -> list[dict]:
    # Both are {cell: shorthand} snapshots: events without one are left out above.
    old: dict[str, str] = before.figures or {}
    new: dict[str, str] = latest.figures or {}
    template = report.template
    rows = []
    for ref, _ in template.cells():
        key = str(ref)
        if new.get(key) != old.get(key):
            decimals = template.decimals(ref)
            rows.append(
                {
                    "cell": template.describe(ref),
                    "before": _display(old.get(key), decimals),
                    "now": _display(new.get(key), decimals),
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


def _record_at(report: AnnualReport, at: datetime.datetime) -> Any:
    return (
        report.history.filter(history_date__lte=at).order_by("-history_date", "-history_id").first()
    )


def _text_differences(
    report: AnnualReport, before: datetime.datetime, latest: datetime.datetime
) -> list[TextChange]:
    old, new = _record_at(report, before), _record_at(report, latest)
    if old is None or new is None:
        return []
    delta = new.diff_against(old, included_fields=list(SUBMITTED_TEXT))
    changes = []
    for name in SUBMITTED_TEXT:  # in the report's order, not the delta's
        change = next((c for c in delta.changes if c.field == name), None)
        if change is None:
            continue
        removed, added = _paragraph_diff(_text(change.old), _text(change.new))
        changes.append(TextChange(SUBMITTED_TEXT[name], removed, added))
    return changes


def _paragraph_diff(old: str, new: str) -> tuple[list[str], list[str]]:
    """The paragraphs of `old` that are gone, and those of `new` that are new."""
    split = lambda text: [p.strip() for p in text.split("\n\n") if p.strip()]  # noqa: E731
    a, b = split(old), split(new)
    removed, added = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b).get_opcodes():
        if tag in ("replace", "delete"):
            removed += a[i1:i2]
        if tag in ("replace", "insert"):
            added += b[j1:j2]
    return removed, added


def _signatories_at(report: AnnualReport, at: datetime.datetime) -> set[str]:
    records = Signatory.history.filter(report_id=report.pk, history_date__lte=at).order_by(
        "id", "-history_date", "-history_id"
    )
    present = set()
    for _, versions in groupby(records, key=lambda r: r.id):
        latest = next(versions)
        if latest.history_type != "-":
            present.add(_signatory(latest))
    return present


def _signatory(record: SignatoryRecord) -> str:
    parts = [record.name, record.job_title, record.organisation]
    where = "introduction" if record.section == Signatory.Section.FOREWORD else "local page"
    return ", ".join(p for p in parts if p) + f" (signs the {where})"


def _text(value: object) -> str:
    return "" if value is None else str(value)
