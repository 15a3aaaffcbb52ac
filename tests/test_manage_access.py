"""Access to the back office: each persona sees exactly what they should, by any URL."""

import pytest
from django.test import Client

from reports.models import AnnualReport
from tests.factories import make_report, open_year

pytestmark = pytest.mark.django_db

READ_PAGES = ["", "check/", "history/"]
EDIT_PAGES = [
    "introduction/",
    "local-page/",
    "signatories/",
    "tables/eligible_offenders/",
    "tables/rso_rate/",
]


@pytest.fixture
def kent_draft(db):
    return make_report("kent", year=open_year(2011), status=AnnualReport.Status.DRAFT)


def url(report, page=""):
    return f"/manage/reports/{report.year.label}/{report.area.slug}/{page}"


@pytest.mark.parametrize("page", READ_PAGES + EDIT_PAGES)
def test_anonymous_visitor_is_sent_to_sign_in(client, kent_draft, page):
    response = client.get(url(kent_draft, page))
    assert response.status_code == 302
    assert response["Location"].startswith("/account/sign-in/?next=")


def test_anonymous_visitor_cannot_see_the_dashboard(client):
    assert client.get("/manage/")["Location"].startswith("/account/sign-in/")


@pytest.mark.parametrize("page", READ_PAGES + EDIT_PAGES)
def test_coordinator_can_open_own_area_draft(kent, kent_draft, page):
    assert kent.get(url(kent_draft, page)).status_code == 200


@pytest.mark.parametrize("page", READ_PAGES + EDIT_PAGES)
def test_coordinator_cannot_open_other_area_draft(other, kent_draft, page):
    assert other.get(url(kent_draft, page)).status_code == 404


@pytest.mark.parametrize("page", [*EDIT_PAGES, "check/"])
def test_coordinator_cannot_change_other_area_draft(other, kent_draft, page):
    response = other.post(url(kent_draft, page), {"version": kent_draft.version})
    assert response.status_code == 404
    kent_draft.refresh_from_db()
    assert kent_draft.status == AnnualReport.Status.DRAFT
    assert kent_draft.version == 1


def test_coordinator_cannot_start_other_area_report(other, db):
    open_year(2011)
    assert other.post("/manage/reports/2011-12/kent/start/").status_code == 404
    assert not AnnualReport.objects.exists()


@pytest.mark.parametrize("page", READ_PAGES)
def test_national_admin_can_read_any_report(national, kent_draft, page):
    assert national.get(url(kent_draft, page)).status_code == 200


@pytest.mark.parametrize("page", EDIT_PAGES)
def test_national_admin_does_not_edit_coordinators_drafts(national, kent_draft, page):
    assert national.get(url(kent_draft, page)).status_code == 404


def test_national_admin_cannot_submit_for_a_coordinator(national, kent_draft):
    national.post(url(kent_draft, "check/"), {"version": kent_draft.version})
    kent_draft.refresh_from_db()
    assert kent_draft.status == AnnualReport.Status.DRAFT


def test_unknown_table_year_or_area_is_not_found(kent, kent_draft):
    assert kent.get(url(kent_draft, "tables/nope/")).status_code == 404
    assert kent.get("/manage/reports/2031-32/kent/").status_code == 404
    assert kent.get("/manage/reports/2011-12/atlantis/").status_code == 404
    assert kent.get("/manage/reports/2011-13/kent/").status_code == 404


@pytest.mark.parametrize("page", [*EDIT_PAGES, "check/"])
def test_state_changes_need_a_csrf_token(kent_coordinator, kent_draft, page):
    client = Client(enforce_csrf_checks=True)
    client.force_login(kent_coordinator)
    response = client.post(url(kent_draft, page), {"version": kent_draft.version})
    assert response.status_code == 403
    kent_draft.refresh_from_db()
    assert kent_draft.version == 1


def test_sign_out_is_post_only(kent):
    assert kent.get("/account/sign-out/").status_code == 405
    assert kent.post("/account/sign-out/")["Location"] == "/account/signed-out/"
    assert kent.get("/manage/").status_code == 302


def test_dashboard_lists_only_own_areas(kent, db):
    open_year(2011)
    make_report("essex", status=AnnualReport.Status.DRAFT, year=open_year(2011))
    html = kent.get("/manage/").content.decode()
    assert "Kent" in html
    assert "Essex" not in html


def test_dashboard_shows_status_deadline_and_next_step(kent, db):
    import datetime

    open_year(2011, deadline=datetime.date(2012, 6, 30))
    html = kent.get("/manage/").content.decode()
    assert "The 2011-12 collection is open." in html
    assert "30 June 2012" in html
    assert 'href="/manage/reports/2011-12/kent/start/"' in html
    assert "Not started" in html


def test_user_without_areas_is_told_what_to_do(db):
    from tests.conftest import signed_in
    from tests.factories import make_user

    client = signed_in(make_user("new@example.gov.uk"))
    assert "not linked to a MAPPA area yet" in client.get("/manage/").content.decode()
