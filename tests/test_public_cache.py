"""Public pages and downloads served from memory, never stale, with validators that never lie."""

import datetime
import os
from email.utils import parsedate_to_datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from reports import caching, exports, public_state, statistics, workflow
from reports.figures import update_figures
from reports.models import AnnualReport, Area, Release, ReportingYear
from reports.returns import CellValue
from reports.views import public as public_views
from tests.conftest import signed_in
from tests.factories import make_report, make_year

pytestmark = pytest.mark.django_db
Status = AnnualReport.Status
SERIES = "category_1_on_31_march"

PUBLIC_URLS = [
    "/",
    "/reports/2010-11/kent/",
    "/reports/2010-11/kent/revisions/1/",
    "/reports/2010-11/kent/figures.csv",
    "/reports/2010-11/kent/figures.json",
    "/reports/2010-11/",
    "/reports/2010-11/compare/",
    "/reports/2010-11/compare/?sort=area&order=descending",
    "/reports/2010-11/figures.csv",
    "/reports/2010-11/figures.json",
    "/reports/2010-11/figures.xlsx",
    "/data/",
    "/data/all-years.csv",
    "/data/all-years.json",
    f"/data/series/{SERIES}/",
    f"/data/series/{SERIES}.csv",
    f"/data/series/{SERIES}.csv?area=kent",
    "/releases/",
    "/areas/",
    "/areas/kent/",
    "/api/v1/years",
    "/api/v1/areas",
    "/api/v1/reports/2010-11",
    "/api/v1/reports/2010-11/kent",
    "/api/v1/national/2010-11",
    f"/api/v1/series/{SERIES}",
    f"/api/v1/series/{SERIES}?area=kent",
]


class Clock:
    """The service's clock, moved on by the test."""

    def __init__(self) -> None:
        self.now = timezone.now().replace(microsecond=0)

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += datetime.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture(autouse=True)
def fresh_worker():
    """Each test starts as a newly started worker: nothing kept, nothing known."""
    caching.store.clear()
    public_state.watcher.forget()
    yield
    caching.store.clear()
    public_state.watcher.forget()


def content(response) -> bytes:
    return response.getvalue() if response.streaming else response.content


def snapshot(client: Client) -> dict:
    pages = {}
    for url in PUBLIC_URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = (content(response), response["ETag"], response.get("Last-Modified"))
    return pages


def publish_essex(clock: Clock) -> None:
    make_report("essex", year=ReportingYear.objects.get(start_year=2010))


def correct_kent(clock: Clock) -> None:
    admin = _admin()
    report = AnnualReport.objects.get(area__slug="kent", year__start_year=2010)
    workflow.perform(report, "reopen", admin, report.version, "A figure was wrong.")
    report.refresh_from_db()
    ref, number = next((r, v.value) for r, v in report.cell_values().items() if v.value is not None)
    update_figures(report, {ref: CellValue.of(number + 1)})
    report.status = Status.APPROVED
    report.save()
    workflow.perform(report, "publish", admin, report.version)


def move_release(clock: Clock) -> None:
    year = ReportingYear.objects.get(start_year=2010)
    assert year.release_at is not None
    workflow.set_release_time(year, year.release_at - datetime.timedelta(days=7))


def rename_area(clock: Clock) -> None:
    kent = Area.objects.get(slug="kent")
    kent.name = "Kent and Medway"
    kent.save()


def release_time_passes(clock: Clock) -> None:
    """Essex's 2011-12 report was published to wait for its year's release, which now comes."""
    clock.advance(60)


def _admin():
    from tests.factories import make_user

    return make_user("release.admin@justice.example.gov.uk", national=True)


