"""Two people editing one draft: the later save is refused, explained, and nothing is lost."""

import threading

import pytest
from django.db import connection, connections

from reports import drafts
from reports.models import AnnualReport
from reports.returns import CellRef, CellValue
from tests.conftest import signed_in
from tests.factories import make_report, make_user, open_year

TABLE = "/manage/reports/2011-12/kent/tables/rso_breaches/"
INTRO = "/manage/reports/2011-12/kent/introduction/"


@pytest.fixture
def draft(db):
    return make_report("kent", year=open_year(2011), status=AnnualReport.Status.DRAFT)


@pytest.mark.django_db
def test_later_save_of_a_stale_page_is_refused_with_who_and_when(kent, draft):
    colleague = signed_in(
        make_user("sam@kent.example.gov.uk", areas=("kent",), first_name="Sam", last_name="Jones")
    )
    version = draft.version  # both people open the page now
    assert (
        colleague.post(TABLE, {"version": version, "cell__rsos__number": "21"}).status_code == 302
    )
    response = kent.post(TABLE, {"version": version, "cell__rsos__number": "23"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your changes have not been saved because Sam Jones changed this report on" in html
    assert 'value="23"' in html  # what Kim typed is still on screen
    assert draft.cell_values()[CellRef("rso_breaches", "rsos", "number")] == CellValue.of(21)
    # Having been told, Kim can save deliberately from the page she now sees.
    fresh_version = AnnualReport.objects.get(pk=draft.pk).version
    assert f'name="version" value="{fresh_version}"' in html
    assert (
        kent.post(TABLE, {"version": fresh_version, "cell__rsos__number": "23"}).status_code == 302
    )
    assert draft.cell_values()[CellRef("rso_breaches", "rsos", "number")] == CellValue.of(23)


@pytest.mark.django_db
def test_stale_text_save_is_refused_and_text_kept(kent, draft):
    other = signed_in(make_user("sam@kent.example.gov.uk", areas=("kent",)))
    other.post(INTRO, {"version": draft.version, "title": "", "text": "Sam's words."})
    response = kent.post(INTRO, {"version": draft.version, "title": "", "text": "Kim's words."})
    assert "sam@kent.example.gov.uk changed this report" in response.content.decode()
    assert "Kim&#x27;s words." in response.content.decode()
    draft.refresh_from_db()
    assert draft.foreword == "Sam's words."


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_of_the_same_version_cannot_both_win():
    """Two connections save at once from the same version: exactly one wins."""
    if connection.vendor != "postgresql":
        pytest.skip("row locking under real concurrency is PostgreSQL's; CI runs this there")
    draft = make_report("kent", year=open_year(2011), status=AnnualReport.Status.DRAFT)
    users = [make_user(f"user{n}@kent.example.gov.uk", areas=("kent",)) for n in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(user, words):
        try:
            report = AnnualReport.objects.select_related("year").get(pk=draft.pk)
            barrier.wait(timeout=10)
            drafts.save_fields(report, user, 1, foreword=words)
            outcomes.append("saved")
        except drafts.EditConflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=save, args=(user, f"Words of {user.username}")) for user in users
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "saved"]
    draft.refresh_from_db()
    assert draft.version == 2
    assert draft.foreword in {f"Words of {user.username}" for user in users}


@pytest.mark.django_db
def test_signatories_conflict_can_be_resolved_by_saving_again(kent, draft):
    other = signed_in(make_user("sam@kent.example.gov.uk", areas=("kent",)))
    url = "/manage/reports/2011-12/kent/signatories/"
    form = {
        "signatories-TOTAL_FORMS": "1",
        "signatories-INITIAL_FORMS": "0",
        "signatories-0-name": "Alan Pughsley",
        "signatories-0-job_title": "Chief Constable",
        "signatories-0-section": "foreword",
    }
    other.post(INTRO, {"version": draft.version, "title": "", "text": "Sam's words."})
    response = kent.post(url, {**form, "report-version": draft.version})
    assert "changed this report" in response.content.decode()
    fresh = AnnualReport.objects.get(pk=draft.pk).version
    assert f'name="report-version" value="{fresh}"' in response.content.decode()
    assert kent.post(url, {**form, "report-version": fresh}).status_code == 302


@pytest.mark.django_db
def test_an_import_takes_the_version_so_a_stale_page_cannot_overwrite_it(kent, draft, tmp_path):
    from django.core.management import call_command

    page_version = draft.version  # Kim opens the table
    path = tmp_path / "figures.csv"
    path.write_text("year,area,table,row,column,value\n2011-12,kent,rso_breaches,rsos,number,999\n")
    call_command("import_figures", str(path), verbosity=0)
    response = kent.post(TABLE, {"version": page_version, "cell__rsos__number": "5"})
    assert "Your changes have not been saved" in response.content.decode()
    assert draft.cell_values()[CellRef("rso_breaches", "rsos", "number")] == CellValue.of(999)
