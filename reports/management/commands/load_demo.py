"""Load the demo data: every reporting year since 2010-11 with its return template, the Kent
and the Cambridgeshire and Peterborough 2010-11 reports, real past publications of many areas,
and 2025-26 open for submissions."""

from __future__ import annotations

import datetime
import io
import tomllib
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from reports import public_state
from reports.areas import create_areas
from reports.figures import replace_figures
from reports.imports import (
    FigureImportError,
    check_parsed,
    group_by_report,
    parse_figures_csv,
)
from reports.models import (
    AnnualReport,
    Area,
    AreaCoordinator,
    ReportingYear,
    Signatory,
    StandardText,
    release_time_on,
)
from reports.workflow import publish_revision

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
#: Every year from the first seed report to the one open for submissions.
FIRST_YEAR, DEMO_OPEN_YEAR = "2010-11", "2025-26"
PAST_PUBLICATIONS = DEMO_DIR / "past-publications.csv"
STANDARD_TEXT = DEMO_DIR / "standard-text-2025-26.toml"
NATIONAL_TEAM = "National team"


class DemoUser(TypedDict):
    username: str
    password: str
    first_name: str
    last_name: str
    areas: NotRequired[list[str]]
    national: NotRequired[bool]


#: Development-only accounts; the passwords are in the README.
DEMO_USERS: list[DemoUser] = [
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
            "--without-past-publications",
            action="store_true",
            help="Leave out the real past publications of other areas (tests of the seeds).",
        )
        parser.add_argument(
            "--with-users",
            action="store_true",
            help="Create the demo accounts even when DEBUG is off (they are always created "
            "with DEBUG on).",
        )

    @transaction.atomic
    def handle(
        self,
        *args: Any,
        replace: bool = False,
        with_users: bool = False,
        without_past_publications: bool = False,
        **options: Any,
    ) -> None:
        # Many changes, one new public generation (public_state.py).
        with public_state.batch():
            create_areas(Area)
            self._national_team()
            if settings.DEBUG or with_users:
                self._users()
            self._years()
            figures: dict[tuple[str, str], Any] = {}
            for path in sorted(DEMO_DIR.glob("figures-*.csv")):
                try:
                    figures.update(group_by_report(parse_figures_csv(path.read_text("utf-8"))))
                except FigureImportError as error:
                    raise CommandError(f"{path.name}:\n" + "\n".join(error.problems)) from None
            for path in sorted(DEMO_DIR.glob("*-20??-??.toml")):
                if path != STANDARD_TEXT:
                    self._load_report(path, figures, replace=replace)
            if not without_past_publications:
                self._past_publications(replace=replace)
            self._standard_text()

    def _years(self) -> None:
        """Every year from 2010-11, each with its template; past ones released, 2025-26 open."""
        first = ReportingYear.start_year_from_label(FIRST_YEAR)
        open_start = ReportingYear.start_year_from_label(DEMO_OPEN_YEAR)
        assert first is not None and open_start is not None  # the labels above are well formed
        for start in range(first, open_start + 1):
            if start == open_start:
                defaults = {
                    "is_open": True,
                    "deadline": datetime.date.today() + datetime.timedelta(days=30),
                    "release_at": release_time_on(
                        datetime.date.today() + datetime.timedelta(days=60)
                    ),
                }
            else:
                # MoJ releases on the last Thursday of October after the year ends.
                defaults = {"release_at": release_time_on(_last_thursday_of_october(start + 1))}
            year, created = ReportingYear.objects.get_or_create(start_year=start, defaults=defaults)
            if created and year.is_open:
                self.stdout.write(
                    f"{year}: opened for reports ({year.return_template} return), due "
                    f"{year.deadline}, released {year.release_at:%Y-%m-%d %H:%M}."
                )

    def _past_publications(self, *, replace: bool) -> None:
        """Real figures areas published before the portal, loaded as the national team would."""
        loaded = AnnualReport.objects.filter(is_past_publication=True)
        if replace:
            for report in loaded:
                report.revisions.all().delete()  # demo data only
            loaded.delete()
        if loaded.exists():
            self.stdout.write("Past publications: already loaded, left as they are.")
            return
        call_command(
            "load_past_publications", str(PAST_PUBLICATIONS), verbosity=0, stdout=io.StringIO()
        )
        count = AnnualReport.objects.filter(is_past_publication=True).count()
        self.stdout.write(self.style.SUCCESS(f"Past publications: {count} loaded and published."))

    def _standard_text(self) -> None:
        """2025-26's standard text, written for its return (SHPOs, Category 4)."""
        year = ReportingYear.objects.by_label(DEMO_OPEN_YEAR)
        text = tomllib.loads(STANDARD_TEXT.read_text("utf-8"))
        StandardText.objects.get_or_create(
            year=year,
            defaults={
                "what_is_mappa": text["what_is_mappa"].strip(),
                "commentary": text["commentary"].strip(),
            },
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
                    "manage_accounts",
                    "view_figure",
                    "import_figures",
                    "view_publishedrevision",
                    "view_standardtext",
                    "add_standardtext",
                    "change_standardtext",
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
        area.strapline_in_italics = text.get("strapline_in_italics", False)
        area.sign_off = text.get("sign_off", "")
        area.save(update_fields=["strapline", "strapline_in_italics", "sign_off"])
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
        replace_figures(report, parsed.values)
        report.status = AnnualReport.Status.PUBLISHED
        report.save(update_fields=["status"])
        publish_revision(report, None, at=timezone.now())
        self.stdout.write(self.style.SUCCESS(f"{report}: loaded and published."))


def _last_thursday_of_october(year: int) -> datetime.date:
    day = datetime.date(year, 10, 31)
    return day - datetime.timedelta(days=(day.weekday() - 3) % 7)
