"""The Atom feed of releases and corrections, for anyone, without an account."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from reports import workflow
from reports.models import AnnualReport
from tests.factories import make_report, open_year, reopen_and_approve

pytestmark = pytest.mark.django_db
Status = AnnualReport.Status
ATOM = "{http://www.w3.org/2005/Atom}"
FEED = "/releases.atom"


def feed(client):
    response = client.get(FEED)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314  # our own feed, parsed to check it
    assert root.tag == f"{ATOM}feed"
    return root


def entries(root):
    found = []
    for entry in root.findall(f"{ATOM}entry"):
        found.append(
            {
                "id": entry.findtext(f"{ATOM}id"),
                "title": entry.findtext(f"{ATOM}title"),
                "updated": entry.findtext(f"{ATOM}updated"),
                "link": entry.find(f"{ATOM}link").get("href"),
                "summary": entry.findtext(f"{ATOM}summary"),
            }
        )
    return found


def test_the_feed_lists_releases_and_corrections_as_valid_atom(client, national_admin):
    year = open_year(2011)
    workflow.set_release_time(year, timezone.now() - datetime.timedelta(minutes=1))
    report = make_report("kent", year=year, status=Status.APPROVED)
    workflow.release_due()
    assert len(entries(feed(client))) == 3  # kept until what the public sees changes
    report.refresh_from_db()
    reopen_and_approve(report, national_admin, "Level 1 total corrected.")
    workflow.perform(report, "publish", national_admin, report.version)

    root = feed(client)
    assert root.findtext(f"{ATOM}title") == "MAPPA annual reports: releases and corrections"
    assert root.findtext(f"{ATOM}id").endswith("/releases.atom")
    updated = datetime.datetime.fromisoformat(root.findtext(f"{ATOM}updated"))
    assert updated.tzinfo is not None
    found = entries(root)
    titles = [e["title"] for e in found]
    assert sorted(titles) == [
        "Corrected: Kent MAPPA annual report 2011-12",
        "Published: Kent MAPPA annual report 2011-12",
        "Release confirmed: MAPPA annual reports 2011-12",
        "Released: MAPPA annual reports 2011-12",
    ]
    updates = [datetime.datetime.fromisoformat(e["updated"]) for e in found]
    assert updates == sorted(updates, reverse=True)  # the latest first
    assert titles[0] == "Corrected: Kent MAPPA annual report 2011-12"
    for entry in found:
        assert entry["id"].startswith("tag:")
        assert datetime.datetime.fromisoformat(entry["updated"]) <= timezone.now()
        assert entry["link"].startswith("http://testserver/")
    assert len({e["id"] for e in found}) == len(found)
    correction = found[0]
    assert correction["link"] == "http://testserver/reports/2011-12/kent/"
    assert "What changed and why: Level 1 total corrected." in correction["summary"]


def test_the_feed_shows_nothing_before_it_is_public(client, national_admin):
    year = open_year(2011, release_at=timezone.now() + datetime.timedelta(days=1))
    report = make_report("kent", year=year, status=Status.APPROVED)
    workflow.perform(report, "publish", national_admin, report.version)
    workflow.release_due()
    root = feed(client)
    assert root.findtext(f"{ATOM}title")
    assert root.findtext(f"{ATOM}updated")
    assert entries(root) == []


@pytest.mark.parametrize("path", ["/releases/", "/reports/2011-12/", "/areas/kent/"])
def test_the_calendar_year_and_area_pages_link_to_the_feed(client, path):
    make_report("kent", year=open_year(2011, release_at=timezone.now()))
    page = client.get(path).content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" '
        'title="MAPPA annual reports: releases and corrections" href="/releases.atom">'
    ) in page
