"""Imports write in bulk: history for every changed cell, queries that do not grow per report."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from reports import resources
from reports.models import AnnualReport, Area, Figure
from reports.returns import CellRef, CellValue
from tests.factories import RETURN_2010_11, consistent_figures, make_report, make_year, open_year
from tests.test_import_export import staff  # noqa: F401  (the national team in the admin)

pytestmark = pytest.mark.django_db
Status = AnnualReport.Status
HEADER = "year,area,table,row,column,value\n"
#: Cells of the 2010-11 return in no rule: any value keeps a report consistent.
SOPOS = CellRef("restrictive_orders", "sopos", "number")
FREE = (
    CellRef("rso_breaches", "rsos", "number"),
    SOPOS,
    CellRef("restrictive_orders", "nos", "number"),
)


def tidy(reports: dict[str, dict[CellRef, CellValue]], label: str = "2010-11") -> str:
    """A file giving each area's cells for the year."""
    return HEADER + "".join(
        f"{label},{slug},{ref.table},{ref.row},{ref.column},{RETURN_2010_11.text(ref, value)}\n"
        for slug, values in reports.items()
        for ref, value in values.items()
    )


def import_text(tmp_path, text: str) -> str:
    path = tmp_path / "figures.csv"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("import_figures", str(path), stdout=out, verbosity=0)
    return out.getvalue()


def queries_to_import(tmp_path, text: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        import_text(tmp_path, text)
    return len(captured)


def slugs(count: int) -> list[str]:
    return list(Area.objects.order_by("name").values_list("slug", flat=True)[:count])


def confirm_in_admin(client, text: str) -> None:
    """Upload `text` to the admin's import, then confirm its preview."""
    preview = client.post(
        "/admin/reports/figure/import/",
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("figures.csv", text.encode(), "text/csv"),
        },
    )
    form = {
        name: value
        for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', preview.content.decode())
        if name != "csrfmiddlewaretoken"
    }
    assert client.post("/admin/reports/figure/process_import/", form).status_code == 302


def test_an_import_records_each_changed_cell_with_the_person_who_imported_it(staff):  # noqa: F811
    year = make_year(2010)
    kent = make_report("kent", year=year, status=Status.DRAFT)
    sopos = kent.cell_values()[SOPOS].value
    before = Figure.history.filter(report_id=kent.pk).count()
    essex_cells = {ref: CellValue.of(n) for n, ref in enumerate(FREE, start=3)}
    text = tidy(
        {
            "kent": {**kent.cell_values(), SOPOS: CellValue.of(sopos + 1)},  # one cell changes
            "essex": essex_cells,  # a new report
        }
    )
    confirm_in_admin(staff, text)
    importer = get_user_model().objects.get(username="nat@justice.example.gov.uk")
    kent_history = Figure.history.filter(report_id=kent.pk)
    assert kent_history.count() == before + 1  # unchanged cells record nothing
    change = kent_history.latest("history_id")
    assert (change.history_type, change.history_user, change.value) == ("~", importer, sopos + 1)
    essex = AnnualReport.objects.get(area__slug="essex")
    created = Figure.history.filter(report_id=essex.pk)
    # The given cells and the not-applicable ones, each recorded once, by the importer.
    assert created.count() == essex.figures.count() == len(FREE) + 7
    assert set(created.values_list("history_type", "history_user")) == {("+", importer.pk)}
    assert {(r.table, r.row, r.column) for r in created} == {
        (f.table, f.row, f.column) for f in essex.figures.all()
    }
    assert essex.history.get().history_user == importer  # the draft it created
    page = staff.get("/manage/reports/2010-11/kent/history/").content.decode()
    assert escape(RETURN_2010_11.describe(SOPOS)) in page
    assert f'<td class="govuk-table__cell">{sopos + 1}</td>' in page
    assert importer.get_username() in page


