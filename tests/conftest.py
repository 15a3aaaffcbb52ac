import pytest
from django.core.management import call_command
from django.test import Client

from tests.factories import make_user


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run transactional tests (browser, concurrency) after all the others, as Django does.

    pytest-django sorts them last, but pytest then regroups tests around pytest-playwright's
    parametrized session fixtures; a transactional test's flush in the middle would wipe the
    data migrations' rows (the 42 areas) for the tests after it.
    """

    def transactional(item):
        marker = item.get_closest_marker("django_db")
        in_marker = bool(marker and marker.kwargs.get("transaction"))
        return in_marker or "live_server" in item.fixturenames

    items.sort(key=transactional)


@pytest.fixture(autouse=True)
def report_pdfs(settings, tmp_path_factory):
    """Report PDFs made by tests are kept in the test run's temporary folder, not in var/."""
    settings.REPORT_PDF_DIR = str(tmp_path_factory.getbasetemp() / "report-pdfs")


@pytest.fixture(autouse=True)
def empty_caches():
    """Each test starts with nothing kept: no page, no fragment (ids repeat across tests)."""
    from django.core.cache import caches

    from reports import caching, public_state

    for cache in caches.all(initialized_only=True):
        cache.clear()
    caching.store.clear()
    public_state.watcher.forget()


@pytest.fixture
def demo(db):
    """The seed reports of the demo: Kent and Cambridgeshire and Peterborough 2010-11.

    Every year since 2010-11 exists, 2025-26 open; the other areas' past publications are left
    out so that sums are the two seeds' (`full_demo` has everything `make run` loads).
    """
    call_command("load_demo", without_past_publications=True, verbosity=0)


@pytest.fixture
def full_demo(db):
    """Everything `make run` loads, past publications of 30 areas included."""
    call_command("load_demo", verbosity=0)


# The four personas: the area's coordinator, another area's coordinator, an admin, anonymous.


@pytest.fixture
def kent_coordinator(db):
    return make_user("kim@kent.example.gov.uk", areas=("kent",), first_name="Kim", last_name="Lee")


@pytest.fixture
def other_coordinator(db):
    return make_user("esme@essex.example.gov.uk", areas=("essex",))


@pytest.fixture
def national_admin(db):
    return make_user("nat@justice.example.gov.uk", national=True)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)  # django-axes needs a request for login(); force_login skips it
    return client


@pytest.fixture
def kent(kent_coordinator):
    return signed_in(kent_coordinator)


@pytest.fixture
def other(other_coordinator):
    return signed_in(other_coordinator)


@pytest.fixture
def national(national_admin):
    return signed_in(national_admin)
