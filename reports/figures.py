"""The one write path for a report's figures: forms, imports, the admin and the demo use it.

Whoever writes, the report ends up holding every not-applicable cell of its template as `[z]`
(and, for a past publication, every cell not given as `[x]`), so a report's figures and its
downloads look the same however they were entered. Callers check values with the rules first
(`validation.py`); this refuses only what must never happen.
"""

from __future__ import annotations

from django.db import transaction

from .models import AnnualReport, Figure
from .returns import NOT_APPLICABLE, NOT_AVAILABLE, CellRef, CellValue


class PublishedReportError(Exception):
    """Published reports are never changed in place."""


@transaction.atomic
def update_figures(report: AnnualReport, changes: dict[CellRef, CellValue | None]) -> int:
    """Apply `changes` (None clears a cell) to the report's figures; return how many changed.

    Not-applicable cells are always kept as `[z]`. Each cell is saved on its own so that the
    history records who changed what.
    """
    if report.status == AnnualReport.Status.PUBLISHED:
        raise PublishedReportError(f"{report} is published and cannot be changed.")
    template = report.template
    changes = dict(changes)
    for ref in template.not_applicable_cells():
        changes[ref] = NOT_APPLICABLE
    existing = {figure.ref: figure for figure in report.figures.all()}
    changed = 0
    for ref, value in changes.items():
        figure = existing.get(ref)
        if value is None:
            if figure is not None:
                figure.delete()
                changed += 1
        elif figure is None:
            Figure.objects.create(
                report=report,
                table=ref.table,
                row=ref.row,
                column=ref.column,
                status=value.status,
                value=value.value,
            )
            changed += 1
        elif figure.cell_value != value:
            figure.status, figure.value = value.status, value.value
            figure.save(update_fields=["status", "value"])
            changed += 1
    return changed


def replace_figures(
    report: AnnualReport, values: dict[CellRef, CellValue], *, missing_not_available: bool = False
) -> int:
    """Make the report's figures exactly `values`, with not-applicable cells `[z]`.

    With `missing_not_available` (a past publication giving only some cells), every other
    applicable cell becomes `[x]` not available.
    """
    changes: dict[CellRef, CellValue | None] = {ref: None for ref in report.cell_values()}
    if missing_not_available:
        changes.update({ref: NOT_AVAILABLE for ref in report.template.applicable_cells()})
    changes.update(values)
    return update_figures(report, changes)
