"""The one write path for a report's figures: forms, imports, the admin and the demo use it.

Whoever writes, the report ends up holding every not-applicable cell of its template as `[z]`
(and, for a past publication, every cell not given as `[x]`), so a report's figures and its
downloads look the same however they were entered. Callers check values with the rules first
(`validation.py`); this refuses only what must never happen.

Writes are in bulk, whether one cell of one report changes or every cell of 840: one query
reads what the reports hold, then one statement (per batch of `BATCH_SIZE`) each deletes,
inserts and updates figures, and one more per batch copies every change into the history, with
who made it. The number of queries grows with the number of batches, never with each cell or
report, so a form's save and a national bulk import take the same path.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence

from django.contrib.auth.models import User
from django.db import connections, transaction
from django.utils import timezone

from .models import AnnualReport, Figure
from .returns import NOT_APPLICABLE, NOT_AVAILABLE, CellRef, CellValue

#: Rows per INSERT: large enough that a national import is a few dozen statements, small
#: enough that no statement's text grows without bound (SQLite batches smaller by itself).
BATCH_SIZE = 2_000

#: What one report's figures become: a value for a cell, or None to clear it.
Changes = Mapping[CellRef, CellValue | None]


class PublishedReportError(Exception):
    """Published reports are never changed in place."""


def update_figures(report: AnnualReport, changes: Changes, *, user: User | None = None) -> int:
    """Apply `changes` (None clears a cell) to the report's figures; return how many changed.

    Not-applicable cells are always kept as `[z]`. The history records each changed cell with
    `user` (by default, the signed-in user of the request, as simple-history's middleware
    records it for any other save).
    """
    return write_figures([(report, changes)], user=user)


def replace_figures(
    report: AnnualReport,
    values: Mapping[CellRef, CellValue],
    *,
    missing_not_available: bool = False,
    user: User | None = None,
) -> int:
    """Make the report's figures exactly `values`, with not-applicable cells `[z]`.

    With `missing_not_available` (a past publication giving only some cells), every other
    applicable cell becomes `[x]` not available.
    """
    return write_figures(
        [(report, values)], replace=True, missing_not_available=missing_not_available, user=user
    )


@transaction.atomic
def write_figures(
    changes: Sequence[tuple[AnnualReport, Changes]],
    *,
    replace: bool = False,
    missing_not_available: bool = False,
    user: User | None = None,
) -> int:
    """Apply each report's changes, all in one transaction; return how many cells changed.

    `replace` clears every cell a report holds that its changes do not give (then
    `missing_not_available` gives those applicable cells `[x]` instead). Every report's
    not-applicable cells are `[z]`. Nothing is written if any report is published.
    """
    for report, _ in changes:
        if report.status == AnnualReport.Status.PUBLISHED:
            raise PublishedReportError(f"{report} is published and cannot be changed.")
    held: dict[int, dict[CellRef, Figure]] = {report.pk: {} for report, _ in changes}
    for stored in Figure.objects.filter(report_id__in=list(held)):
        held[stored.report_id][stored.ref] = stored
    created: list[Figure] = []
    updated: list[Figure] = []
    deleted: list[Figure] = []
    for report, report_changes in changes:
        existing = held[report.pk]
        wanted = _wanted(report, report_changes, existing, replace, missing_not_available)
        for ref, value in wanted.items():
            figure = existing.get(ref)
            if value is None:
                if figure is not None:
                    deleted.append(figure)
            elif figure is None:
                created.append(
                    Figure(
                        report=report,
                        table=ref.table,
                        row=ref.row,
                        column=ref.column,
                        status=value.status,
                        value=value.value,
                    )
                )
            elif figure.cell_value != value:
                figure.status, figure.value = value.status, value.value
                updated.append(figure)
    # Figures are written in bulk, so simple-history's per-save signals never fire: each
    # change is copied into the history here instead, deletions before the rows go.
    user = _history_user(user)
    at = timezone.now()
    if deleted:
        ids = [figure.pk for figure in deleted]
        _copy_to_history(ids, "-", user, at)
        # QuerySet.delete() would fetch the rows again and send a signal (and write a history
        # row) per figure; nothing refers to a figure, so a plain DELETE loses nothing.
        Figure.objects.filter(pk__in=ids)._raw_delete(Figure.objects.db)
    if created:
        Figure.objects.bulk_create(created, batch_size=BATCH_SIZE)
        _copy_to_history([figure.pk for figure in created], "+", user, at)
    if updated:
        Figure.objects.bulk_update(updated, ["status", "value"], batch_size=BATCH_SIZE)
        _copy_to_history([figure.pk for figure in updated], "~", user, at)
    return len(created) + len(updated) + len(deleted)


def _wanted(
    report: AnnualReport,
    changes: Changes,
    existing: Mapping[CellRef, Figure],
    replace: bool,
    missing_not_available: bool,
) -> dict[CellRef, CellValue | None]:
    """Every cell to write for one report: its changes, what `replace` clears, and `[z]`."""
    template = report.template
    wanted: dict[CellRef, CellValue | None] = {}
    if replace:
        wanted.update(dict.fromkeys(existing))
        if missing_not_available:
            wanted.update(dict.fromkeys(template.applicable_cells(), NOT_AVAILABLE))
    wanted.update(changes)
    wanted.update(dict.fromkeys(template.not_applicable_cells(), NOT_APPLICABLE))
    return wanted


def _history_user(user: User | None) -> User | None:
    """`user`, or else whom simple-history records for a save: the request's signed-in user."""
    if user is None:
        user = Figure.history.model.get_default_history_user(Figure())
    return user if user is not None and user.is_authenticated else None


def _copy_to_history(
    ids: list[int], history_type: str, user: User | None, at: datetime.datetime
) -> None:
    """Record the figures `ids`, as the database now holds them, in their history.

    The rows simple-history's signals would write (its `bulk_history_create` writes the same,
    but from Python objects, and not deletions), copied by the database itself with
    INSERT … SELECT: no history object is built in Python, whatever the number of figures.
    """
    history = Figure.history.model
    using = Figure.objects.db
    connection = connections[using]
    quote = connection.ops.quote_name
    copied = [quote(field.column) for field in history.tracked_fields]
    stamped = [
        quote(history._meta.get_field(name).column)
        for name in ("history_date", "history_type", "history_user", "history_change_reason")
    ]
    stamp = [connection.ops.adapt_datetimefield_value(at), history_type, getattr(user, "pk", None)]
    # Every name comes from the models' own metadata, quoted; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(copied + stamped)}) "  # noqa: S608
        f"SELECT {', '.join(copied)}, %s, %s, %s, NULL FROM {quote(Figure._meta.db_table)} "
        f"WHERE {quote(Figure._meta.pk.column)} IN "
    )
    # SQLite takes at most `max_query_params` parameters a statement; PostgreSQL has no limit.
    size = min(BATCH_SIZE, (connection.features.max_query_params or BATCH_SIZE) - len(stamp))
    with connection.cursor() as cursor:
        for start in range(0, len(ids), size):
            batch = ids[start : start + size]
            cursor.execute(f"{sql}({', '.join(['%s'] * len(batch))})", [*stamp, *batch])