def test_clearing_a_cell_records_its_deletion_with_who_cleared_it(kent, kent_coordinator):
    draft = make_report("kent", year=open_year(2011), status=Status.DRAFT, figures={})
    kent.post(
        "/manage/reports/2011-12/kent/tables/rso_breaches/",
        {"version": draft.version, "cell__rsos__number": "21"},
    )
    kent.post(
        "/manage/reports/2011-12/kent/tables/rso_breaches/",
        {"version": draft.version + 1, "cell__rsos__number": ""},
    )
    assert not draft.figures.filter(table="rso_breaches").exists()
    records = Figure.history.filter(report_id=draft.pk, table="rso_breaches").order_by("history_id")
    assert [(r.history_type, r.value, r.history_user) for r in records] == [
        ("+", 21, kent_coordinator),
        ("-", 21, kent_coordinator),
    ]


@pytest.mark.parametrize("existing", [False, True], ids=["new drafts", "existing drafts"])
def test_an_import_takes_as_many_queries_for_ten_reports_as_for_two(tmp_path, existing):
    """Reading, checking, claiming, creating and writing are each one query for all reports.

    Both files hold about the same number of figures (two whole reports, or ten reports of
    a few cells), so that rows split into batches (SQLite takes at most 999 parameters a
    statement) do not blur the count: the count is exactly the same.
    """
    year = make_year(2010)
    two, ten = slugs(2), slugs(12)[2:]
    if existing:
        for slug in two + ten:
            make_report(slug, year=year, status=Status.DRAFT, figures={})
    whole = {slug: consistent_figures(RETURN_2010_11, seed=n) for n, slug in enumerate(two)}
    few = {slug: {ref: CellValue.of(n) for ref in FREE} for n, slug in enumerate(ten)}
    assert queries_to_import(tmp_path, tidy(few)) == queries_to_import(tmp_path, tidy(whole))
    assert AnnualReport.objects.count() == 12
    assert Figure.objects.count() == 2 * 57 + 10 * (len(FREE) + 7)


def test_more_figures_take_only_more_batches_of_rows(tmp_path):
    """Ten whole reports (570 figures) take barely more queries than two (114)."""
    make_year(2010)
    files = [
        tidy({slug: consistent_figures(RETURN_2010_11, seed=n) for n, slug in enumerate(areas)})
        for areas in (slugs(2), slugs(12)[2:])
    ]
    two, ten = (queries_to_import(tmp_path, text) for text in files)
    assert ten - two <= (10 - 2) * 57 // 100  # far less than a statement per report
    assert Figure.objects.count() == 12 * 57


def test_a_report_saved_while_the_file_is_checked_is_not_overwritten(tmp_path, monkeypatch):
    """The import claims every report's version at once; one saved meanwhile fails it."""
    year = make_year(2010)
    kent = make_report("kent", year=year, status=Status.DRAFT)
    essex = make_report("essex", year=year, status=Status.DRAFT)
    AnnualReport.objects.filter(pk=essex.pk).update(version=F("version") + 4)  # versions differ
    text = tidy(
        {
            "essex": {SOPOS: CellValue.of(7)},
            "kent": {SOPOS: CellValue.of(8)},
        }
    )
    check = resources.check_figures
    saves = []

    def a_coordinator_saves_kent_meanwhile(*args, **kwargs):
        if not saves:  # once: Kent is then exactly the version the import's claim would make
            saves.append(AnnualReport.objects.filter(pk=kent.pk).update(version=F("version") + 1))
        return check(*args, **kwargs)

    monkeypatch.setattr(resources, "check_figures", a_coordinator_saves_kent_meanwhile)
    before = {r.pk: (r.version, r.cell_values()) for r in AnnualReport.objects.all()}
    with pytest.raises(CommandError) as refused:
        import_text(tmp_path, text)
    assert str(refused.value).endswith(
        "1 problem(s):\nLine 3: the Kent 2010-11 report changed while the file was being "
        "checked: import it again."
    )
    # Nothing imported, Essex not claimed (the save "meanwhile" ran in the same transaction).
    assert {r.pk: (r.version, r.cell_values()) for r in AnnualReport.objects.all()} == before
