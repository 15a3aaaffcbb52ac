"""Factories: reports with complete, consistent figures, built through the public write path."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from reports.areas import create_areas
from reports.figures import replace_figures as save_figures
from reports.models import AnnualReport, Area, ReportingYear, Signatory
from reports.returns import CellRef, CellValue, ReturnTemplate, get_template
from reports.workflow import publish_revision

_counter = itertools.count(1)
#: The first return template, the seed reports'.
RETURN_2010_11 = get_template("2010-11")


def get_area(slug: str) -> Area:
    """An area by slug; the 42 areas are recreated if a transactional test flushed them."""
    area = Area.objects.filter(slug=slug).first()
    if area is None:
        create_areas(Area)
        area = Area.objects.get(slug=slug)
    return area


def make_year(start_year: int = 2010, template: str = "") -> ReportingYear:
    """The year starting `start_year`, with `template` or else the one in force that year."""
    year, _ = ReportingYear.objects.get_or_create(
        start_year=start_year, defaults={"return_template": template}
    )
    return year


def _number(value: CellValue) -> Decimal:
    """The number in a cell that holds one, as every cell these factories fill in does."""
    assert value.value is not None
    return value.value


def consistent_figures(
    template: ReturnTemplate, seed: int = 1, overrides: dict[CellRef, int] | None = None
) -> dict[CellRef, CellValue]:
    """A complete set of figures whose totals all add up, with `overrides` for some of the
    figures that are not totals (the totals follow them)."""
    values: dict[CellRef, CellValue] = {}
    totals = {rule.total for rule in template.sum_rules()}
    for n, ref in enumerate(template.applicable_cells()):
        if ref not in totals:
            values[ref] = CellValue.of((seed * 7 + n * 3) % 50)
    for ref, figure in (overrides or {}).items():
        assert ref not in totals, f"{ref} is a total: override its parts"
        values[ref] = CellValue.of(figure)
    # Yearly counts at least the 31 March ones, returns to custody at most the yearly counts.
    changed = True
    while changed:
        changed = False
        for rule in template.at_most_rules:
            if _number(values[rule.smaller]) > _number(values[rule.larger]):
                values[rule.larger] = values[rule.smaller]
                changed = True
    # The rate fits no population check here; give it a value at its declared precision.
    if template.rate_rule is not None and template.rate_rule.rate not in (overrides or {}):
        rate = template.rate_rule.rate
        places = template.decimals(rate)
        values[rate] = CellValue.of(_number(values[rate]) + (Decimal("0.5") if places else 0))
    # A total can be filled in once all its parts are: row totals, column totals, grand totals.
    pending = template.sum_rules()
    while pending:
        ready = [r for r in pending if all(p in values for p in r.parts)]
        assert ready, "the template's totals depend on each other in a cycle"
        for sum_rule in ready:
            values[sum_rule.total] = CellValue.of(sum(_number(values[p]) for p in sum_rule.parts))
            pending.remove(sum_rule)
    return values


def make_report(
    area: str | Area = "kent",
    year: ReportingYear | None = None,
    status: str = AnnualReport.Status.PUBLISHED,
    figures: dict[CellRef, CellValue] | None = None,
    published_at: datetime.datetime | None = None,
    **fields: Any,
) -> AnnualReport:
    """A report with complete figures and one signatory, in the given status."""
    area = area if isinstance(area, Area) else get_area(area)
    year = year or make_year()
    n = next(_counter)
    report = AnnualReport.objects.create(
        area=area,
        year=year,
        foreword=fields.pop("foreword", f"Foreword number {n}.\n\nSecond paragraph."),
        local_narrative=fields.pop("local_narrative", f"Local narrative number {n}."),
        **fields,
    )
    Signatory.objects.create(
        report=report, name=f"Signatory {n}", job_title="Chief Constable", organisation="Police"
    )
    save_figures(report, figures if figures is not None else consistent_figures(year.template, n))
    report.status = status
    report.save()
    if status == AnnualReport.Status.PUBLISHED:
        publish_revision(report, None, at=published_at or timezone.now())
    return report


def make_user(
    username: str, *, areas: tuple[str, ...] = (), national: bool = False, **fields: object
):
    """A user coordinating `areas`, or in the national team (who review reports and manage
    accounts)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from reports.models import AreaCoordinator

    user = get_user_model().objects.create_user(
        username=username, email=username, password="correct horse battery staple", **fields
    )
    for slug in areas:
        AreaCoordinator.objects.create(user=user, area=get_area(slug))
    if national:
        user.user_permissions.add(
            *Permission.objects.filter(codename__in=["review_report", "manage_accounts"])
        )
    return user


def open_year(start_year: int = 2010, **fields: object) -> ReportingYear:
    """A reporting year open for submissions."""
    year = make_year(start_year)
    year.is_open = True
    for name, value in fields.items():
        setattr(year, name, value)
    year.save()
    return year


def declared_size_workbook(dimension: str = "A1:XFD1048576", year: str = "2010-11") -> bytes:
    """A valid two-row workbook whose sheet declares `dimension`: by default every cell of a
    sheet, as the workbook that exhausted a worker did (issue 14). About 5 KB."""
    import io
    import re
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.worksheets[0]
    sheet.append(["year", "area", "table", "row", "column", "value"])
    sheet.append([year, "kent", "restrictive_orders", "sopos", "number", 146])
    buffer = io.BytesIO()
    book.save(buffer)
    source, target = zipfile.ZipFile(buffer), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                declared = f'<dimension ref="{dimension}"/>'.encode()
                data = re.sub(rb'<dimension ref="[^"]*" ?/>', declared, data)
            out.writestr(item, data)
    return target.getvalue()


def reopen_and_approve(report: AnnualReport, admin: Any, reason: str) -> AnnualReport:
    """A published report reopened for a correction with `reason`, one figure changed (its
    first cell plus 1) and approved again: ready for the correction's publication."""
    from reports import workflow

    workflow.perform(report, "reopen", admin, report.version, reason)
    values = report.cell_values()
    ref = next(ref for ref, value in values.items() if value.is_number)
    values[ref] = CellValue.of((values[ref].value or 0) + 1)
    save_figures(report, values)
    AnnualReport.objects.filter(pk=report.pk).update(status=AnnualReport.Status.APPROVED)
    report.refresh_from_db()
    return report


def make_subscription(
    email: str, *, year: ReportingYear | None = None, area: Area | None = None, confirmed=True
):
    """A subscription to a year's release or an area's reports, confirmed unless told not."""
    from reports.models import Subscription

    return Subscription.objects.create(
        email=email, year=year, area=area, confirmed_at=timezone.now() if confirmed else None
    )


class ShiftedClock:
    """The service's clock, moved by a test to any moment, then running on from there."""

    def __init__(self) -> None:
        self._real = timezone.now
        self.offset = datetime.timedelta(0)

    def __call__(self) -> datetime.datetime:
        return self._real() + self.offset

    def move_to(self, moment: datetime.datetime) -> None:
        """From now on the clock reads `moment`, and runs on from it."""
        self.offset = moment - self._real()
