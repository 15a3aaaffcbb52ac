"""Public downloads of published figures, in the tidy format, streamed row by row."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from .imports import FIGURE_COLUMNS
from .models import PublishedRevision

#: The public CSV adds a marker column to the import format: `[r]` for a revised figure.
PUBLIC_COLUMNS = (*FIGURE_COLUMNS, "marker")
REVISED = "[r]"


class _Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, line: str) -> str:
        return line


def revision_rows(
    revision: PublishedRevision, first: dict | None = None
) -> Iterator[tuple[str, ...]]:
    """One row per cell of a published revision, in report order.

    A figure that differs from the report's first published revision is marked `[r]`.
    """
    report = revision.report
    values = revision.cell_values()
    for ref, _ in report.template.cells():
        value = values.get(ref)
        if value is None:
            continue
        revised = first is not None and first.get(ref) != value
        yield (
            report.year.label,
            report.area.slug,
            ref.table,
            ref.row,
            ref.column,
            value.shorthand,
            REVISED if revised else "",
        )


def csv_lines(rows: Iterable[tuple[str, ...]]) -> Iterator[str]:
    """CSV text, header first, a line at a time (memory does not grow with the rows)."""
    writer = csv.writer(_Echo(), lineterminator="\n")
    yield writer.writerow(PUBLIC_COLUMNS)
    for row in rows:
        yield writer.writerow(row)


def first_revision_values(revision: PublishedRevision) -> dict | None:
    """The first published figures of the report, when `revision` is a later one."""
    if revision.number == 1:
        return None
    first = revision.report.revisions.get(number=1)
    values: dict = first.cell_values()
    return values
