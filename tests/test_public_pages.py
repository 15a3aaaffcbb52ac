"""The public pages: published reports rendered as in the seeds, nothing else visible."""

import datetime
from html.parser import HTMLParser

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports import caching, public_state
from reports.models import AnnualReport
from tests.factories import make_report, make_year
from tests.seed_statistics import seed_figures

pytestmark = pytest.mark.django_db
URLS = {
    "kent": "/reports/2010-11/kent/",
    "cambridgeshire-and-peterborough": "/reports/2010-11/cambridgeshire-and-peterborough/",
}


class TableReader(HTMLParser):
    """Reads the statistics tables of a page: each table's cells and row headers as shown.

    A national figure's note ("34 of 42 areas") is read into `notes`, apart from the figure.
    """

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._in: str | None = None
        self._hidden = 0
        self._note: str | None = None
        self._text = ""
        self._open = False  # inside a statistics table (other tables are not read)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "app-statistics-table" in (attrs.get("class") or ""):
            self.tables.append({"cells": [], "row_headers": [], "caption": "", "notes": []})
            self._open = True
        elif tag == "span" and "app-cell-note" in (attrs.get("class") or ""):
            self._note = ""
        elif self._open and tag in ("td", "th", "caption"):
            self._in = "row_header" if attrs.get("scope") == "row" else tag
            self._text = ""
        elif tag == "span" and "govuk-visually-hidden" in (attrs.get("class") or ""):
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self._open = False
        elif tag == "span" and self._note is not None:
            self.tables[-1]["notes"].append(self._note.strip())
            self._note = None
        elif tag == "span" and self._hidden:
            self._hidden -= 1
        elif tag in ("td", "th", "caption") and self._in and self.tables:
            text = " ".join(self._text.split())
            table = self.tables[-1]
            if self._in == "td" and text:
                table["cells"].append(text)
            elif self._in == "row_header":
                table["row_headers"].append(text)
            elif self._in == "caption":
                table["caption"] = text
            self._in = None

    def handle_data(self, data):
        if self._note is not None:
            self._note += data
        elif self._in and not self._hidden:
            self._text += data


def read_tables(html: str) -> list[dict]:
    reader = TableReader()
    reader.feed(html)
    return reader.tables


@pytest.mark.parametrize("slug", sorted(URLS))
def test_report_page_shows_every_seed_figure_in_the_same_tables_and_order(client, demo, slug):
    response = client.get(URLS[slug])
    assert response.status_code == 200
    tables = read_tables(response.content.decode())
    # As the seed prints them: "1185", not "1,185".
    assert [t["cells"] for t in tables] == seed_figures(slug, as_printed=True)


@pytest.mark.parametrize("slug", sorted(URLS))
def test_report_tables_have_the_seed_titles_and_row_labels(client, demo, slug):
    tables = read_tables(client.get(URLS[slug]).content.decode())
    captions = [t["caption"] for t in tables]
    assert captions == [
        "MAPPA-eligible offenders on 31 March 2011",
        "MAPPA-eligible offenders in Levels 2 and 3 by category (yearly total)",
        "RSOs cautioned or convicted for breach of notification requirements",
        "Restrictive orders for Category 1 offenders SOPOs, NOs & FTOs imposed by the courts",
        "Level 2 and 3 offenders returned to custody for breach of licence or sent to custody "
        "for breach of SOPO",
        "Total number of Registered Sexual Offenders per 100,000 population",
    ]
    assert tables[0]["row_headers"] == ["Level 1", "Level 2", "Level 3", "Total"]
    assert tables[3]["row_headers"] == ["SOPOs", "NOs", "FTOs"]
    assert tables[4]["row_headers"] == ["Level 2", "Level 3", "Total"] * 2


def test_tables_are_accessible_with_captions_and_header_scopes(client, demo):
    html = client.get(URLS["kent"]).content.decode()
    assert html.count('<caption class="govuk-table__caption') == 6
    # Column headings on the tables of categories only: the printed one-column tables have none.
    assert html.count('scope="col"') == 4 + 4 + 4
    assert html.count('scope="rowgroup"') == 2
    # Not-applicable cells print "-" and tell screen readers what it means.
    assert html.count('<span class="govuk-visually-hidden">not applicable</span>') == 7


