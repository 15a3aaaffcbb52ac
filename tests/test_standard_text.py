"""Each year's standard text: written by the national team, dated by its own year."""

import re

import pytest

from reports.models import StandardText
from tests.factories import make_report, make_year

pytestmark = pytest.mark.django_db


def test_a_year_without_its_own_text_shows_the_earlier_text_with_its_own_dates(client):
    report = make_report("kent", year=make_year(2011))
    html = client.get(report.get_absolute_url()).content.decode()
    assert "reflect the picture on 31 March 2012" in html
    assert "the period 1 April 2011 to 31 March 2012" in html
    assert "31 March 2011" not in html
    assert "sections 325 to 327B of the Criminal Justice Act 2003" in html


def test_national_team_writes_a_years_text_starting_from_the_previous_years(national):
    earlier = make_year(2014)
    StandardText.objects.create(
        year=earlier, what_is_mappa="Text of {year}.", commentary="Snapshot on {period_end}."
    )
    year = make_year(2015)
    page = national.get("/manage/standard-text/2015-16/").content.decode()
    assert "has no text of its own yet: this is 2014-15" in page
    assert "Text of {year}." in page  # the form starts from the earlier year's words
    response = national.post(
        "/manage/standard-text/2015-16/",
        {"what_is_mappa": "SHPOs replaced SOPOs in {year}.", "commentary": "On {period_end}."},
    )
    assert response.status_code == 302
    text = StandardText.objects.get(year=year)
    assert text.updated_by.username == "nat@justice.example.gov.uk"
    assert text.history.count() == 1
    assert text.history.first().history_user.username == "nat@justice.example.gov.uk"
    report = make_report("kent", year=year)
    html = client_html(report)
    assert "SHPOs replaced SOPOs in 2015-16." in html
    assert "On 31 March 2016." in html
    # The earlier year keeps its own text.
    assert StandardText.objects.get(year=earlier).what_is_mappa == "Text of {year}."


def client_html(report) -> str:
    from django.test import Client

    return Client().get(report.get_absolute_url()).content.decode()


def based_on(client, url: str) -> str:
    """The hidden stamp of the text as the page was opened."""
    import re

    found = re.search(r'name="based_on" value="([^"]*)"', client.get(url).content.decode())
    assert found is not None
    return found[1]


def test_saving_unchanged_text_records_no_change(national):
    year = make_year(2016)
    StandardText.objects.create(year=year, what_is_mappa="Line one.\n\nTwo.", commentary="C.")
    url = "/manage/standard-text/2016-17/"
    # Browsers send Windows line endings: the same words are not a change.
    response = national.post(
        url,
        {"what_is_mappa": "Line one.\r\n\r\nTwo.", "commentary": "C.",
         "based_on": based_on(national, url)},
        follow=True,
    )  # fmt: skip
    assert "Nothing had changed" in response.content.decode()
    assert StandardText.objects.get(year=year).history.count() == 1


def test_an_unknown_placeholder_is_refused_and_nothing_is_saved(national):
    make_year(2017)
    response = national.post(
        "/manage/standard-text/2017-18/",
        {"what_is_mappa": "Published on {release_date}.", "commentary": "Fine."},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "{release_date} is not a date this page can fill in" in html
    assert "There is a problem" in html
    assert not StandardText.objects.exists()


def test_text_is_markdown_and_raw_html_is_never_rendered(national):
    year = make_year(2018)
    national.post(
        "/manage/standard-text/2018-19/",
        {
            "what_is_mappa": "### Heading\n\n**(a) Bold** – text <script>alert(1)</script>",
            "commentary": "- a bullet\n\n[link](javascript:alert(1))",
        },
    )
    html = client_html(make_report("kent", year=year))
    assert '<h3 class="govuk-heading-m">Heading</h3>' in html
    assert "<strong>(a) Bold</strong> – text &lt;script&gt;" in html
    assert '<ul class="govuk-list govuk-list--bullet govuk-list--spaced">' in html
    assert 'href="javascript' not in html


def test_coordinators_cannot_see_or_change_standard_text(kent):
    make_year(2019)
    assert kent.get("/manage/standard-text/").status_code == 404
    assert kent.post("/manage/standard-text/2019-20/", {"what_is_mappa": "x"}).status_code == 404
    assert not StandardText.objects.exists()


def test_list_says_which_years_have_their_own_text(national):
    make_year(2010)
    year = make_year(2011)
    StandardText.objects.create(year=year, what_is_mappa="W.", commentary="C.")
    make_year(2012)
    html = national.get("/manage/standard-text/").content.decode()
    assert "2011-12's text" in html  # what 2012-13 shows
    assert "The 2010-11 text the service started with" in html
    assert "Its own, last changed" in html


def test_a_new_wording_is_never_answered_304_with_the_old_page(national):
    from django.test import Client

    report = make_report("kent", year=make_year(2020))
    public = Client()
    etag = public.get(report.get_absolute_url())["ETag"]
    national.post(
        "/manage/standard-text/2020-21/", {"what_is_mappa": "New words.", "commentary": "C."}
    )
    response = public.get(report.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "New words." in response.content.decode()


def test_a_save_based_on_an_older_text_is_refused_and_nothing_is_lost(national, national_admin):
    year = make_year(2021)
    url = "/manage/standard-text/2021-22/"
    StandardText.objects.create(year=year, what_is_mappa="First.", commentary="C.")
    stamp = based_on(national, url)
    # Someone else saves in between.
    from reports.models import StandardText as Text

    other = Text.objects.get(year=year)
    other.what_is_mappa, other.updated_by = "Their words.", national_admin
    other.save()
    response = national.post(
        url, {"what_is_mappa": "My words.", "commentary": "C.", "based_on": stamp}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your changes have not been saved because" in html
    assert "My words." in html  # what the person wrote is kept in the form
    assert Text.objects.get(year=year).what_is_mappa == "Their words."
    # Told, they may save again deliberately.
    again = re.search(r'name="based_on" value="([^"]*)"', html)[1]
    national.post(url, {"what_is_mappa": "My words.", "commentary": "C.", "based_on": again})
    assert Text.objects.get(year=year).what_is_mappa == "My words."
