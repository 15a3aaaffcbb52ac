"""The return template: one declaration of the tables drives layout, totals and cells."""

import datetime

from reports.returns import (
    CellRef,
    CellStatus,
    CellValue,
    Column,
    ReturnTemplate,
    Row,
    RowGroup,
    Table,
)
from reports.validation import check_figures
from tests.factories import RETURN_2010_11

CATEGORY_COLUMNS = RETURN_2010_11.table("eligible_offenders").columns


def test_2010_11_return_has_the_six_tables_of_the_published_reports():
    assert [t.key for t in RETURN_2010_11.tables] == [
        "eligible_offenders",
        "levels_2_3_yearly",
        "rso_breaches",
        "restrictive_orders",
        "returns_to_custody",
        "rso_rate",
    ]


def test_2010_11_return_has_57_cells_of_which_7_are_not_applicable():
    cells = list(RETURN_2010_11.cells())
    assert len(cells) == 57
    assert set(RETURN_2010_11.not_applicable_cells()) == {
        CellRef("eligible_offenders", "level_1", "category_3"),
        *(
            CellRef("returns_to_custody", row, column)
            for row in ("sopo_level_2", "sopo_level_3", "sopo_total")
            for column in ("category_2", "category_3")
        ),
    }


def test_snapshot_title_names_the_years_31_march():
    table = RETURN_2010_11.table("eligible_offenders")
    assert (
        table.title_for(datetime.date(2011, 3, 31)) == "MAPPA-eligible offenders on 31 March 2011"
    )


def test_totals_are_derived_from_rows_and_columns_marked_as_totals():
    rules = {r.total: r for r in RETURN_2010_11.table("eligible_offenders").sum_rules()}
    level_1 = rules[CellRef("eligible_offenders", "level_1", "total")]
    # Category 3 does not apply at Level 1, so it is not part of the Level 1 total.
    assert [p.column for p in level_1.parts] == ["category_1", "category_2"]
    grand = rules[CellRef("eligible_offenders", "total", "total")]
    assert [p.column for p in grand.parts] == ["category_1", "category_2", "category_3"]
    category_3 = rules[CellRef("eligible_offenders", "total", "category_3")]
    assert [p.row for p in category_3.parts] == ["level_2", "level_3"]


def test_sopo_breaches_total_is_category_1_only():
    rules = {r.total: r for r in RETURN_2010_11.table("returns_to_custody").sum_rules()}
    total = rules[CellRef("returns_to_custody", "sopo_level_2", "total")]
    assert total.parts == (CellRef("returns_to_custody", "sopo_level_2", "category_1"),)
    assert CellRef("returns_to_custody", "sopo_total", "category_2") not in rules


def test_display_uses_thousands_separators_and_dash_for_not_applicable():
    assert CellValue.of(1534).display() == "1,534"
    assert CellValue.of(0).display() == "0"
    assert CellValue(CellStatus.NOT_APPLICABLE).display() == "-"
    assert CellValue(CellStatus.WITHHELD).shorthand == "[c]"


def test_a_blank_is_never_a_value():
    for status, value in [(CellStatus.VALUE, None), (CellStatus.NOT_AVAILABLE, 3)]:
        try:
            CellValue(status, value)
        except ValueError:
            continue
        raise AssertionError(f"{status} with {value} was accepted")


def test_a_new_years_template_is_only_a_declaration():
    """Later years replaced SOPOs with SHPOs: declaring the table is all it takes."""
    orders = Table(
        key="restrictive_orders",
        title="Restrictive orders for Category 1 offenders",
        subtitle="SHPOs, SHPOs with foreign travel restriction & NOs imposed by the courts",
        short_name="Restrictive orders",
        columns=(Column("number", "Number"),),
        groups=(
            RowGroup(
                "",
                (
                    Row("shpos", "SHPOs"),
                    Row("shpos_travel", "SHPOs with foreign travel restriction"),
                    Row("nos", "NOs"),
                ),
            ),
        ),
    )
    breaches = Table(
        key="breaches",
        title="Breaches",
        short_name="Breaches",
        columns=CATEGORY_COLUMNS,
        groups=(
            RowGroup(
                "Breach of SHPO",
                (
                    Row("shpo_level_2", "Level 2"),
                    Row("shpo_total", "Total", is_total=True),
                ),
            ),
        ),
    )
    later = ReturnTemplate(
        key="test-later",
        description="A later year's return",
        tables=(orders, breaches),
    )
    assert len(later.applicable_cells()) == 3 + 8
    layout = later.layout(
        {CellRef("restrictive_orders", "shpos", "number"): CellValue.of(12)},
        datetime.date(2016, 3, 31),
    )
    assert [row.row.label for row in layout[0].groups[0].rows] == [
        "SHPOs",
        "SHPOs with foreign travel restriction",
        "NOs",
    ]
    assert layout[0].groups[0].rows[0].cells[0].display == "12"
    problems = check_figures(
        later,
        {
            CellRef("breaches", "shpo_level_2", "category_1"): CellValue.of(2),
            CellRef("breaches", "shpo_total", "category_1"): CellValue.of(3),
        },
        complete=False,
    )
    assert [p.message for p in problems] == [
        "Breaches: Breach of SHPO, Category 1 total is 3 but Level 2 (2) = 2."
    ]