#: Each change, and pages that must show it (the rest may or may not).
CHANGES = {
    "publication": (publish_essex, ["/reports/2010-11/", "/data/all-years.csv", "/areas/"]),
    "correction": (correct_kent, ["/reports/2010-11/kent/", "/reports/2010-11/kent/figures.csv"]),
    "moved release": (move_release, ["/releases/"]),
    "area rename": (rename_area, ["/reports/2010-11/kent/", "/areas/kent/", "/api/v1/areas"]),
    "release time passing": (release_time_passes, ["/api/v1/years", "/data/all-years.csv"]),
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_public_response_answers_304_only_for_the_same_bytes(clock, demo, change):
    if change == "release time passing":
        year = ReportingYear.objects.get(start_year=2011)
        report = make_report("essex", year=year, status=Status.APPROVED)
        workflow.set_release_time(year, clock.now + datetime.timedelta(seconds=30))
        workflow.publish_revision(report, None)
    clock.advance(5)  # every Last-Modified so far is in the past
    client = Client()
    before = snapshot(client)
    assert all(modified for _, _, modified in before.values())
    make_change, must_show = CHANGES[change]
    make_change(clock)
    clock.advance(2)
    changed = set()
    for url in PUBLIC_URLS:
        old_body, etag, modified = before[url]
        response = client.get(url)
        body = content(response)
        same = body == old_body
        if not same:
            changed.add(url)
        if "Last-Modified" in response:
            assert parsedate_to_datetime(response["Last-Modified"]) <= clock.now, url
        by_etag = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert (by_etag.status_code == 304) == same, url
        by_date = client.get(url, HTTP_IF_MODIFIED_SINCE=modified)
        assert by_date.status_code == 200 or same, url
        assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304, url
    assert set(must_show) <= changed


def test_a_kept_response_is_byte_for_byte_what_the_view_makes(demo, settings):
    client = Client()
    kept = {url: content(client.get(url)) for url in PUBLIC_URLS}
    again = {url: content(client.get(url)) for url in PUBLIC_URLS}
    settings.PUBLIC_CACHE = False
    made = {url: content(client.get(url)) for url in PUBLIC_URLS}
    assert kept == again == made


def test_no_public_response_carries_a_last_modified_later_than_now(clock, demo):
    # Several changes in one second: each generation is a second later than the one before.
    for name in ("Kent", "Kent and Medway", "Kent"):
        kent = Area.objects.get(slug="kent")
        kent.name = name
        kent.save()
    client = Client()
    for _ in range(4):
        for url in ("/", "/reports/2010-11/kent/", "/reports/2010-11/figures.csv"):
            response = client.get(url)
            if "Last-Modified" in response:
                assert parsedate_to_datetime(response["Last-Modified"]) <= clock.now
        clock.advance(1)
    assert "Last-Modified" in client.get("/")


def test_a_worker_sees_another_workers_change_within_the_check_interval(demo, settings):
    settings.PUBLIC_STATE_CHECK_SECONDS = 1
    seconds = [0.0]
    worker = public_state.Watcher(clock=lambda: seconds[0])
    caching.public_state.watcher = worker
    try:
        client = Client()
        assert "Kent and Medway" not in client.get("/areas/").content.decode()
        # Another worker renames Kent: this worker has not been told.
        Area.objects.filter(slug="kent").update(name="Kent and Medway")
        public_state.bump()
        seconds[0] = 0.99
        assert "Kent and Medway" not in client.get("/areas/").content.decode()
        seconds[0] = 1.0
        assert "Kent and Medway" in client.get("/areas/").content.decode()
    finally:
        caching.public_state.watcher = public_state.watcher


def test_a_release_is_public_on_every_worker_at_its_time_not_a_check_later(clock, demo, settings):
    settings.PUBLIC_STATE_CHECK_SECONDS = 3600
    year = make_year(2011)
    report = make_report("essex", year=year, status=Status.APPROVED)
    workflow.set_release_time(year, clock.now + datetime.timedelta(seconds=10))
    workflow.publish_revision(report, None)
    client = Client()
    assert client.get("/reports/2011-12/essex/").status_code == 404
    clock.advance(9)
    assert client.get("/reports/2011-12/essex/").status_code == 404
    clock.advance(1)
    assert client.get("/reports/2011-12/essex/").status_code == 200


def test_a_page_made_while_the_public_state_changed_is_not_kept(demo, monkeypatch):
    summary = statistics.national_summary

    def changed_meanwhile(year):
        result = summary(year)
        public_state.bump()  # a publication commits while the page is being made
        return result

    monkeypatch.setattr(statistics, "national_summary", changed_meanwhile)
    first = Client().get("/reports/2010-11/")
    assert first.status_code == 200 and "Last-Modified" not in first
    monkeypatch.setattr(statistics, "national_summary", summary)
    with CaptureQueriesContext(connection) as queries:
        Client().get("/reports/2010-11/")
    assert len(queries) > 2, "made again, not served from a page of neither generation"


def test_a_kept_page_is_served_without_a_query(demo, settings):
    settings.PUBLIC_STATE_CHECK_SECONDS = 3600
    client = Client()
    first = client.get("/reports/2010-11/kent/")
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/reports/2010-11/kent/")
    assert len(queries) == 0
    assert again.content == first.content
    assert again["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert again["X-Frame-Options"] == "DENY"


# The year's page: the year, its summary, every version of its reports, the public state.
@pytest.mark.parametrize(
    ("url", "limit"), [("/reports/2010-11/kent/", 4), ("/reports/2010-11/", 4)]
)
def test_a_first_render_stays_within_its_queries(demo, settings, url, limit):
    settings.PUBLIC_STATE_CHECK_SECONDS = 3600
    public_state.watcher.current()  # the worker knows the generation; the page is not kept
    with CaptureQueriesContext(connection) as queries:
        assert Client().get(url).status_code == 200
    assert len(queries) <= limit, [q["sql"] for q in queries]


def test_signed_in_people_never_get_a_kept_page_nor_leave_theirs(demo, kent_coordinator):
    anonymous, kim = Client(), signed_in(kent_coordinator)
    assert "Sign out" not in anonymous.get("/").content.decode()
    assert "Sign out" in kim.get("/").content.decode()
    assert "Sign out" not in anonymous.get("/").content.decode()
    response = kim.get("/")
    assert "ETag" not in response and "public" not in response.get("Cache-Control", "")


def test_a_made_up_query_parameter_is_answered_but_not_kept(demo):
    client = Client()
    for n in range(3):
        assert client.get(f"/areas/?x={n}").status_code == 200
    assert client.get("/areas/").status_code == 200
    assert len(caching.store._entries) == 1


def test_a_download_that_fails_half_way_is_an_error_never_a_short_file(demo, monkeypatch):
    rows = exports._report_rows

    def failing(*args, **kwargs):
        yield from list(rows(*args, **kwargs))[:3]
        raise RuntimeError("the database went away")

    monkeypatch.setattr(exports, "_report_rows", failing)
    copy = exports.copy_csv

    def failing_copy(revisions):
        yield next(copy(revisions))
        raise RuntimeError("the database went away")

    monkeypatch.setattr(public_views, "copy_csv", failing_copy)
    client = Client(raise_request_exception=False)
    response = client.get("/reports/2010-11/figures.csv")
    assert response.status_code == 500
    assert b"year,area" not in content(response)


def test_downloads_say_their_length(demo):
    for url in ("/reports/2010-11/figures.csv", "/data/all-years.json", "/reports/2010-11/kent/"):
        response = Client().get(url)
        assert int(response["Content-Length"]) == len(content(response))


def test_a_large_download_is_kept_on_disk_once_for_every_worker(demo, settings, tmp_path):
    settings.PUBLIC_CACHE_DIR = str(tmp_path)
    settings.PUBLIC_CACHE_FILE_FROM_BYTES = 1000
    settings.PUBLIC_STATE_CHECK_SECONDS = 3600
    first = Client().get("/data/all-years.csv")
    assert first.streaming and len(list(tmp_path.iterdir())) == 2  # the file and its headers
    caching.store.clear()  # another worker on the same machine
    with CaptureQueriesContext(connection) as queries:
        again = Client().get("/data/all-years.csv")
    assert len(queries) == 0
    assert content(again) == content(first) and again["ETag"] == first["ETag"]
    assert again["Content-Disposition"] == first["Content-Disposition"]


def test_head_is_answered_with_the_headers_only(demo):
    client = Client()
    got = client.get("/reports/2010-11/figures.csv")
    head = client.head("/reports/2010-11/figures.csv")
    assert head.status_code == 200 and content(head) == b""
    assert head["ETag"] == got["ETag"] and head["Content-Length"] == got["Content-Length"]


def test_http_is_still_redirected_to_https_when_a_page_is_kept(demo, settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    assert client.get("/areas/", secure=True).status_code == 200
    assert client.get("/areas/").status_code == 301


def test_a_host_not_allowed_is_refused_when_a_page_is_kept(demo):
    client = Client()
    assert client.get("/areas/").status_code == 200
    assert client.get("/areas/", HTTP_HOST="evil.example").status_code == 400


def test_postgresql_writes_the_csv_byte_for_byte_as_python_would(full_demo, national_admin):
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's; SQLite serves the CSV that Python writes")
    # 2015-16's figures are provisional ([p]).
    provisional = ReportingYear.objects.get(start_year=2015)
    Release.objects.create(year=provisional, state="confirmed", provisional_figures=True)
    for start in (2015, 2016, 2023):  # a break in series, a rate to one place, Category 4
        make_report("essex", year=ReportingYear.objects.get(start_year=start))
    correct_kent(None)
    kent = AnnualReport.objects.get(area__slug="kent", year__start_year=2010)
    ref = next(r for r, v in kent.cell_values().items() if v.value is not None)
    revisions = statistics.current_revisions()
    python = "".join(exports.csv_lines(exports.published_rows(revisions))).encode()
    postgresql = b"".join(exports.copy_csv(revisions))
    assert postgresql == python
    for marker in (b"[p][b]", b"[r]", b"[b]", b"[x]", b"[z]", b".5,", f"{ref.row},".encode()):
        assert marker in python
    year = statistics.current_revisions().filter(report__year__start_year=2016)
    assert (
        b"".join(exports.copy_csv(year))
        == "".join(exports.csv_lines(exports.published_rows(year))).encode()
    )


def _redis(settings, url: str) -> None:
    settings.REDIS_URL = url
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url},
    }


def test_workers_on_other_machines_share_kept_pages_through_redis(demo, settings):
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("Redis is not running here (CI starts it)")
    _redis(settings, url)
    settings.PUBLIC_STATE_CHECK_SECONDS = 3600
    try:
        first = Client().get("/areas/")
        caching.store.clear()  # a worker on another machine: nothing in its memory
        with CaptureQueriesContext(connection) as queries:
            again = Client().get("/areas/")
        assert len(queries) == 0
        assert again.content == first.content and again["ETag"] == first["ETag"]
    finally:
        from django.core.cache import cache

        cache.clear()


def test_a_shared_cache_that_is_down_costs_a_render_not_a_page(demo, settings):
    _redis(settings, "redis://127.0.0.1:1/0")
    for _ in range(2):
        assert Client().get("/areas/").status_code == 200


def test_a_deploy_makes_a_new_public_state(demo):
    from django.core.management import call_command

    before = public_state.read()
    call_command("migrate", verbosity=0)  # every deploy runs it
    assert public_state.read().generation == before.generation + 1


def test_a_kept_download_whose_file_has_gone_is_made_afresh(demo, settings, tmp_path):
    settings.PUBLIC_CACHE_DIR = str(tmp_path)
    settings.PUBLIC_CACHE_FILE_FROM_BYTES = 1000
    settings.PUBLIC_STATE_CHECK_SECONDS = 3600
    first = Client().get("/data/all-years.csv")
    for path in tmp_path.iterdir():  # another worker, on a newer state, cleared it away
        path.unlink()
    again = Client().get("/data/all-years.csv")
    assert again.status_code == 200 and content(again) == content(first)


def test_healthz_answers_without_the_database(db):
    with CaptureQueriesContext(connection) as queries:
        assert Client().get("/healthz").status_code == 200
    assert len(queries) == 0


def test_the_same_page_asked_for_in_other_spellings_is_kept_once(demo, settings):
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    client = Client()
    for url in ("/areas/", "/areas/?", "/areas/?&&", "/areas/?&"):
        assert client.get(url).status_code == 200
    assert client.get("/areas/", HTTP_HOST="localhost:8080").status_code == 200
    assert client.get("/areas/", HTTP_HOST="localhost").status_code == 200
    assert len(caching.store._entries) == 2  # testserver and localhost


def test_a_report_page_is_made_when_the_shared_cache_is_down(demo, settings):
    _redis(settings, "redis://127.0.0.1:1/0")
    assert Client().get("/reports/2010-11/kent/").status_code == 200


def test_if_modified_since_is_honoured_only_for_the_states_own_date(clock, demo):
    clock.advance(5)
    client = Client()
    modified = client.get("/areas/")["Last-Modified"]
    assert client.get("/areas/", HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    # A later date (a cache's Date, or a newer page's) says nothing about these bytes.
    later = http_date(parsedate_to_datetime(modified).timestamp() + 3)
    assert client.get("/areas/", HTTP_IF_MODIFIED_SINCE=later).status_code == 200


def test_the_public_state_is_made_again_if_its_row_has_gone(demo):
    from reports.models import PublicState

    PublicState.objects.all().delete()
    public_state.watcher.forget()
    assert Client().get("/areas/").status_code == 200
    assert PublicState.objects.get().generation == 1
