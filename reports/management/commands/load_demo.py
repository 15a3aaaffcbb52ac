"""Load the demo data: the Kent and the Cambridgeshire and Peterborough 2010-11 reports."""

from __future__ import annotations

import datetime
import tomllib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
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
from reports.models import (
    AnnualReport,
    Area,
    AreaCoordinator,
    ReportingYear,
    Signatory,
    release_time_on,
)
from reports.returns import LATEST_TEMPLATE
from reports.workflow import publish_revision

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DEMO_YEARS = {"2010-11": LATEST_TEMPLATE}
#: Opened for submissions in the demo, due a month from the day the demo is loaded.
DEMO_OPEN_YEAR = "2011-12"
NATIONAL_TEAM = "National team"
#: Development-only accounts; the passwords are in the README.
DEMO_USERS = [
    {
        "username": "kent.coordinator@example.gov.uk",
        "password": "kent-demo-password",
        "first_name": "Kim",
        "last_name": "Coordinator",
        "areas": ["kent"],
    },
    {
        "username": "national.admin@example.gov.uk",
        "password": "national-demo-password",
        "first_name": "Nat",
        "last_name": "Admin",
        "national": True,
    },
]


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
        parser.add_argument(
            "--with-users",
            action="store_true",
            help="Create the demo accounts even when DEBUG is off (they are always created "
            "with DEBUG on).",
        )

    @transaction.atomic
    def handle(
        self, *args: Any, replace: bool = False, with_users: bool = False, **options: Any
    ) -> None:
        create_areas(Area)
        self._national_team()
        if settings.DEBUG or with_users:
            self._users()
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
        open_year, created = ReportingYear.objects.get_or_create(
            start_year=ReportingYear.start_year_from_label(DEMO_OPEN_YEAR),
            defaults={
                "return_template": LATEST_TEMPLATE,
                "is_open": True,
                "deadline": datetime.date.today() + datetime.timedelta(days=30),
                "release_at": release_time_on(datetime.date.today() + datetime.timedelta(days=60)),
            },
        )
        if created:
            self.stdout.write(
                f"{open_year}: opened for reports, due {open_year.deadline}, "
                f"released {open_year.release_at:%Y-%m-%d %H:%M}."
            )

    def _national_team(self) -> Group:
        team, _ = Group.objects.get_or_create(name=NATIONAL_TEAM)
        team.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="reports",
                codename__in=[
                    "review_report",
                    "view_annualreport",
                    "view_area",
                    "change_area",
                    "view_reportingyear",
                    "add_reportingyear",
                    "change_reportingyear",
                    "view_areacoordinator",
                    "add_areacoordinator",
                    "delete_areacoordinator",
                    "view_figure",
                    "import_figures",
                    "view_publishedrevision",
                ],
            )
        )
        return team

    def _users(self) -> None:
        User = get_user_model()
        for spec in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=spec["username"],
                defaults={
                    "email": spec["username"],
                    "first_name": spec["first_name"],
                    "last_name": spec["last_name"],
                    "is_staff": spec.get("national", False),
                },
            )
            if created:
                user.set_password(spec["password"])
                user.save()
                self.stdout.write(f"Demo account {user.username} created.")
            if spec.get("national"):
                user.groups.add(self._national_team())
            for slug in spec.get("areas", []):
                AreaCoordinator.objects.get_or_create(user=user, area=Area.objects.get(slug=slug))

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
            # Demo data only: published revisions are otherwise never deleted.
            existing.revisions.all().delete()
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
        report.save(update_fields=["status"])
        publish_revision(report, None, at=timezone.now())
        self.stdout.write(self.style.SUCCESS(f"{report}: loaded and published."))
