"""Load the demo data: the Kent and the Cambridgeshire and Peterborough 2010-11 reports."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from reports.areas import create_areas
from reports.imports import (
    FigureImportError,
    check_parsed,
    group_by_report,
    parse_figures_csv,
    save_figures,
)
from reports.models import AnnualReport, Area, ReportingYear, Signatory
from reports.returns import LATEST_TEMPLATE

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DEMO_YEARS = {"2010-11": LATEST_TEMPLATE}


class Command(BaseCommand):
    help = (
        "Load the demo reports (Kent and Cambridgeshire and Peterborough, 2010-11) as published. "
        "Safe to run again: reports already loaded are left as they are unless --replace is given."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the demo reports first and load them afresh.",
        )

    @transaction.atomic
    def handle(self, *args: Any, replace: bool = False, **options: Any) -> None:
        create_areas(Area)
        for label, template in DEMO_YEARS.items():
            start = ReportingYear.start_year_from_label(label)
            ReportingYear.objects.get_or_create(
                start_year=start, defaults={"return_template": template}
            )
        figures: dict[tuple[str, str], Any] = {}
        for path in sorted(DEMO_DIR.glob("figures-*.csv")):
            try:
                figures.update(group_by_report(parse_figures_csv(path.read_text("utf-8"))))
            except FigureImportError as error:
                raise CommandError(f"{path.name}:\n" + "\n".join(error.problems)) from None
        for path in sorted(DEMO_DIR.glob("*.toml")):
            self._load_report(path, figures, replace=replace)

    def _load_report(self, path: Path, figures: dict, *, replace: bool) -> None:
        text = tomllib.loads(path.read_text("utf-8"))
        try:
            area = Area.objects.get(slug=text["area"])
            year = ReportingYear.objects.by_label(text["year"])
        except (Area.DoesNotExist, ReportingYear.DoesNotExist):
            raise CommandError(f"{path.name}: unknown area or year.") from None
        parsed = figures.get((year.label, area.slug))
        if parsed is None:
            raise CommandError(f"{path.name}: no figures for {area} {year}.")
        problems = check_parsed(parsed, complete=True)
        if problems:
            raise CommandError(f"{path.name}:\n" + "\n".join(problems))

        existing = AnnualReport.objects.filter(area=area, year=year).first()
        if existing and not replace:
            self.stdout.write(f"{existing}: already loaded, left as it is.")
            return
        if existing:
            existing.delete()

        area.strapline = text.get("strapline", "")
        area.save(update_fields=["strapline"])
        report = AnnualReport.objects.create(
            area=area,
            year=year,
            foreword_title=text.get("foreword_title", ""),
            foreword=text["foreword"].strip(),
            local_page_title=text.get("local_page_title", ""),
            local_narrative=text["local_narrative"].strip(),
            population_source=text.get("population_source", ""),
        )
        Signatory.objects.bulk_create(
            Signatory(report=report, order=order, **signatory)
            for order, signatory in enumerate(text.get("signatories", []))
        )
        save_figures(report, parsed.values)
        report.status = AnnualReport.Status.PUBLISHED
        report.published_at = timezone.now()
        report.save(update_fields=["status", "published_at"])
        self.stdout.write(self.style.SUCCESS(f"{report}: loaded and published."))
