"""Faults: a failed save leaves the report as it was; concurrent moves cannot both win."""

import threading

import pytest
from django.db import DatabaseError, connection, connections

from reports import drafts, figures, workflow
from reports.models import AnnualReport, ReportEvent
from reports.returns import CellRef, CellValue
from tests.factories import make_report, make_user, open_year


@pytest.mark.django_db
def test_a_database_error_during_a_save_leaves_the_previous_state_intact(kent, monkeypatch):
    report = make_report("kent", year=open_year(2011), status=AnnualReport.Status.DRAFT)
    before = (report.version, report.cell_values(), report.foreword)
    real_update = figures.update_figures

    def fails_halfway(report, changes):
        real_update(report, dict(list(changes.items())[:1]))  # one cell written…
        raise DatabaseError("the connection was lost")  # …then the database fails

    monkeypatch.setattr(drafts, "update_figures", fails_halfway)
    user = make_user("kim2@kent.example.gov.uk", areas=("kent",))
    changes = {
        CellRef("eligible_offenders", "level_1", "category_1"): CellValue.of(1),
        CellRef("eligible_offenders", "level_1", "category_2"): CellValue.of(2),
    }
    with pytest.raises(DatabaseError):
        drafts.save_table(report, user, report.version, changes, population_source="New")
    fresh = AnnualReport.objects.get(pk=report.pk)
    assert (fresh.version, fresh.cell_values(), fresh.foreword) == before
    assert fresh.population_source != "New"


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_of_the_same_report_cannot_both_win():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL's row locks; CI runs this there")
    report = make_report("kent", year=open_year(2011), status=AnnualReport.Status.SUBMITTED)
    admins = [make_user(f"admin{n}@justice.example.gov.uk", national=True) for n in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(user, action):
        try:
            stale = AnnualReport.objects.select_related("year", "area").get(pk=report.pk)
            barrier.wait(timeout=10)
            workflow.perform(stale, action, user, stale.version, comment="Racing.")
            outcomes.append(action)
        except (workflow.TransitionRefused, drafts.EditConflict):
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=(admins[0], "approve")),
        threading.Thread(target=act, args=(admins[1], "return")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes.count("refused") == 1
    report.refresh_from_db()
    assert ReportEvent.objects.filter(report=report).count() == 1
    assert report.status in {AnnualReport.Status.APPROVED, AnnualReport.Status.RETURNED}
