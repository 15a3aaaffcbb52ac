"""Migrations that change what is recorded keep what was there before them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE, AFTER = ("reports", "0007_accounts"), ("reports", "0008_returns")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.fixture
def at_0007():
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("reports")[0])


def test_a_report_returned_before_pointers_keeps_its_cells_to_look_at(at_0007):
    apps = at_0007
    area = apps.get_model("reports", "Area").objects.create(
        name="Testshire", slug="testshire", nation="england"
    )
    year = apps.get_model("reports", "ReportingYear").objects.create(
        start_year=2010, return_template="2010-11"
    )
    report = apps.get_model("reports", "AnnualReport").objects.create(
        area=area, year=year, status="returned"
    )
    apps.get_model("reports", "Figure").objects.create(
        report=report, table="rso_breaches", row="rsos", column="number", status="value", value=14
    )
    event = apps.get_model("reports", "ReportEvent").objects.create(
        report=report,
        action="return",
        from_status="submitted",
        to_status="returned",
        comment="The breaches look low.",
        cells=["rso_breaches.rsos.number", "no.such.cell"],
        at=timezone.now(),
    )

    apps = migrate(AFTER)

    [pointer] = apps.get_model("reports", "ReturnPointer").objects.all()
    assert (pointer.event_id, pointer.report_id) == (event.pk, report.pk)
    assert (pointer.section, pointer.cell) == ("rso_breaches", "rso_breaches.rsos.number")
    assert (pointer.comment, pointer.was) == ("The breaches look low.", "14")
