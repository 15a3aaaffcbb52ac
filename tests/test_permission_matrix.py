"""Every URL in the URLconf, for each persona, with GET and POST: the expected outcome.

The URLs are found by walking the URLconf, so a new view is covered automatically: one with
no expectation below fails this test until someone decides who may use it.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from reports import workflow
from reports.models import AnnualReport
from tests.conftest import signed_in
from tests.factories import make_report, make_user, open_year

pytestmark = pytest.mark.django_db
PERSONAS = ("anonymous", "other area's coordinator", "area's coordinator", "national admin")
SAMPLE = {
    "year": "2010-11",
    "area": "kent",
    "table": "rso_breaches",
    "action": "approve",
    "number": "1",
    "uidb64": "MQ",
    "token": "not-a-token",
    "app_label": "reports",
    "object_id": "1",
    "content_type_id": "1",
    "history_id": "1",
    "id": "1",
    "account": "1",
    "url": "nowhere/",
    "key": "category_1_on_31_march",
    "cell": "rso_breaches.rsos.number",
    "rule": "large",
    "stamp": "20110401T093000Z",
    "change": "cancel",
}
SIGN_IN = 302
#: (GET, POST) outcome for [anonymous, other area's coordinator, area's coordinator, admin].
PUBLIC = [(200, 405)] * 4
ALL = lambda get, post: [(get, post)] * 4  # noqa: E731
EXPECTED = {
    **{
        name: PUBLIC
        for name in (
            "reports:home",
            "reports:compare",
            "reports:report",
            "reports:revision",
            "reports:revision-pdf",
            "reports:report-csv",
            "reports:report-json",
            "reports:year-csv",
            "reports:year-json",
            "reports:year-xlsx",
            "reports:data",
            "reports:all-csv",
            "reports:all-json",
            "reports:releases",
            "reports:national",
            "reports:areas",
            "reports:area",
            "reports:series-csv",
            "reports:series",
            "reports:help",
            "reports:contact",
            "reports:accessibility",
            "reports:cookies",
            "reports:privacy",
            "reports:revision-csv",
            "reports:revision-json",
            "reports:releases-feed",
        )
    },
    # The year's files as at an edition it never had.
    "reports:edition-csv": ALL(404, 405),
    "reports:edition-json": ALL(404, 405),
    # Anyone may subscribe: an empty POST is refused with the form's errors (200).
    "reports:subscribe-year": ALL(200, 200),
    "reports:subscribe-area": ALL(200, 200),
    "reports:subscribe-sent": ALL(200, 405),
    # Anyone holding a subscription link may use it; this one is not valid (said on the page).
    "reports:subscription-confirm": ALL(200, 200),
    "reports:unsubscribe": ALL(200, 200),
    # django-ninja serves its (read-only) OpenAPI document to POST as well.
    "api:openapi-json": ALL(200, 200),
    **{
        name: ALL(200, 405)
        for name in (
            "api:years",
            "api:areas",
            "api:reports",
            "api:report",
            "api:national",
            "api:series_list",
            "api:series_data",
        )
    },
    # /api/v1/ is a page for people (asking for HTML); programs get 404 there, as before.
    # django-ninja's own (empty) root is behind it, at the same address.
    "api-guide": ALL(404, 405),
    "api:api-root": ALL(404, 405),
    "reports:health": ALL(200, 405),
    "accounts:sign-in": [(200, 200)] + [(302, 302)] * 3,
    "accounts:sign-out": ALL(405, 302),
    "accounts:signed-out": ALL(200, 405),
    "accounts:password-reset": ALL(200, 200),
    "accounts:password-reset-sent": ALL(200, 405),
    "accounts:password-reset-confirm": ALL(200, 200),
    "accounts:password-reset-complete": ALL(200, 405),
    "manage:dashboard": [(SIGN_IN, SIGN_IN), (200, 405), (200, 405), (200, 405)],
    "manage:start": [(SIGN_IN, SIGN_IN), (404, 404), (302, 302), (404, 404)],
    "manage:overview": [(SIGN_IN, SIGN_IN), (404, 405), (200, 405), (200, 405)],
    # The national team reads the report; submitting it is not theirs (403, saying so).
    "manage:check": [(SIGN_IN, SIGN_IN), (404, 404), (200, 200), (200, 403)],
    # The confirmation after submitting; a report not submitted sends people to its task list.
    "manage:submitted": [(SIGN_IN, SIGN_IN), (404, 405), (302, 405), (302, 405)],
    "manage:history": [(SIGN_IN, SIGN_IN), (404, 405), (200, 405), (200, 405)],
    "manage:review": [(SIGN_IN, SIGN_IN), (404, 405), (404, 405), (200, 405)],
    "manage:act": [(SIGN_IN, SIGN_IN), (405, 404), (405, 404), (405, 200)],
    "manage:tracker": [(SIGN_IN, SIGN_IN), (404, 405), (404, 405), (200, 405)],
    "manage:flagged": [(SIGN_IN, SIGN_IN), (404, 405), (404, 405), (200, 405)],
    # Only a figure the change checks flag can be explained (Kent 2010-11 has no year before).
    "manage:explain": [(SIGN_IN, SIGN_IN), (404, 404), (404, 404), (404, 404)],
    "manage:standard-texts": [(SIGN_IN, SIGN_IN), (404, 405), (404, 405), (200, 405)],
    # An empty POST leaves the year's (blank) dates as they are, and goes back to the page.
    "manage:collection": [(SIGN_IN, SIGN_IN), (404, 404), (404, 404), (200, 302)],
    "manage:grant-extension": [(SIGN_IN, SIGN_IN), (405, 404), (405, 404), (405, 200)],
    "manage:withdraw-extension": [(SIGN_IN, SIGN_IN), (405, 404), (405, 404), (405, 404)],
    # An empty POST is refused with the form's errors (200), never saved.
    "manage:standard-text": [(SIGN_IN, SIGN_IN), (404, 404), (404, 404), (200, 200)],
    # Accounts: the national team's alone. An empty POST is refused with the form's errors.
    "manage:accounts": [(SIGN_IN, SIGN_IN), (404, 405), (404, 405), (200, 405)],
    "manage:invite": [(SIGN_IN, SIGN_IN), (404, 404), (404, 404), (200, 200)],
    "manage:account": [(SIGN_IN, SIGN_IN), (404, 405), (404, 405), (200, 405)],
    "manage:account-areas": [(SIGN_IN, SIGN_IN), (404, 404), (404, 404), (200, 200)],
    **{
        name: [(SIGN_IN, SIGN_IN), (405, 404), (405, 404), (405, 302)]
        for name in (
            "manage:account-deactivate",
            "manage:account-reactivate",
            "manage:account-invite-again",
        )
    },
    # Releases: the national team's alone. An empty POST is refused with the form's errors;
    # cancelling the sample year's release, which has happened, is refused above the page.
    "manage:releases": [(SIGN_IN, SIGN_IN), (404, 405), (404, 405), (200, 405)],
    "manage:release": [(SIGN_IN, SIGN_IN), (404, 405), (404, 405), (200, 405)],
    "manage:release-change": [(SIGN_IN, SIGN_IN), (405, 404), (405, 404), (405, 302)],
    "manage:pre-release-recipients": [(SIGN_IN, SIGN_IN), (404, 404), (404, 404), (200, 200)],
    # There is no recipient 1 here.
    "manage:withdraw-recipient": [(SIGN_IN, SIGN_IN), (405, 404), (405, 404), (405, 404)],
    # Pre-release reading: nobody here is a recipient, so nothing is there (as for the public).
    **{
        name: [(SIGN_IN, SIGN_IN), (404, 405), (404, 405), (404, 405)]
        for name in (
            "manage:pre-release",
            "manage:pre-release-national",
            "manage:pre-release-report",
        )
    },
    # Anyone holding an invitation link may use it; this one is not valid (said on the page).
    "accounts:invitation": ALL(200, 200),
    **{
        name: [(SIGN_IN, SIGN_IN), (404, 404), (200, 200), (404, 404)]
        for name in (
            "manage:introduction",
            "manage:local-page",
            "manage:signatories",
            "manage:table",
        )
    },
}


def all_patterns():
    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(
                    pattern.url_patterns,
                    [*prefix, pattern],
                    pattern.namespace or namespace,
                )
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                yield name, [*prefix, pattern]

    return list(walk(get_resolver().url_patterns, [], None))


def build_url(chain) -> str:
    """A concrete URL for a chain of patterns, with the sample values for its parameters."""
    import re

    path = "/"
    for pattern in chain:
        route = str(pattern.pattern)
        route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE[m.group(1)], route)
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLE[m.group(1)], route)
        path += route.lstrip("^").rstrip("$").replace("\\Z", "")
    return path


@pytest.fixture
def clients(monkeypatch):
    # The account the account pages are tried on: none of the personas, whom they would change.
    sample = make_user("sam@surrey.example.gov.uk", areas=("surrey",))
    monkeypatch.setitem(SAMPLE, "account", str(sample.pk))
    year = open_year(2010, release_at=timezone.now() - timezone.timedelta(days=1))
    admin = make_user("nat@justice.example.gov.uk", national=True, is_staff=True)
    team, _ = Group.objects.get_or_create(name="National team")
    team.permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    admin.groups.add(team)
    # Kent 2010-11 is published (so public pages show it) and reopened (so it can be edited).
    report = make_report("kent", year=year, status=AnnualReport.Status.APPROVED)
    workflow.perform(report, "publish", admin, report.version)
    workflow.perform(report, "reopen", admin, report.version, "A correction.")
    users = [
        None,
        make_user("esme@essex.example.gov.uk", areas=("essex",)),
        make_user("kim@kent.example.gov.uk", areas=("kent",)),
        admin,
    ]

    def fresh() -> list[Client]:
        # New sessions for every URL: walking the sign-out URLs would otherwise sign them out.
        return [Client() if user is None else signed_in(user) for user in users]

    return fresh


def test_every_url_gives_each_persona_the_expected_outcome(clients):
    mismatches, unlisted = [], []
    for name, chain in all_patterns():
        url = build_url(chain)
        personas = clients()
        if name is None or name.startswith("admin:"):
            outcomes = [(c.get(url).status_code, c.post(url).status_code) for c in personas]
            # Only the national team (staff) may see the admin; nobody ever gets an error.
            for persona, (get, post) in zip(PERSONAS, outcomes, strict=True):
                if get >= 500 or post >= 500:
                    mismatches.append(f"{url} {persona}: {get}/{post}")
                if persona != "national admin" and 200 in (get, post) and "login" not in url:
                    mismatches.append(f"{url} {persona}: admin content served ({get}/{post})")
            continue
        if name not in EXPECTED:
            unlisted.append(f"{name} ({url})")
            continue
        for persona, client, (want_get, want_post) in zip(
            PERSONAS, personas, EXPECTED[name], strict=True
        ):
            got = (client.get(url).status_code, client.post(url).status_code)
            if got != (want_get, want_post):
                mismatches.append(
                    f"{name} {url} {persona}: {got}, expected {(want_get, want_post)}"
                )
    assert unlisted == [], "URLs with no expectation: decide who may use them"
    assert mismatches == [], "\n".join(mismatches)


def test_anonymous_visitors_are_sent_to_sign_in_not_shown_an_error(clients):
    anonymous = clients()[0]
    response = anonymous.get("/manage/reports/2010-11/kent/")
    assert response["Location"] == "/account/sign-in/?next=/manage/reports/2010-11/kent/"
