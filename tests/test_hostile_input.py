"""Whatever is typed into the return, the answer is a clear message or a save: never a 500."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.models import AnnualReport
from reports.returns import CellValue
from reports.validation import check_figures, parse_cell
from tests.factories import RETURN_2010_11, consistent_figures, make_report, open_year

TABLE = RETURN_2010_11.table("eligible_offenders")
CELL_NAMES = [
    f"cell__{ref.row}__{ref.column}"
    for ref, row, column in TABLE.cell_refs()
    if TABLE.is_applicable(row, column)
]
cell_text = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-10, max_value=2_000_000).map(str),
    st.sampled_from(["", "[x]", "[c]", "[z]", "x", "1,185", " 7 ", "0", "1e3", "٣"]),
)


@pytest.fixture
def draft(db):
    return make_report("kent", year=open_year(2010), status=AnnualReport.Status.DRAFT, figures={})


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells=st.dictionaries(st.sampled_from(CELL_NAMES), cell_text, max_size=len(CELL_NAMES)),
    version=st.one_of(st.just(None), st.text(max_size=5), st.integers(-5, 5)),
)
def test_random_input_to_a_table_never_errors_or_half_saves(kent, draft, cells, version):
    draft.refresh_from_db()
    before = (draft.version, draft.cell_values())
    data = {**cells, "version": draft.version if version is None else version}
    response = kent.post("/manage/reports/2010-11/kent/tables/eligible_offenders/", data)
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    if response.status_code == 200:
        assert (draft.version, draft.cell_values()) == before  # refused: nothing changed
        assert "There is a problem" in response.content.decode()


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=3000), title=st.text(max_size=300))
def test_random_text_never_errors(kent, draft, text, title):
    draft.refresh_from_db()
    response = kent.post(
        "/manage/reports/2010-11/kent/introduction/",
        {"version": draft.version, "title": title, "text": text},
    )
    assert response.status_code in (200, 302)


@given(st.text(max_size=40))
def test_parse_cell_either_reads_a_value_or_explains(text):
    try:
        value = parse_cell(text)
    except ValueError as error:
        assert str(error)
    else:
        assert value is None or isinstance(value, CellValue)


@given(seed=st.integers(0, 10_000), cell=st.integers(0, 56), delta=st.integers(1, 50))
def test_any_single_change_to_a_consistent_return_is_caught_or_harmless(seed, cell, delta):
    values = consistent_figures(RETURN_2010_11, seed)
    assert check_figures(RETURN_2010_11, values, complete=True) == []
    refs = RETURN_2010_11.applicable_cells()
    ref = refs[cell % len(refs)]
    values[ref] = CellValue.of(values[ref].value + delta)
    problems = check_figures(RETURN_2010_11, values, complete=True)
    in_a_sum = any(ref == r.total or ref in r.parts for r in RETURN_2010_11.sum_rules())
    if in_a_sum:
        assert any(ref in p.cells for p in problems)
