"""Figures in the tidy CSV format: every bad line is named, and nothing is half-read."""

import pytest

from reports.imports import FigureImportError, check_parsed, parse_figures_csv, parse_value
from reports.returns import CellRef, CellStatus, CellValue
from tests.factories import make_year

pytestmark = pytest.mark.django_db

HEADER = "year,area,table,row,column,value\n"


def test_values_are_whole_numbers_or_gss_shorthand():
    assert parse_value("1,185") == CellValue.of(1185)
    assert parse_value(" 0 ") == CellValue.of(0)
    assert parse_value("[z]") == CellValue(CellStatus.NOT_APPLICABLE)
    assert parse_value("[x]") == CellValue(CellStatus.NOT_AVAILABLE)
    assert parse_value("[c]") == CellValue(CellStatus.WITHHELD)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "blank"),
        ("-1", "not a whole number"),
        ("1.5", "not a whole number"),
        ("١٢", "not a whole number"),
        ("2000000", "more than the largest figure allowed"),
    ],
)
def test_bad_values_are_explained(text, message):
    with pytest.raises(ValueError, match=message):
        parse_value(text)


def test_each_bad_line_is_listed_with_its_number():
    make_year(2010)
    text = HEADER + (
        "2010-11,kent,rso_breaches,rsos,number,22\n"
        "2010-11,atlantis,rso_breaches,rsos,number,1\n"
        "2031-32,kent,rso_breaches,rsos,number,1\n"
        "2010-11,kent,rso_breaches,nope,number,1\n"
        "2010-11,kent,restrictive_orders,sopos,number,lots\n"
        "2010-11,kent,rso_breaches,rsos,number,23\n"
        "2010-11,kent,rso_rate\n"
    )
    with pytest.raises(FigureImportError) as raised:
        parse_figures_csv(text)
    assert raised.value.problems == [
        "Line 3: there is no MAPPA area “atlantis”.",
        "Line 4: there is no reporting year “2031-32”.",
        "Line 5: rso_breaches.nope.number is not a cell of the 2010-11 return.",
        "Line 6: “lots” is not a whole number of 0 or more.",
        "Line 7: rso_breaches.rsos.number for Kent 2010-11 is already given on line 2.",
        "Line 8: expected 6 values.",
    ]


def test_wrong_columns_are_refused():
    with pytest.raises(FigureImportError, match="Line 1: the columns must be"):
        parse_figures_csv("area,year,value\n")


def test_rule_problems_point_at_the_line_of_the_cell():
    make_year(2010)
    text = HEADER + (
        "2010-11,kent,eligible_offenders,level_1,category_1,1185\n"
        "2010-11,kent,eligible_offenders,level_1,category_2,348\n"
        "2010-11,kent,eligible_offenders,level_1,total,1534\n"
    )
    [parsed] = parse_figures_csv(text)
    assert parsed.values[CellRef("eligible_offenders", "level_1", "total")] == CellValue.of(1534)
    assert check_parsed(parsed, complete=False) == [
        "Line 4: MAPPA-eligible offenders on 31 March: Level 1 total is 1,534 "
        "but Category 1 (1,185) + Category 2 (348) = 1,533."
    ]
