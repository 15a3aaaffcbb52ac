"""The rules of a return, explained in plain sentences naming cells and numbers."""

from reports.returns import CellRef, CellStatus, CellValue
from reports.validation import check_figures
from tests.factories import RETURN_2010_11, consistent_figures


def kent_snapshot() -> dict[CellRef, CellValue]:
    """Kent's 31 March table with Category 2 at Level 1 mistyped as 348 (not 349)."""
    values = {}
    figures = {
        ("level_1", "category_1"): 1185,
        ("level_1", "category_2"): 348,
        ("level_1", "total"): 1534,
        ("level_2", "category_1"): 53,
        ("level_2", "category_2"): 74,
        ("level_2", "category_3"): 29,
        ("level_2", "total"): 156,
        ("level_3", "category_1"): 1,
        ("level_3", "category_2"): 0,
        ("level_3", "category_3"): 0,
        ("level_3", "total"): 1,
        ("total", "category_1"): 1239,
        ("total", "category_2"): 422,
        ("total", "category_3"): 29,
        ("total", "total"): 1690,
    }
    for (row, column), number in figures.items():
        values[CellRef("eligible_offenders", row, column)] = CellValue.of(number)
    return values


def test_consistent_figures_have_no_problems():
    assert check_figures(RETURN_2010_11, consistent_figures(RETURN_2010_11), complete=True) == []


def test_wrong_total_names_the_total_its_parts_and_the_sum():
    problems = check_figures(RETURN_2010_11, kent_snapshot(), complete=False)
    assert [p.message for p in problems] == [
        "MAPPA-eligible offenders on 31 March: Level 1 total is 1,534 "
        "but Category 1 (1,185) + Category 2 (348) = 1,533."
    ]
    assert problems[0].cell == CellRef("eligible_offenders", "level_1", "total")


def test_wrong_column_total_is_reported():
    values = consistent_figures(RETURN_2010_11)
    ref = CellRef("levels_2_3_yearly", "total", "category_2")
    values[ref] = CellValue.of(values[ref].value + 1)
    problems = check_figures(RETURN_2010_11, values, complete=True)
    messages = [p.message for p in problems]
    assert any(m.startswith("Levels 2 and 3 yearly total: Category 2 total is") for m in messages)
    assert any("overall total" in m for m in messages)


def test_complete_return_needs_every_applicable_cell():
    values = consistent_figures(RETURN_2010_11)
    del values[CellRef("restrictive_orders", "nos", "number")]
    problems = check_figures(RETURN_2010_11, values, complete=True)
    assert [p.message for p in problems] == ["Enter Restrictive orders: NOs."]
    assert check_figures(RETURN_2010_11, values, complete=False) == []


def test_not_applicable_cell_cannot_hold_a_figure():
    values = consistent_figures(RETURN_2010_11)
    values[CellRef("eligible_offenders", "level_1", "category_3")] = CellValue.of(0)
    problems = check_figures(RETURN_2010_11, values, complete=True)
    assert [p.message for p in problems] == [
        "MAPPA-eligible offenders on 31 March: Level 1, Category 3: Other dangerous offenders "
        "is not applicable: leave it as “-”."
    ]


def test_withheld_cells_are_allowed_and_skip_the_sums_they_belong_to():
    values = consistent_figures(RETURN_2010_11)
    values[CellRef("eligible_offenders", "level_3", "category_1")] = CellValue(CellStatus.WITHHELD)
    assert check_figures(RETURN_2010_11, values, complete=True) == []


def test_unknown_cell_is_reported():
    values = {CellRef("eligible_offenders", "level_9", "total"): CellValue.of(1)}
    problems = check_figures(RETURN_2010_11, values, complete=False)
    assert problems[0].message == (
        "eligible_offenders.level_9.total is not a cell of the 2010-11 return."
    )
