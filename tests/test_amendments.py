"""Amendment discipline: a correction says publicly what changed and why, and every earlier
version's figures stay available, listed as superseded."""

import datetime
import json
import re

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from reports import workflow
from reports.models import AnnualReport, PublishedRevision
from tests.factories import make_report, open_year, reopen_and_approve

pytestmark = pytest.mark.django_db
Status = AnnualReport.Status
KENT = "/reports/2011-12/kent/"
PUBLISH = "/manage/reports/2011-12/kent/actions/publish/"


@pytest.fixture
def corrected(national_admin):
    """Kent 2011-12, published the day before, reopened for a correction and approved again."""
    year = open_year(2011, release_at=timezone.now() - datetime.timedelta(days=2))
    report = make_report("kent", year=year, published_at=timezone.now() - datetime.timedelta(1))
    return reopen_and_approve(report, national_admin, "Level 1 total corrected.")


def publish(client, report, **fields):
    data = {"publish-version": report.version, "confirm": "yes", **fields}
    return client.post(PUBLISH, data)


def test_publishing_a_correction_asks_for_its_note_starting_from_the_reopen_reason(
    national, corrected
):
    page = national.post(PUBLISH, {"publish-version": corrected.version}).content.decode()
    assert "Public note: what changed and why" in page
    assert ">\nLevel 1 total corrected.</textarea>" in page
    assert "Email subscribers about this correction?" in page
    assert corrected.revisions.count() == 1


