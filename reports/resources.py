"""Bulk import and export of figures with django-import-export, in the tidy format.

Columns: year, area, table, row, column, value (docs/data-dictionary.md), the same as the demo
data and the public download. An import is checked as a whole before any row is written, with
the same parser and rules as the coordinators' forms (`validation.py`); every bad row is named
by its line in the file, and a file with any bad row imports nothing. What passes is written
through `figures.py`, the one write path, so an imported report holds every cell of its
template just as a report entered in the forms does.

`PastPublicationResource` loads figures published before the portal (with a `source` column)
and publishes them at once as past publications (`past_publications.py`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from import_export import fields, resources
from tablib import Dataset

from . import past_publications
from .figures import update_figures
from .imports import (
    FIGURE_COLUMNS,
    SOURCE_COLUMNS,
    FigureImportError,
    ParsedReturn,
    parse_figures_csv,
)
from .models import AnnualReport, Figure
from .returns import CellRef
from .validation import check_figures

#: Reports in these statuses take imported figures; published ones never do.
IMPORTABLE = (AnnualReport.Status.DRAFT, AnnualReport.Status.RETURNED)


class FigureColumn(fields.Field):
    """A column computed from a figure, for export and for the import preview alike."""

    def __init__(self, column_name: str, compute: Callable[[Figure], str]) -> None:
        super().__init__(column_name=column_name, readonly=True)
        self.compute = compute

    def export(self, instance: Figure, **kwargs: Any) -> str:
        # Rows of a refused file are previewed without a report: show nothing for them.
        return self.compute(instance) if instance.report_id else ""


class FigureResource(resources.ModelResource):
    """One figure per row: year, area, table, row, column, value."""

    #: Past publications are published at once; other imports fill in drafts.
    past_publication = False

    year = FigureColumn("year", lambda figure: figure.report.year.label)
    area = FigureColumn("area", lambda figure: figure.report.area.slug)
    table = FigureColumn("table", lambda figure: figure.table)
    row = FigureColumn("row", lambda figure: figure.row)
    column = FigureColumn("column", lambda figure: figure.column)
    value = FigureColumn(
        "value",
        lambda figure: (
            figure.report.template.text(figure.ref, figure.cell_value) if figure.status else ""
        ),
    )

    class Meta:
        name = "Figures for draft or returned reports"
        model = Figure
        fields = FIGURE_COLUMNS
        export_order = FIGURE_COLUMNS
        import_id_fields = ()
        skip_unchanged = True
        report_skipped = False
        use_transactions = True

    def __init__(self, progress: Callable[[int], None] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.progress = progress
        self._line_problems: dict[int, list[str]] = {}
        self._parsed: dict[tuple[str, str], ParsedReturn] = {}
        self._reports: dict[tuple[str, str], AnnualReport] = {}
        self._existing: dict[tuple[int, CellRef], Figure] = {}

    # --- export ----------------------------------------------------------------------------

    def get_queryset(self) -> Any:
        return Figure.objects.select_related("report__year", "report__area").order_by(
            "report__year__start_year", "report__area__name", "pk"
        )

    # --- import ----------------------------------------------------------------------------

    def before_import(self, dataset: Dataset, **kwargs: Any) -> None:
        """Check the whole file first: every line's problems, and the rules per report.

        Lines are counted as records: the header is line 1, the first figure line 2.
        """
        self._line_problems = {}
        self._reported: set[int] = set()
        self._user = kwargs.get("user")
        if not dataset.headers:
            self._add_problem(
                f"Line 1: the first line must name the columns: {', '.join(FIGURE_COLUMNS)}."
            )
            # Placeholder names let django-import-export walk the rows, which are all refused.
            dataset.headers = [f"column_{n}" for n in range(dataset.width)]
            return
        try:
            parsed = parse_figures_csv(_as_csv(dataset), with_source=self.past_publication)
        except FigureImportError as error:
            for problem in error.problems:
                self._add_problem(problem)
            return
        for item in parsed:
            key = (item.year.label, item.area.slug)
            self._parsed[key] = item
            report = AnnualReport.objects.filter(year=item.year, area=item.area).first()
            if self.past_publication:
                self._check_past_publication(item, report)
                continue
            if report is not None and report.status not in IMPORTABLE:
                for line in sorted(item.lines.values()):
                    self._add_problem(
                        f"Line {line}: the {item.area} {item.year} report is "
                        f"{report.get_status_display().lower()}, so imports cannot change it."
                        + (
                            " Corrections reopen it first."
                            if report.status == AnnualReport.Status.PUBLISHED
                            else ""
                        )
                    )
                continue
            stored = report.cell_values() if report else {}
            merged = {**stored, **item.values}
            population = report.population_estimate if report else None
            for problem in check_figures(
                item.year.template, merged, complete=False, population=population
            ):
                # Each problem on one line: that of its first cell given in the file.
                line = next((item.lines[c] for c in problem.cells if c in item.lines), None)
                if line is not None:
                    self._add_problem(f"Line {line}: {problem.message}")
            if report is None:
                report = AnnualReport.objects.create(year=item.year, area=item.area)
            elif not self._line_problems and not self._claim(report):
                self._add_problem(
                    f"Line {min(item.lines.values())}: the {item.area} {item.year} report "
                    "changed while the file was being checked: import it again."
                )
            self._reports[key] = report
        reports = list(self._reports.values())
        for figure in Figure.objects.filter(report__in=reports):
            self._existing[(figure.report_id, figure.ref)] = figure

    def _check_past_publication(self, item: ParsedReturn, report: AnnualReport | None) -> None:
        first = min(item.lines.values())
        refusal = past_publications.refusal(item.year, item.area, report)
        if refusal:
            self._add_problem(f"Line {first}: {refusal}")
            return
        for problem in check_figures(item.year.template, item.values, complete=False):
            line = next((item.lines[c] for c in problem.cells if c in item.lines), first)
            self._add_problem(f"Line {line}: {problem.message}")
        if not self._line_problems:
            self._reports[(item.year.label, item.area.slug)] = past_publications.start(
                item, self._user
            )

    def _claim(self, report: AnnualReport) -> bool:
        """Take the report's version, as a coordinator's save does, so no update is lost.

        A coordinator's page opened before the import then gets a conflict on saving; the
        row stays locked (on PostgreSQL) until the import's transaction ends.
        """
        claimed = AnnualReport.objects.filter(
            pk=report.pk, version=report.version, status__in=IMPORTABLE
        ).update(version=F("version") + 1, last_edited_by=self._user, updated_at=timezone.now())
        return bool(claimed)

    def after_import(self, dataset: Dataset, result: Any, **kwargs: Any) -> None:
        """Write every report's figures through the one write path, or fail the import.

        A problem no row reported (a header with no rows, say) still fails it. In a preview
        the writes are rolled back with the rest.
        """
        unreported = sorted(set(self._line_problems) - self._reported - {1})
        header = self._line_problems.get(1) if 2 not in self._reported else None
        if unreported or header:
            messages = header or [m for line in unreported for m in self._line_problems[line]]
            raise FigureImportError(messages)
        if self._line_problems or result.has_validation_errors() or result.has_errors():
            return
        for key, parsed in self._parsed.items():
            report = self._reports[key]
            if self.past_publication:
                past_publications.publish(report, parsed, self._user)
            else:
                update_figures(report, dict(parsed.values))

    def do_instance_save(self, instance: Figure, is_create: bool) -> None:
        """Rows are not saved one by one: `after_import` writes each report whole."""

    def _add_problem(self, message: str) -> None:
        line = int(message.split(":", 1)[0].removeprefix("Line ").strip() or 0)
        self._line_problems.setdefault(line, []).append(message)

    def before_import_row(self, row: dict, **kwargs: Any) -> None:
        line = kwargs["row_number"] + 1  # row 1 is the line after the header
        if self.progress:
            self.progress(1)
        problems = self._line_problems.get(line)
        if line == 2 and 1 in self._line_problems:  # a header problem stops every row
            problems = self._line_problems[1] + (problems or [])
        if problems:
            self._reported.add(line)
            raise ValidationError(problems)

    def get_or_init_instance(self, instance_loader: Any, row: dict) -> tuple[Figure, bool]:
        if self._line_problems:
            # The file is refused as a whole: good rows are skipped, never written.
            return Figure(), True
        report = self._reports[_report_key(row)]
        ref = CellRef(*(str(row[name]).strip() for name in ("table", "row", "column")))
        figure = self._existing.get((report.pk, ref))
        if figure is not None:
            return figure, False
        return Figure(report=report, table=ref.table, row=ref.row, column=ref.column), True

    def import_instance(self, instance: Figure, row: dict, **kwargs: Any) -> None:
        if self._line_problems:
            return
        value = self._parsed[_report_key(row)].values[instance.ref]
        instance.status, instance.value = value.status, value.value

    def skip_row(
        self,
        instance: Figure,
        original: Figure | None,
        row: dict,
        import_validation_errors: Any = None,
    ) -> bool:
        if import_validation_errors:
            return False
        if self._line_problems:
            return True
        unchanged = original is not None and original.pk is not None
        return unchanged and (original.status, original.value) == (instance.status, instance.value)


def _report_key(row: dict) -> tuple[str, str]:
    return str(row["year"]).strip(), str(row["area"]).strip()


def _as_csv(dataset: Dataset) -> str:
    """The dataset as CSV text for the shared parser (XLSX numbers come back as text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(dataset.headers or [])
    for row in dataset:
        writer.writerow(["" if cell is None else _text(cell) for cell in row])
    return buffer.getvalue()


def _text(cell: object) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


class PastPublicationResource(FigureResource):
    """Figures a report published before the portal, with their source, published at once.

    Columns: year, area, table, row, column, value, source. Only some cells need be given:
    the others become `[x]` not available.
    """

    source = FigureColumn("source", lambda figure: figure.report.source_note)
    past_publication = True

    class Meta(FigureResource.Meta):
        fields = SOURCE_COLUMNS
        export_order = SOURCE_COLUMNS
        name = "Past publications (published at once, with their source)"
