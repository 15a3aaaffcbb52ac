"""Every reporting year names its return template."""

import pytest
from django.core.exceptions import ValidationError

from reports.models import ReportingYear
from tests.factories import make_report, make_year

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("start", "template"),
    [(2010, "2010-11"), (2011, "2010-11"), (2014, "2012-13"), (2015, "2015-16"),
     (2022, "2016-17"), (2023, "2023-24"), (2025, "2023-24"), (2040, "2023-24")],
)  # fmt: skip
def test_a_new_year_takes_the_template_in_force_unless_told_otherwise(start, template):
    assert ReportingYear.objects.create(start_year=start).return_template == template


def test_a_years_template_cannot_change_once_it_has_reports(db):
    year = make_year(2016)
    make_report("kent", year=year)
    year.return_template = "2023-24"
    with pytest.raises(ValidationError, match="already has reports, whose figures are cells"):
        year.full_clean()
    empty = make_year(2017)
    empty.return_template = "2023-24"
    empty.full_clean()  # no reports yet: the national team may still choose


def test_the_admin_refuses_the_change_with_the_reason(db):
    from django.contrib.auth import get_user_model
    from django.test import Client

    admin = get_user_model().objects.create_superuser("root@example.gov.uk", password="x")
    client = Client()
    client.force_login(admin)
    year = make_year(2016)
    make_report("kent", year=year)
    response = client.post(
        f"/admin/reports/reportingyear/{year.pk}/change/",
        {"start_year": "2016", "return_template": "2023-24", "release_time": "09:30"},
    )
    assert response.status_code == 200
    assert "its template cannot change now" in response.content.decode()
    year.refresh_from_db()
    assert year.return_template == "2016-17"


def test_a_year_whose_template_file_is_gone_stops_migrate_and_check(db):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    ReportingYear.objects.create(start_year=2030, return_template="retired-2030")
    with pytest.raises(SystemCheckError) as stopped:
        call_command("check", databases=["default"])
    assert "reports.E002" in str(stopped.value)
    assert "uses the return template “retired-2030”, which has no file" in str(stopped.value)


def test_a_blank_template_cannot_switch_a_year_that_has_reports(db):
    year = make_year(2023, template="2016-17")
    make_report("kent", year=year)
    year.return_template = ""  # would become the template in force, 2023-24
    with pytest.raises(ValidationError, match="its template cannot change now"):
        year.full_clean()
