"""Hardening, round two: lockouts behind the load balancer, caching headers, password reset
limits, refusals that reveal nothing, an admin that deletes nothing, /healthz over plain HTTP,
and workflow moves offered only to those who may make them."""

import base64
import hashlib
import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mappa_portal.inline_scripts import JS_ENABLED
from reports import workflow
from reports.models import AnnualReport, Figure, PublishedRevision, ReportEvent
from tests.conftest import signed_in
from tests.factories import make_report, make_user, open_year
from tests.test_permission_matrix import all_patterns, build_url

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
BALANCER = "10.0.0.2"


@pytest.fixture
def coordinator(db):
    return make_user("kim@kent.example.gov.uk", areas=("kent",))


def sign_in(client, user, password, **headers):
    return client.post(
        "/account/sign-in/", {"username": user.username, "password": password}, **headers
    )


# --- Sign-in lockouts key on the client, directly or behind the load balancer --------------


def test_a_direct_client_cannot_dodge_the_lockout_with_a_made_up_forwarded_for(
    client, coordinator, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(5):
        sign_in(client, coordinator, "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = sign_in(client, coordinator, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert response.status_code == 429
    assert "Too many attempts to sign in" in response.content.decode()


def test_five_wrong_passwords_behind_the_proxy_lock_out_only_that_client(
    client, coordinator, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    attacker = {"REMOTE_ADDR": BALANCER, "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    for _ in range(5):
        sign_in(client, coordinator, "wrong", **attacker)
    assert sign_in(client, coordinator, PASSWORD, **attacker).status_code == 429

    colleague = {"REMOTE_ADDR": BALANCER, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    response = sign_in(client, coordinator, PASSWORD, **colleague)
    assert response.status_code == 302
    assert response["Location"] == "/manage/"


def test_behind_the_proxy_the_client_is_the_address_the_proxy_appended(
    client, coordinator, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    # The attacker claims to be the colleague; the balancer appends the attacker's own address.
    for n in range(5):
        sign_in(
            client,
            coordinator,
            "wrong",
            REMOTE_ADDR=BALANCER,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.5",
        )
    locked = sign_in(
        client,
        coordinator,
        PASSWORD,
        REMOTE_ADDR=BALANCER,
        HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.5",
    )
    assert locked.status_code == 429
    fine = sign_in(
        client, coordinator, PASSWORD, REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert fine.status_code == 302


@pytest.mark.parametrize(
    ("forwarded", "client_is"),
    [
        ("198.51.100.7:52311", "198.51.100.7"),
        ("[2001:db8:1:2::9]:443", "2001:db8:1:2::"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::"),
        ("2001:db8:1:2:bbbb::2", "2001:db8:1:2::"),  # the same /64: the same client
        ("not an address", BALANCER),
    ],
)
def test_the_client_behind_the_proxy_is_read_without_its_port_and_ipv6_by_its_64(
    settings, rf, forwarded, client_is
):
    from mappa_portal.client_ip import client_ip

    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == client_is


def test_a_deploy_check_warns_of_a_tls_proxy_whose_proxies_are_not_counted(settings):
    from reports.checks import check_proxies_are_counted

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXY_COUNT = 0
    [warning] = check_proxies_are_counted()
    assert warning.id == "reports.W001"
    settings.TRUSTED_PROXY_COUNT = 1
    assert check_proxies_are_counted() == []


# --- Caching: back-office and signed-in responses are private and never stored -------------

BACK_OFFICE = ("/admin/", "/manage/", "/account/")


def never_stored(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives and "public" not in directives


@pytest.fixture
def published_kent():
    year = open_year(2010, release_at=timezone.now() - timezone.timedelta(days=1))
    make_report("kent", year=year, status=AnnualReport.Status.PUBLISHED)
    make_report("essex", year=year, status=AnnualReport.Status.SUBMITTED)


def urls(back_office: bool) -> list[str]:
    found = [build_url(chain) for _, chain in all_patterns()]
    return sorted({url for url in found if url.startswith(BACK_OFFICE) == back_office})


def test_every_back_office_response_is_private_and_never_stored(published_kent):
    people = [
        None,
        make_user("kim@kent.example.gov.uk", areas=("kent",)),
        make_user("nat@justice.example.gov.uk", national=True, is_staff=True),
    ]
    stored = []
    for url in urls(back_office=True):
        for person in people:
            client = Client() if person is None else signed_in(person)
            for response in (client.get(url), client.post(url)):
                if not never_stored(response):
                    stored.append(
                        f"{url} {person} {response.status_code}: {response.get('Cache-Control')}"
                    )
    assert stored == []


def test_a_signed_in_person_reading_a_public_page_gets_it_private_and_never_stored(
    published_kent, kent
):
    public = urls(back_office=False)
    assert "/reports/2010-11/kent/" in public and "/" in public
    stored = [
        f"{url}: {response.get('Cache-Control')}"
        for url in public
        if not never_stored(response := kent.get(url))
    ]
    assert stored == []
    assert "ETag" not in kent.get("/reports/2010-11/kent/")


def test_an_anonymous_visitor_with_a_message_waiting_gets_public_pages_never_stored(
    published_kent, client
):
    client.cookies["messages"] = "a message waiting"
    assert never_stored(client.get("/reports/2010-11/kent/"))


def test_anonymous_public_pages_keep_the_public_caches_headers(published_kent, client):
    first = client.get("/reports/2010-11/kent/")
    again = client.get("/reports/2010-11/kent/")
    for response in (first, again):  # made afresh, then served from the cache
        assert response["Cache-Control"] == "public, no-cache"
        assert response["ETag"]


def test_a_304_on_reload_leaves_the_pages_own_csp_which_allows_its_inline_script(
    published_kent, client
):
    page = client.get("/reports/2010-11/kent/")
    reload = client.get("/reports/2010-11/kent/", HTTP_IF_NONE_MATCH=page["ETag"])
    assert reload.status_code == 304
    # A 304 updates the kept response's headers: any CSP it carries must be the page's own.
    assert (
        reload.get("Content-Security-Policy", page["Content-Security-Policy"])
        == (page["Content-Security-Policy"])
    )
    policy = reload.get("Content-Security-Policy", page["Content-Security-Policy"])
    [script] = re.findall(r"<script>(.*?)</script>", page.content.decode(), re.S)
    assert script == JS_ENABLED
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert f"'sha256-{digest}'" in script_src.split()
    assert "nonce" not in policy


# --- Password reset: limited per address and per client, revealing nothing -----------------

TOO_MANY = "You have asked for too many password reset links."


def ask_reset(client, email, **headers):
    return client.post("/account/password-reset/", {"email": email}, **headers)


def without_tokens(response, email: str) -> str:
    """The page, its CSRF token (masked afresh each time) and `email` left out."""
    html = response.content.decode()
    html = html.replace(email, "EMAIL") if email else html
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_past_three_resets_for_one_address_in_an_hour_nothing_is_sent(client, coordinator):
    for _ in range(3):
        assert ask_reset(client, coordinator.email)["Location"] == "/account/password-reset/sent/"
    assert len(mail.outbox) == 3
    refused = ask_reset(client, coordinator.email.upper())  # the same address, however spelt
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "There is a problem" in html and TOO_MANY in html
    assert len(mail.outbox) == 3


def test_the_reset_limit_says_the_same_whether_or_not_the_address_has_an_account(
    client, coordinator
):
    unknown = "nobody@kent.example.gov.uk"
    for _ in range(3):
        ask_reset(client, coordinator.email)
        ask_reset(client, unknown)
    for_account, for_nobody = ask_reset(client, coordinator.email), ask_reset(client, unknown)
    assert for_account.status_code == for_nobody.status_code == 429
    assert without_tokens(for_account, coordinator.email) == without_tokens(for_nobody, unknown)
    assert len(mail.outbox) == 3


def test_one_client_asking_for_many_addresses_is_limited_but_not_its_neighbours(
    client, coordinator, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    sender = {"REMOTE_ADDR": BALANCER, "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    for n in range(10):
        assert ask_reset(client, f"someone{n}@example.gov.uk", **sender).status_code == 302
    assert ask_reset(client, coordinator.email, **sender).status_code == 429
    assert mail.outbox == []
    neighbour = {"REMOTE_ADDR": BALANCER, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert ask_reset(client, coordinator.email, **neighbour).status_code == 302
    assert len(mail.outbox) == 1


# --- Another area's report: refused alike whether or not it exists ---------------------------


def query_shapes(queries) -> list[str]:
    """The SQL run, its values and savepoint names masked (the session expiry changes)."""
    return [re.sub(r"'[^']*'|\d+", "?", query["sql"]) for query in queries]


@pytest.mark.parametrize(
    "page",
    ["", "start/", "check/", "history/", "introduction/", "signatories/", "tables/rso_breaches/"],
)
def test_another_areas_report_is_refused_with_the_same_queries_whether_or_not_it_exists(
    other, page
):
    year = open_year(2025)
    url = f"/manage/reports/{year.label}/kent/{page}"
    with CaptureQueriesContext(connection) as before:
        missing = other.get(url)
    make_report("kent", year=year, status=AnnualReport.Status.DRAFT)
    with CaptureQueriesContext(connection) as after:
        existing = other.get(url)
    assert missing.status_code == existing.status_code == 404
    assert without_tokens(missing, "") == without_tokens(existing, "")
    assert query_shapes(before.captured_queries) == query_shapes(after.captured_queries)


# --- The admin deletes no report, revision or figure, not even for a superuser ---------------


@pytest.fixture
def superuser_client(db):
    return signed_in(make_user("root@justice.example.gov.uk", is_staff=True, is_superuser=True))


@pytest.mark.parametrize(
    ("model", "status"),
    [
        ("annualreport", AnnualReport.Status.DRAFT),
        ("annualreport", AnnualReport.Status.SUBMITTED),
        ("publishedrevision", AnnualReport.Status.PUBLISHED),
        ("figure", AnnualReport.Status.SUBMITTED),
    ],
)
def test_a_superuser_cannot_delete_reports_revisions_or_figures_in_the_admin(
    superuser_client, model, status
):
    report = make_report("kent", year=open_year(2025), status=status)
    obj = {
        "annualreport": report,
        "publishedrevision": report.revisions.first(),
        "figure": report.figures.first(),
    }[model]
    counts = lambda: (  # noqa: E731
        AnnualReport.objects.count(),
        PublishedRevision.objects.count(),
        Figure.objects.count(),
    )
    before = counts()
    changelist = f"/admin/reports/{model}/"

    page = superuser_client.get(changelist)
    assert page.status_code == 200
    assert 'value="delete_selected"' not in page.content.decode()
    assert superuser_client.get(f"{changelist}{obj.pk}/delete/").status_code == 403
    assert (
        superuser_client.post(f"{changelist}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    bulk = superuser_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    )
    assert bulk.status_code == 403
    assert "You do not have permission to do this: “Delete selected" in bulk.content.decode()
    assert counts() == before
    assert AnnualReport.objects.get(pk=report.pk).status == status


# --- /healthz answers plain HTTP, as a load balancer's check asks it --------------------------


@pytest.fixture
def production_redirects(settings):
    """Production's HTTPS settings, behind the TLS proxy (tests run with the redirect off)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    return Client()  # a new client loads the middleware with these settings


def test_the_health_check_answers_plain_http_while_pages_are_redirected_to_https(
    production_redirects, db
):
    health = production_redirects.get("/healthz", REMOTE_ADDR=BALANCER)
    assert health.status_code == 200
    assert health.content == b"ok"
    for path in ("/", "/manage/", "/healthz/", "/healthzz"):
        page = production_redirects.get(path)
        assert page.status_code == 301, path
        assert page["Location"] == f"https://testserver{path}"
    secure = production_redirects.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200


# --- Staff who may only look are offered no move they cannot make ----------------------------


@pytest.fixture
def view_only_staff(db):
    """A member of staff who may read everything in the admin, and change nothing."""
    user = make_user("viewer@justice.example.gov.uk", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="reports", codename__startswith="view_")
    )
    return user


@pytest.fixture
def national_staff(db):
    user = make_user("nat@justice.example.gov.uk", national=True, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    return user


def test_view_only_staff_are_not_offered_the_workflow_actions_in_the_admin(
    view_only_staff, national_staff
):
    make_report("kent", year=open_year(2025), status=AnnualReport.Status.SUBMITTED)
    looking = signed_in(view_only_staff).get("/admin/reports/annualreport/").content.decode()
    reviewing = signed_in(national_staff).get("/admin/reports/annualreport/").content.decode()
    for offer in ('value="approve"', 'value="publish"', "Review, return or reopen"):
        assert offer not in looking
        assert offer in reviewing
    assert 'value="export_figures_csv"' in looking  # reading is theirs

    years = signed_in(view_only_staff).get("/admin/reports/reportingyear/").content.decode()
    assert 'value="open_years"' not in years and 'value="close_years"' not in years


@pytest.mark.parametrize(
    ("action", "description"),
    [
        ("approve", "Approve the selected submitted reports"),
        ("publish", "Publish the selected approved reports"),
    ],
)
def test_view_only_staff_posting_a_workflow_action_anyway_are_told_they_lack_the_permission(
    view_only_staff, action, description
):
    report = make_report("kent", year=open_year(2025), status=AnnualReport.Status.SUBMITTED)
    response = signed_in(view_only_staff).post(
        "/admin/reports/annualreport/", {"action": action, "_selected_action": [report.pk]}
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert f"You do not have permission to do this: “{description}”." in html
    assert "it is submitted" not in html
    report.refresh_from_db()
    assert report.status == AnnualReport.Status.SUBMITTED
    assert not ReportEvent.objects.filter(report=report).exists()


def test_view_only_staff_cannot_open_or_close_years_from_the_admin(view_only_staff):
    year = open_year(2025)
    response = signed_in(view_only_staff).post(
        "/admin/reports/reportingyear/", {"action": "close_years", "_selected_action": [year.pk]}
    )
    assert response.status_code == 403
    assert "Close the selected years for reports" in response.content.decode()
    year.refresh_from_db()
    assert year.is_open


def test_the_national_team_submitting_an_areas_report_is_told_it_is_not_theirs(national):
    report = make_report("kent", year=open_year(2025), status=AnnualReport.Status.DRAFT)
    check = f"/manage/reports/{report.year.label}/kent/check/"
    page = national.get(check).content.decode()
    assert "Submit the report" not in page
    response = national.post(check, {"version": report.version})
    assert response.status_code == 403
    assert "You do not have permission to do this: “Submit” is for the area" in (
        response.content.decode()
    )
    report.refresh_from_db()
    assert report.status == AnnualReport.Status.DRAFT


def test_a_move_made_by_someone_whose_role_it_is_not_is_refused_for_that_reason(
    kent_coordinator,
):
    report = make_report("kent", year=open_year(2025), status=AnnualReport.Status.SUBMITTED)
    with pytest.raises(workflow.NotPermitted) as refused:
        workflow.perform(report, "approve", kent_coordinator, report.version)
    assert str(refused.value) == (
        "You do not have permission to do this: “Approve” is for the national team, "
        "with the permission to review reports."
    )