def test_correction_without_a_note_is_refused(national, corrected):
    response = publish(
        national, corrected, **{"publish-note": "  ", "publish-tell_subscribers": "no"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Enter a public note saying what changed in the correction and why." in page
    corrected.refresh_from_db()
    assert corrected.status == Status.APPROVED
    assert corrected.revisions.count() == 1


def test_correction_without_a_choice_about_subscribers_is_refused(national, corrected):
    page = publish(national, corrected, **{"publish-note": "Fixed."}).content.decode()
    assert "Choose whether to email subscribers about this correction." in page
    assert corrected.revisions.count() == 1


def test_the_workflow_refuses_a_correction_with_a_blank_note(national_admin, corrected):
    with pytest.raises(workflow.TransitionRefused, match="Enter a public note"):
        workflow.perform(corrected, "publish", national_admin, corrected.version, note="\n ")
    assert corrected.revisions.count() == 1


def test_the_database_refuses_a_correction_without_a_note(corrected):
    first = corrected.revisions.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PublishedRevision.objects.create(
            report=corrected, number=2, published_at=first.published_at, reason=""
        )


def test_the_note_written_at_publication_is_shown_on_the_report_and_year_pages(
    client, national, corrected
):
    note = "The Level 1 total was 21 and is 12: a typing error."
    response = publish(
        national, corrected, **{"publish-note": note, "publish-tell_subscribers": "no"}
    )
    assert response.status_code == 302
    revision = corrected.revisions.get(number=2)
    assert revision.reason == note and not revision.tell_subscribers
    today = timezone.localdate()
    report_page = client.get(KENT).content.decode()
    assert f"Revised on {today.day} {today:%B %Y}: {note}" in report_page
    year_page = client.get("/reports/2011-12/").content.decode()
    assert 'id="versions"' in year_page
    assert "Kent, revision 2" in year_page and note in year_page
    assert "Kent, revision 1" in year_page and "First publication." in year_page


def test_superseded_downloads_are_still_served_at_their_stable_addresses(
    client, national, corrected
):
    before_csv = client.get(f"{KENT}figures.csv").getvalue().decode()
    before_json = json.loads(client.get(f"{KENT}figures.json").getvalue())
    publish(national, corrected, **{"publish-note": "Fixed.", "publish-tell_subscribers": "no"})

    first_csv = client.get(f"{KENT}revisions/1/figures.csv")
    assert first_csv.status_code == 200
    assert first_csv["Content-Disposition"] == (
        'attachment; filename="mappa-2011-12-kent-revision-1.csv"'
    )
    assert first_csv.getvalue().decode() == before_csv
    assert json.loads(client.get(f"{KENT}revisions/1/figures.json").getvalue()) == before_json
    current = client.get(f"{KENT}figures.csv").getvalue().decode()
    assert current != before_csv and "[r]" in current
    assert client.get(f"{KENT}revisions/2/figures.csv").getvalue().decode() == current
    assert client.get(f"{KENT}revisions/3/figures.csv").status_code == 404


def test_superseded_versions_are_listed_with_the_date_and_reason(client, national, corrected):
    publish(
        national,
        corrected,
        **{"publish-note": "Breaches recounted.", "publish-tell_subscribers": "no"},
    )
    today = timezone.localdate()
    for page in (client.get(KENT), client.get("/reports/2011-12/")):
        text = page.content.decode()
        assert f"Superseded</strong> on {today.day} {today:%B %Y}: Breaches recounted." in text
        assert f"{KENT}revisions/1/figures.csv" in text
        assert f"{KENT}revisions/1/figures.json" in text
        assert f"{KENT}revisions/2/figures.csv" in text


def test_a_revision_waiting_for_the_release_has_no_download(client, national_admin):
    year = open_year(2011, release_at=timezone.now() + datetime.timedelta(days=3))
    report = make_report("kent", year=year, status=Status.APPROVED)
    workflow.perform(report, "publish", national_admin, report.version)
    assert client.get(f"{KENT}revisions/1/figures.csv").status_code == 404
    assert client.get(f"{KENT}revisions/1/figures.json").status_code == 404
    assert "Kent, revision 1" not in client.get("/reports/2011-12/").content.decode()


def test_the_years_files_as_at_each_publication_and_correction_stay_available(
    client, national, corrected
):
    before = client.get("/reports/2011-12/figures.csv").getvalue().decode()
    publish(national, corrected, **{"publish-note": "Recounted.", "publish-tell_subscribers": "no"})
    page = client.get("/reports/2011-12/").content.decode()
    stamps = re.findall(r"/reports/2011-12/editions/(\w+)/figures\.csv", page)
    assert len(stamps) == 2
    assert "Kent corrected (revision 2): Recounted." in page
    first, second = (
        client.get(f"/reports/2011-12/editions/{stamp}/figures.csv") for stamp in stamps
    )
    assert first.getvalue().decode() == before
    assert (
        second.getvalue().decode() == client.get("/reports/2011-12/figures.csv").getvalue().decode()
    )
    json_first = client.get(f"/reports/2011-12/editions/{stamps[0]}/figures.json")
    assert json_first.status_code == 200
    assert client.get("/reports/2011-12/editions/20990101T000000Z/figures.csv").status_code == 404
    assert client.get("/reports/2011-12/editions/nonsense/figures.json").status_code == 404


@pytest.fixture
def fixed_before_release(national_admin):
    """Kent 2011-12 scheduled for a release 10 days away, then reopened, fixed and approved."""
    release_at = timezone.now() + datetime.timedelta(days=10)
    year = open_year(2011, release_at=release_at)
    report = make_report("kent", year=year, published_at=release_at)
    return reopen_and_approve(report, national_admin, "INTERNAL: mistyped, see ticket 123.")


def test_a_report_fixed_before_its_release_replaces_its_waiting_revision(
    national_admin, fixed_before_release
):
    fixed = fixed_before_release.cell_values()
    workflow.perform(fixed_before_release, "publish", national_admin, fixed_before_release.version)
    [revision] = PublishedRevision.objects.filter(report=fixed_before_release)
    assert (revision.number, revision.reason) == (1, "")
    assert revision.cell_values() == fixed
    assert revision.published_at == fixed_before_release.year.release_at


def test_publishing_a_report_fixed_before_its_release_asks_for_no_note(
    national, fixed_before_release
):
    page = national.post(
        PUBLISH, {"publish-version": fixed_before_release.version}
    ).content.decode()
    assert "Public note" not in page
    assert "scheduled for release" in page


def test_the_release_timer_never_publishes_a_correction(corrected):
    workflow.release_due()
    corrected.refresh_from_db()
    assert corrected.status == Status.APPROVED
    assert corrected.revisions.count() == 1


def test_the_release_timer_publishes_a_fix_made_before_the_release_in_place_of_the_old(
    fixed_before_release,
):
    fixed = fixed_before_release.cell_values()
    # The release time comes (the waiting revision's own time is still the old release's).
    type(fixed_before_release.year).objects.filter(pk=fixed_before_release.year_id).update(
        release_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    workflow.release_due()
    [revision] = PublishedRevision.objects.filter(report=fixed_before_release)
    assert (revision.number, revision.reason) == (1, "")
    assert revision.cell_values() == fixed
    assert PublishedRevision.objects.public().filter(pk=revision.pk).exists()