def test_kent_report_shows_its_text_sections(client, demo):
    response = client.get(URLS["kent"])
    for text in [
        "<title>Kent MAPPA annual report 2010-11 – MAPPA Portal</title>",
        "Kent MAPPA",
        "We are pleased to present our MAPPA Report for 2010/11.",
        "What is MAPPA?",
        "sections 325 to 327B of the Criminal Justice Act 2003",
        "Explanation commentary on statistical tables",
        "(94% this year)",
        "Kent MAPPA 2010/11",
        "We are currently seeking new volunteers for this vital role.",
        "excluding those aged less than ten years of age.",
        '<p class="app-strapline app-strapline--italic">Changing Lives<br>Reducing Crime</p>',
        '<p class="app-sign-off">Kent<br>Police</p>',
    ]:
        assert text in response.content.decode(), text


def test_cambridgeshire_report_shows_signatories_and_local_page(client, demo):
    html = client.get(URLS["cambridgeshire-and-peterborough"]).content.decode()
    for text in [
        "<strong>Simon Parr</strong><br>Chief Constable<br>Cambridgeshire Constabulary",
        "<strong>John Budd</strong><br>Chief Executive Officer<br>"
        "Cambridgeshire &amp; Peterborough<br>Probation Trust",
        "<strong>Adrian Smith</strong><br>Regional Manager<br>Custodial Services<br>"
        "The Prison Service",
        "<strong>Andrew Jarvis</strong><br>MAPPA Coordinator<br>Cambridgeshire and Peterborough",
        "please contact me on 0345 456 456 4 for a discussion.",
        '<p class="app-strapline">Creating a safer<br>Cambridgeshire</p>',
    ]:
        assert text in html, text
    # Every paragraph of the foreword is its own paragraph on the page.
    assert html.count("<p>") >= 5 + 10


def test_area_text_is_escaped_not_rendered_as_html(client):
    make_report("kent", foreword="<script>alert(1)</script>\n\nSecond")
    html = client.get(URLS["kent"]).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_home_lists_published_reports_by_year(client, demo):
    html = client.get("/").content.decode()
    assert "2 of 42 areas published." in html
    assert f'href="{URLS["kent"]}"' in html
    assert f'href="{URLS["cambridgeshire-and-peterborough"]}"' in html


def test_home_says_so_when_nothing_is_published(client, db):
    make_report("kent", status=AnnualReport.Status.APPROVED)
    response = client.get("/")
    assert "No reports have been published yet." in response.content.decode()
    assert "/reports/2010-11/kent/" not in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/reports/2010-11/atlantis/",
        "/reports/2031-32/kent/",
        "/reports/2010-12/kent/",
        "/reports/2010/kent/",
        "/reports/9999-00/kent/",
        "/no-such-page/",
    ],
)
def test_unknown_pages_get_the_govuk_not_found_page(client, demo, url):
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "govuk-header" in html


@pytest.mark.parametrize(
    "status",
    [
        AnnualReport.Status.DRAFT,
        AnnualReport.Status.SUBMITTED,
        AnnualReport.Status.RETURNED,
        AnnualReport.Status.APPROVED,
    ],
)
def test_unpublished_report_is_not_found_and_not_listed(client, db, status):
    report = make_report("kent", status=status, foreword="Unpublished words")
    response = client.get(report.get_absolute_url())
    assert response.status_code == 404
    assert "Unpublished words" not in response.content.decode()
    assert report.get_absolute_url() not in client.get("/").content.decode()


def test_report_before_its_publication_time_is_not_found(client, db):
    report = make_report("kent", published_at=timezone.now() + datetime.timedelta(minutes=5))
    assert client.get(report.get_absolute_url()).status_code == 404


def test_report_page_query_count_does_not_grow_with_data(client, db, settings):
    settings.PUBLIC_STATE_CHECK_SECONDS = 3600  # as a worker in production: checked each second
    report = make_report("kent", year=make_year(2010))

    def queries_for_report_page() -> int:
        caches["template_fragments"].clear()  # nothing kept: the page and its tables afresh
        caching.store.clear()
        public_state.watcher.forget()
        public_state.watcher.current()  # a worker knows the public state (it checks each second)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(report.get_absolute_url()).status_code == 200
        return len(queries)

    few = queries_for_report_page()
    for start in range(2005, 2010):
        year = make_year(start)
        for slug in ("kent", "essex", "london"):
            make_report(slug, year=year)
    # The revisions, the standard text, the figures, and the public state checked after.
    assert queries_for_report_page() == few <= 4


def test_template_comments_never_reach_the_page(client, demo):
    """Django's {# #} is one line only: a longer note must be a {% comment %} block."""
    page = client.get("/reports/2010-11/kent/").content.decode()
    assert "{#" not in page and "#}" not in page
