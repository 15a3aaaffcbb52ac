"""The newcomer's journey on this year's return: 2025-26, with Category 4 and SHPOs."""

import csv
import datetime
import io

import pytest
from django.test import Client
from django.utils import timezone

from reports.models import AnnualReport, ReportingYear
from reports.workflow import readiness, release_due, set_release_time
from tests.factories import consistent_figures

pytestmark = pytest.mark.django_db
REPORT = "/manage/reports/2025-26/kent"


def version() -> int:
    return AnnualReport.objects.get(area__slug="kent", year__start_year=2025).version


def test_kent_enters_submits_and_publishes_the_2025_26_return(full_demo, kent, national, client):
    year = ReportingYear.objects.by_label("2025-26")
    template = year.template
    assert template.key == "2023-24"
    dashboard = kent.get("/manage/").content.decode()
    assert f'href="{REPORT}/start/"' in dashboard
    kent.post(f"{REPORT}/start/", {"copy_previous": "yes"})
    overview = kent.get(f"{REPORT}/").content.decode()
    for title in ("Restrictive orders", "Notification requirements following breach of an SRO",
                  "Lifetime notification revoked on application"):  # fmt: skip
        assert title in overview

    grid = kent.get(f"{REPORT}/tables/eligible_offenders/").content.decode()
    assert "Category 4: Terrorist or terrorism-risk offenders" in grid
    assert (
        kent.get(f"{REPORT}/tables/restrictive_orders/")
        .content.decode()
        .count("SHPOs with foreign travel restriction")
    )
    figures = consistent_figures(template, seed=5)
    for table in template.tables:
        data = {
            f"cell__{ref.row}__{ref.column}": value.text(template.decimals(ref))
            for ref, value in figures.items()
            if ref.table == table.key
        }
        response = kent.post(f"{REPORT}/tables/{table.key}/", {"version": version(), **data})
        assert response.status_code == 302, table.key
    for section in ("introduction", "local-page"):
        kent.post(f"{REPORT}/{section}/", {"version": version(), "text": "Kent in 2025-26."})
    # Figures far from Kent's last published year (2010-11) are each explained first.
    report = AnnualReport.objects.get(area__slug="kent", year=year)
    flagged = readiness(report).unexplained
    assert flagged
    for item in flagged:
        cell, rule = item.warning.cell, item.warning.rule.value
        explain = f"{REPORT}/check/{cell}/{rule}/"
        assert f'href="{explain}"' in kent.get(f"{REPORT}/check/").content.decode()
        kent.post(explain, {"version": version(), "explanation": "A new return."})
    check = kent.post(f"{REPORT}/check/", {"version": version()})
    assert check.status_code == 302
    report.refresh_from_db()
    assert report.status == AnnualReport.Status.SUBMITTED
    assert report.cell_values() == {
        **figures,
        **{ref: v for ref, v in report.cell_values().items() if v.status == "z"},
    }

    for action in ("approve", "publish"):
        # Each confirmed on its own page first (the page's button posts "confirm").
        response = national.post(
            f"{REPORT}/actions/{action}/", {f"{action}-version": version(), "confirm": "yes"}
        )
        assert response.status_code == 302, action
    # Published, but nothing is public before the announced release time.
    assert client.get("/reports/2025-26/kent/").status_code == 404
    # The release time comes (moved to now, as the national team might, for the test).
    set_release_time(year, timezone.now() - datetime.timedelta(minutes=1))
    release_due()
    page = Client().get("/reports/2025-26/kent/").content.decode()
    assert "Category 4: Terrorist or terrorism-risk offenders" in page
    assert "SHPOs, SHPOs with foreign travel restriction &amp; NOs imposed by the courts" in page
    assert "reflect the picture on 31 March 2026" in page  # the year's own standard text
    assert "Category 4</strong> – terrorist" in page
    national_page = Client().get("/reports/2025-26/").content.decode()
    assert "1 of 42 areas published." in national_page
    area = Client().get("/areas/kent/").content.decode()
    assert 'href="/reports/2025-26/kent/"' in area
    # Kent's full-return series cross the SHPO and Category 4 changes: the break is marked.
    assert 'data-series="returns_to_custody" data-year="2025-26">' in area
    assert "2025-26 is not comparable with the years before it" in area
    response = Client().get("/reports/2025-26/kent/figures.csv")
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert len(rows) == len(list(template.cells()))
    assert {r["marker"] for r in rows if r["table"] == "eligible_offenders"} == {""}
