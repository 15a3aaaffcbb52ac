"""The read-only JSON API and its OpenAPI document."""

import pytest

from reports.models import AnnualReport
from tests.factories import make_report, make_year

pytestmark = pytest.mark.django_db


def test_openapi_document_describes_every_endpoint(client, db):
    document = client.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "MAPPA Portal API"
    assert set(document["paths"]) == {
        "/api/v1/years",
        "/api/v1/areas",
        "/api/v1/reports/{year}",
        "/api/v1/reports/{year}/{area}",
        "/api/v1/national/{year}",
        "/api/v1/series",
        "/api/v1/series/{key}",
    }


def test_years_and_areas(client, demo):
    years = client.get("/api/v1/years").json()
    assert {"label": "2010-11", "published_areas": 2}.items() <= years[-1].items()
    assert years[0]["label"] == "2025-26"
    areas = client.get("/api/v1/areas").json()
    assert len(areas) == 42
    assert {"slug": "gwent", "name": "Gwent", "nation": "Wales"} in areas


def test_report_figures(client, demo):
    data = client.get("/api/v1/reports/2010-11/kent").json()
    assert (data["area_name"], data["revision"], len(data["figures"])) == ("Kent", 1, 57)
    first = data["figures"][0]
    assert first == {
        "table": "eligible_offenders",
        "row": "level_1",
        "column": "category_1",
        "value": 1185,
        "status": "value",
        "provisional": False,
        "revised": False,
        "break_in_series": False,
    }
    listed = client.get("/api/v1/reports/2010-11").json()
    assert [r["area"] for r in listed] == ["cambridgeshire-and-peterborough", "kent"]


def test_national_summary(client, demo):
    data = client.get("/api/v1/national/2010-11").json()
    assert data["published_areas"] == ["cambridgeshire-and-peterborough", "kent"]
    assert data["rate_per_100000"] == 81
    level_1 = next(f for f in data["figures"] if (f["row"], f["column"]) == ("level_1", "total"))
    assert level_1["value"] == 1534 + 666


@pytest.mark.parametrize(
    "url",
    ["/api/v1/reports/2099-00", "/api/v1/reports/2010-11/atlantis", "/api/v1/national/nope",
     "/api/v1/reports/2010-11/essex"],
)  # fmt: skip
def test_unknown_or_unpublished_is_404_with_a_message(client, demo, url):
    make_report("essex", year=make_year(2010), status=AnnualReport.Status.APPROVED)
    response = client.get(url)
    assert response.status_code == 404
    assert response.json()["detail"]


def test_the_api_is_read_only(client, demo):
    assert client.post("/api/v1/years").status_code == 405
