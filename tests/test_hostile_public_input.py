"""Any input to the public side, the API and the import: a clear answer, never a 500."""

import io

import pytest
import schemathesis
from django.core.management import CommandError, call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok

from mappa_portal.wsgi import application
from reports.models import AnnualReport, Figure

QUICK = hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
segment = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=20),
    st.sampled_from(["2010-11", "kent", "0", "-1", "99999999999", "..", "%00", "compare"]),
)


@pytest.mark.django_db
def test_the_api_answers_every_input_as_its_openapi_document_says(demo, settings):
    """schemathesis generates requests from the OpenAPI document and checks every answer."""
    settings.ALLOWED_HOSTS = ["*"]
    # As Django's test client does: calling the WSGI app directly would otherwise close the
    # test's database connection (inside its transaction) after each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        _check_every_operation()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _check_every_operation() -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    # An operation that failed to load is an Err: left out, so the count below fails.
    operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]
    assert len(operations) == 7
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=20, deadline=None, suppress_health_check=list(HealthCheck)
        )
        def answers(case):
            response = case.call()
            assert response.status_code < 500
            case.validate_response(response)

        answers()


@pytest.mark.django_db
@QUICK
@given(year=segment, area=segment, number=st.integers(-5, 10**12))
def test_public_urls_never_error(client, demo, year, area, number):
    from urllib.parse import quote

    y, a = quote(year, safe=""), quote(area, safe="")
    for url in (
        f"/reports/{y}/{a}/",
        f"/reports/{y}/",
        f"/reports/{y}/{a}/revisions/{number}/",
        f"/reports/{y}/{a}/figures.csv",
        f"/areas/{a}/",
        f"/reports/{y}/compare/?sort={a}&order={y}",
        f"/api/v1/reports/{y}/{a}",
    ):
        assert client.get(url).status_code in (200, 404), url


cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["2010-11", "kent", "rso_breaches", "rsos", "number", "[z]", "12", "-1"]),
)


@pytest.mark.django_db
@QUICK
@given(
    header=st.one_of(st.just("year,area,table,row,column,value"), st.text(max_size=40)),
    rows=st.lists(st.lists(cell, min_size=0, max_size=8), max_size=6),
)
def test_any_import_file_is_refused_with_reasons_or_imported_whole(demo, tmp_path, header, rows):
    import csv

    buffer = io.StringIO()
    buffer.write(header + "\n")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path = tmp_path / "figures.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    before = (
        AnnualReport.objects.count(),
        list(Figure.objects.values_list("pk", "status", "value")),
    )
    try:
        call_command("import_figures", str(path), verbosity=0, stdout=io.StringIO())
    except CommandError as refused:
        assert str(refused)
        after = (
            AnnualReport.objects.count(),
            list(Figure.objects.values_list("pk", "status", "value")),
        )
        assert after == before  # refused: nothing written
