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

import copy
import csv
import io
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import F, Model, Q
from django.utils import timezone
from import_export import fields, resources
from simple_history.utils import bulk_create_with_history
from tablib import Dataset

from . import past_publications, windows
from .figures import write_figures
from .imports import (
    FIGURE_COLUMNS,
    MAX_PROBLEMS,
    SOURCE_COLUMNS,
    STOPPED,
    FigureImportError,
    ParsedReturn,
    parse_figures_csv,
)
from .models import AnnualReport, Figure
from .returns import CellRef
from .validation import check_figures

#: Reports in these statuses take imported figures (and then only as `windows.can_import`
#: allows); published ones never do.
IMPORTABLE = windows.EDITABLE_STATUSES


class FigureColumn(fields.Field):
    """A column computed from a figure, for export and for the import preview alike."""

    def __init__(self, column_name: str, compute: Callable[[Figure], str]) -> None:
        super().__init__(column_name=column_name, readonly=True)
        self.compute = compute

    def export(self, instance: Model, **kwargs: Any) -> str:
        # Rows of a refused file are previewed without a report: show nothing for them.
        return self.compute(instance) if isinstance(instance, Figure) and instance.report_id else ""


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
        fields: tuple[str, ...] = FIGURE_COLUMNS
        export_order: tuple[str, ...] = FIGURE_COLUMNS
        import_id_fields = ()
        skip_unchanged = True
        report_skipped = False
        use_transactions = True
        # No row is saved on its own (`after_import` writes every report at once), so no row
        # needs the savepoint django-import-export otherwise opens around each one.
        use_bulk = True

    def __init__(
        self,
        progress: Callable[[int], object] | None = None,
        *,
        diff: bool = True,
        versions_seen: dict[str, int | None] | None = None,
        versions_expected: dict[str, int | None] | None = None,
        **kwargs: Any,
    ) -> None:
        """`progress` is called once per row; `diff=False` skips each row's before and after.

        The admin's preview shows every row's change; the shell command prints only totals,
        and copying each figure (with its report) to compare is most of a row's cost.

        A preview records in `versions_seen` the version of each report the file names
        ("year|area": version, or None for a report not yet started); the confirmation passes
        them back as `versions_expected`, and imports nothing if any report has changed since.
        """
        super().__init__(**kwargs)
        self.versions_seen = versions_seen
        self.versions_expected = versions_expected
        if not diff:
            self._meta = copy.copy(self._meta)  # the options are the class's: change a copy
            self._meta.skip_diff = True
        self.progress = progress
        self._line_problems: dict[int, list[str]] = {}
        self._problem_count = 0
        self._stopped = False
        self._parsed: dict[tuple[str, str], ParsedReturn] = {}
        self._reports: dict[tuple[str, str], AnnualReport] = {}
        self._existing: dict[tuple[int, CellRef], Figure] = {}
        #: Each held cell's status and value before the import, to tell unchanged rows.
        self._before: dict[tuple[int, CellRef], tuple[str, Decimal | None]] = {}

    # --- export ----------------------------------------------------------------------------

    def get_queryset(self) -> Any:
        return Figure.objects.select_related("report__year", "report__area").order_by(
            "report__year__start_year", "report__area__name", "pk"
        )

    # --- import ----------------------------------------------------------------------------

    def before_import(self, dataset: Dataset, **kwargs: Any) -> None:
        """Check the whole file first: every line's problems, and the rules per report.

        Lines are counted as records: the header is line 1, the first figure line 2. The
        reports and what they hold are read in two queries, however many the file names.
        """
        self._line_problems = {}
        self._problem_count = 0
        self._stopped = False
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
            for message in error.problems:
                self._add_problem(message)
            return
        self._parsed = {(item.year.label, item.area.slug): item for item in parsed}
        reports = _reports_for(parsed)
        if not self._check_versions(reports):
            return
        held = _figures_of(reports.values())
        new: list[ParsedReturn] = []
        for key, item in self._parsed.items():
            report = reports.get(key)
            if self.past_publication:
                self._check_past_publication(item, report)
                new.append(item)
                continue
            verdict = windows.can_import(item.year, item.area, report)
            if not verdict.allowed:
                what = "changed" if report is not None else "started"
                for line_number in sorted(item.lines.values()):
                    self._add_problem(
                        f"Line {line_number}: the {item.area} {item.year} report cannot be "
                        f"{what} by an import now. {verdict.refusal}"
                    )
                continue
            stored = held.get(report.pk, {}) if report else {}
            merged = {**{ref: figure.cell_value for ref, figure in stored.items()}, **item.values}
            population = report.population_estimate if report else None
            for problem in check_figures(
                item.year.template, merged, complete=False, population=population
            ):
                # Each problem on one line: that of its first cell given in the file.
                line = next((item.lines[c] for c in problem.cells if c in item.lines), None)
                if line is not None:
                    self._add_problem(f"Line {line}: {problem.message}")
            if report is None:
                new.append(item)
            else:
                self._reports[key] = report
        if self._line_problems:
            return  # nothing will be written: no report is claimed or created
        if self.past_publication:
            created = past_publications.start(new, self._user)
        else:
            self._claim_all(list(self._reports.values()))
            if self._line_problems:
                return
            created = _create_drafts(new, self._user)
        for report in created:
            self._reports[(report.year.label, report.area.slug)] = report
        for report in self._reports.values():
            for ref, figure in held.get(report.pk, {}).items():
                figure.report = report  # the preview shows its year and area: no query per row
                self._existing[(report.pk, ref)] = figure
                self._before[(report.pk, ref)] = (figure.status, figure.value)

    def _check_versions(self, reports: dict[tuple[str, str], AnnualReport]) -> bool:
        """Record the versions a preview read, or check a confirmation's against them."""
        now = {
            "|".join(key): report.version if (report := reports.get(key)) else None
            for key in self._parsed
        }
        if self.versions_seen is not None:
            self.versions_seen.update(now)
        expected = self.versions_expected
        if expected is None:
            return True
        for key, item in self._parsed.items():
            name = "|".join(key)
            if name in expected and expected[name] == now[name]:
                continue
            what = "was started" if expected.get(name) is None else "was changed"
            self._add_problem(
                f"Line {min(item.lines.values())}: the {item.area} {item.year} report {what} "
                "after the preview, so nothing was imported. Upload the file again to see what "
                "it would change now."
            )
        return not self._line_problems

    def _check_past_publication(self, item: ParsedReturn, report: AnnualReport | None) -> None:
        first = min(item.lines.values())
        refusal = past_publications.refusal(item.year, item.area, report)
        if refusal:
            self._add_problem(f"Line {first}: {refusal}")
            return
        for problem in check_figures(item.year.template, item.values, complete=False):
            line = next((item.lines[c] for c in problem.cells if c in item.lines), first)
            self._add_problem(f"Line {line}: {problem.message}")

    def _claim_all(self, reports: list[AnnualReport]) -> None:
        """Take each report's version, as a coordinator's save does, so no update is lost.

        A coordinator's page opened before the import then gets a conflict on saving; the
        rows stay locked (on PostgreSQL) until the import's transaction ends. One UPDATE for
        every report: reports read at the same version are matched together.
        """
        if not reports:
            return
        by_version: dict[int, list[int]] = {}
        for report in reports:
            by_version.setdefault(report.version, []).append(report.pk)
        read_as_checked = Q()
        for version, pks in by_version.items():
            read_as_checked |= Q(version=version, pk__in=pks)
        at = timezone.now()
        claimed = AnnualReport.objects.filter(read_as_checked, status__in=IMPORTABLE).update(
            version=F("version") + 1, last_edited_by=self._user, updated_at=at
        )
        if claimed == len(reports):
            return
        # Some report was saved after it was read, so the import fails. Name each: a claimed
        # report is one version ahead with this claim's time, any other was saved meanwhile.
        now = {
            pk: (version, updated_at)
            for pk, version, updated_at in AnnualReport.objects.filter(
                pk__in=[r.pk for r in reports]
            ).values_list("pk", "version", "updated_at")
        }
        changed = [
            key
            for key, report in self._reports.items()
            if now.get(report.pk) != (report.version + 1, at)
        ]
        for key in changed or list(self._reports):  # never "nothing changed" when one did
            item = self._parsed[key]
            self._add_problem(
                f"Line {min(item.lines.values())}: the {item.area} {item.year} report "
                "changed while the file was being checked: import it again."
            )

    def after_import(self, dataset: Dataset, result: Any, **kwargs: Any) -> None:
        """Write every report's figures through the one write path, or fail the import.

        A problem no row reported (a header with no rows, say) still fails it. In a preview
        the writes are rolled back with the rest. Every report is written at once, in bulk.
        """
        unreported = sorted(set(self._line_problems) - self._reported - {1})
        header = self._line_problems.get(1) if 2 not in self._reported else None
        if unreported or header:
            messages = header or [m for line in unreported for m in self._line_problems[line]]
            raise FigureImportError(messages)
        if self._line_problems or result.has_validation_errors() or result.has_errors():
            return
        written = [(self._reports[key], parsed) for key, parsed in self._parsed.items()]
        if self.past_publication:
            past_publications.publish(written, self._user)
        else:
            write_figures([(report, parsed.values) for report, parsed in written], user=self._user)

    def save_instance(self, instance: Figure, is_create: bool, row: dict, **kwargs: Any) -> None:
        """Rows are not saved one by one: `after_import` writes every report at once."""

    def _add_problem(self, message: str) -> None:
        """Note a problem under its line (0: the file as a whole); stop at MAX_PROBLEMS."""
        if self._stopped:
            return
        if message == STOPPED or self._problem_count >= MAX_PROBLEMS:
            # Said with the last problem shown, so the preview lists it with the rows.
            self._stopped = True
            self._line_problems.setdefault(max(self._line_problems, default=0), []).append(STOPPED)
            return
        head = message.split(":", 1)[0]
        line = int(head.removeprefix("Line ")) if re.fullmatch(r"Line \d+", head) else 0
        self._line_problems.setdefault(line, []).append(message)
        self._problem_count += 1

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
        # Compared with what the report held, not with `original`: there is none without a diff.
        before = self._before.get((instance.report_id, instance.ref))
        return before == (instance.status, instance.value)


