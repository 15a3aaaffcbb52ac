"""Export figures in the tidy format (the same format imports read)."""

import csv
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from reports.imports import FIGURE_COLUMNS
from reports.management.pipes import ending_quietly_if_the_reader_leaves
from reports.models import ReportingYear
from reports.resources import FigureResource


class Command(BaseCommand):
    help = "Export figures as CSV (year, area, table, row, column, value), streamed row by row."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path, help="The CSV file to write, or - for stdout.")
        parser.add_argument("--year", help="Only this reporting year, e.g. 2010-11.")
        parser.add_argument("--area", help="Only this area, by slug, e.g. kent.")

    def handle(
        self, *args: Any, path: Path, year: str | None, area: str | None, **options: Any
    ) -> None:
        resource = FigureResource()
        figures = resource.get_queryset()
        if year:
            start = ReportingYear.start_year_from_label(year)
            if start is None:
                raise CommandError(f"“{year}” is not a reporting year like 2010-11.")
            figures = figures.filter(report__year__start_year=start)
        if area:
            figures = figures.filter(report__area__slug=area)
        to_stdout = str(path) == "-"
        out = self.stdout if to_stdout else path.open("w", newline="", encoding="utf-8")
        try:
            with (
                ending_quietly_if_the_reader_leaves(self.stdout),
                tqdm(
                    total=figures.count(),
                    unit="row",
                    desc="Exporting",
                    disable=to_stdout or options["verbosity"] < 1,
                    file=sys.stderr,
                ) as bar,
            ):
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(FIGURE_COLUMNS)
                for figure in figures.iterator(chunk_size=2000):
                    writer.writerow(resource.export_resource(figure))
                    bar.update(1)
        finally:
            if not to_stdout:
                out.close()