def _reports_for(parsed: list[ParsedReturn]) -> dict[tuple[str, str], AnnualReport]:
    """The reports that exist for the parsed returns, by (year label, area slug): one query."""
    if not parsed:
        return {}
    keys = {(item.year.label, item.area.slug) for item in parsed}
    reports = AnnualReport.objects.filter(
        year__in={item.year.pk for item in parsed}, area__in={item.area.pk for item in parsed}
    ).select_related("year", "area")
    # Every year's report of every area named: keep those of the pairs the file gives.
    found = {(report.year.label, report.area.slug): report for report in reports}
    return {key: report for key, report in found.items() if key in keys}


def _figures_of(reports: Iterable[AnnualReport]) -> dict[int, dict[CellRef, Figure]]:
    """What each report holds, by report id and cell: one query."""
    held: dict[int, dict[CellRef, Figure]] = {}
    for figure in Figure.objects.filter(report__in=[report.pk for report in reports]):
        held.setdefault(figure.report_id, {})[figure.ref] = figure
    return held


def _create_drafts(parsed: list[ParsedReturn], user: User | None) -> list[AnnualReport]:
    """A draft report for each parsed return that has none, with its history: two INSERTs."""
    return bulk_create_with_history(
        [AnnualReport(year=item.year, area=item.area) for item in parsed],
        AnnualReport,
        default_user=user,
    )


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
