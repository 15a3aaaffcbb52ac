"""Template and series files: malformed ones are refused in plain words, the shipped ones load.

Each test of a malformed file starts from a small valid template (`MINIMAL`), breaks one thing
and checks that the message names the file, the place in it and the problem.
"""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from reports import returns
from reports.returns import CellRef, TemplateError, get_template, series_break, template_for_year
from reports.returns.loader import load_declarations, load_series_file, load_template_file

TEMPLATES_DIR = Path(returns.__file__).resolve().parent / "templates"
SERIES_FILE = Path(returns.__file__).resolve().parent / "series.toml"

MINIMAL = """\
key = "minimal"
description = "A small template for tests"
first_year = "2030-31"

[column_sets]
number = [{ key = "number", label = "Number" }]

[[tables]]
key = "counts"
title = "Offenders on {snapshot_date}"
short_name = "Offenders on 31 March"
columns = [
  { key = "men", label = "Men" },
  { key = "women", label = "Women" },
  { key = "total", label = "Total", total = true },
]

[[tables.groups]]
rows = [
  { key = "level_1", label = "Level 1", not_applicable = ["women"] },
  { key = "level_2", label = "Level 2" },
  { key = "total", label = "Total", total = true },
]

[[tables]]
key = "yearly"
title = "Offenders at Level 2 during the year"
short_name = "Level 2 yearly"
columns = "number"

[[tables.groups]]
rows = [
  { key = "level_2", label = "Level 2" },
]

[[tables]]
key = "rate"
title = "Offenders per 100,000 population"
short_name = "Rate"
columns = "number"

[[tables.groups]]
rows = [
  { key = "per_100000", label = "Per 100,000 population", decimals = 1 },
]

[[at_most]]
reason = "the yearly count must be at least the count on 31 March"
pairs = [["counts.level_2.men", "yearly.level_2.number"]]

[rate]
count = "counts.total.total"
rate = "rate.per_100000.number"
count_label = "offenders on 31 March"

[series]
counted = "counts.total.total"
yearly = { cells = "yearly.level_2.number", break = "Counted differently from 2030-31." }
"""

SERIES = """\
[[series]]
key = "counted"
label = "Offenders on 31 March"
compare = true

[[series]]
key = "yearly"
label = "Offenders at Level 2 during the year"
headline = true

[[series]]
key = "yearly_share"
label = "Yearly as a share of those counted (%)"
share_of = ["yearly", "counted"]
"""


def changed(text: str, old: str, new: str) -> str:
    """`text` with its one `old` replaced by `new` (the test fails if `old` is not there)."""
    assert text.count(old) == 1, f"{old!r} is not in the text exactly once"
    return text.replace(old, new)


def minimal_with(old: str, new: str) -> str:
    return changed(MINIMAL, old, new)


@pytest.fixture
def series(tmp_path):
    path = tmp_path / "series.toml"
    path.write_text(SERIES, "utf-8")
    return load_series_file(path)


@pytest.fixture
def refusal(tmp_path, series):
    """The message refusing a template file with the given text (and name)."""

    def load(text: str, name: str = "minimal.toml") -> str:
        path = tmp_path / "templates" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, "utf-8")
        with pytest.raises(TemplateError) as raised:
            load_template_file(path, series)
        assert str(raised.value) == "\n".join(raised.value.problems)
        return str(raised.value)

    return load


@pytest.fixture
def series_refusal(tmp_path):
    """The message refusing a series file with the given text."""

    def load(text: str) -> str:
        path = tmp_path / "my-series.toml"
        path.write_text(text, "utf-8")
        with pytest.raises(TemplateError) as raised:
            load_series_file(path)
        return str(raised.value)

    return load


# --- The starting point is valid ------------------------------------------------------------


def test_the_minimal_template_loads(tmp_path, series):
    path = tmp_path / "minimal.toml"
    path.write_text(MINIMAL, "utf-8")
    loaded = load_template_file(path, series)
    assert [t.key for t in loaded.template.tables] == ["counts", "yearly", "rate"]
    assert loaded.template.first_year == 2030
    assert loaded.series_cells["yearly"] == (CellRef("yearly", "level_2", "number"),)
    assert loaded.series_breaks == {"yearly": "Counted differently from 2030-31."}


# --- Template files -------------------------------------------------------------------------


def test_unknown_key_at_the_top_is_refused_with_the_keys_allowed(refusal):
    message = refusal(
        minimal_with('first_year = "2030-31"\n', 'first_year = "2030-31"\ncolour = 1\n')
    )
    assert message.startswith("minimal.toml: unknown key “colour”")
    assert "the keys allowed here are" in message
    assert "first_year" in message


def test_unknown_key_in_a_table_is_refused_with_its_place(refusal):
    message = refusal(
        minimal_with(
            'short_name = "Level 2 yearly"\n', 'short_name = "Level 2 yearly"\nnote = "x"\n'
        )
    )
    assert "minimal.toml: table 2: unknown key “note”" in message


def test_unknown_key_in_a_row_is_refused_with_its_place(refusal):
    message = refusal(
        minimal_with(
            '{ key = "level_2", label = "Level 2" },\n  { key = "total"',
            '{ key = "level_2", label = "Level 2", colour = "red" },\n  { key = "total"',
        )
    )
    assert "minimal.toml: table “counts”, group 1, row 2: unknown key “colour”" in message


def test_missing_required_key_is_named(refusal):
    message = refusal(minimal_with('short_name = "Rate"\n', ""))
    assert "minimal.toml: table 3: “short_name” is missing." in message


def test_missing_required_key_at_the_top_is_named(refusal):
    message = refusal(minimal_with('description = "A small template for tests"\n', ""))
    assert message == "minimal.toml: “description” is missing."


def test_duplicate_table_key_is_refused(refusal):
    message = refusal(minimal_with('key = "rate"\n', 'key = "yearly"\n'))
    assert "minimal.toml: tables: the table key “yearly” is used twice." in message


def test_duplicate_row_key_is_refused(refusal):
    level_2 = '{ key = "level_2", label = "Level 2" },\n  { key = "total"'
    message = refusal(minimal_with(level_2, level_2.replace("level_2", "level_1")))
    assert "minimal.toml: table “counts”: the row key “level_1” is used twice." in message


def test_duplicate_column_key_is_refused(refusal):
    message = refusal(
        minimal_with(
            '{ key = "women", label = "Women" },',
            '{ key = "women", label = "Women" },\n  { key = "men", label = "Men again" },',
        )
    )
    assert "minimal.toml: table “counts”: the column key “men” is used twice." in message


def test_duplicate_column_key_in_a_column_set_is_refused(refusal):
    message = refusal(
        minimal_with(
            'number = [{ key = "number", label = "Number" }]',
            'number = [{ key = "number", label = "Number" }, { key = "number", label = "Again" }]',
        )
    )
    assert "minimal.toml: column set “number”: the column key “number” is used twice." in message


def test_total_column_with_no_parts_is_refused(refusal):
    # A table whose only column is marked total has nothing for it to add up.
    message = refusal(
        minimal_with(
            'short_name = "Rate"\ncolumns = "number"',
            'short_name = "Rate"\ncolumns = [{ key = "number", label = "Number", total = true }]',
        )
    )
    assert "minimal.toml: table “rate”: " in message
    assert "(rate.per_100000.number) is a total without parts" in message
    assert "do not mark it as a total" in message


def test_total_row_with_no_parts_is_refused(refusal):
    # A group whose only row is marked total has nothing for it to add up.
    message = refusal(
        minimal_with(
            '{ key = "level_2", label = "Level 2" },\n]',
            '{ key = "level_2", label = "Level 2", total = true },\n]',
        )
    )
    assert "minimal.toml: table “yearly”: Number total (yearly.level_2.number) is a total " in (
        message
    )
    assert "without parts" in message


def test_at_most_rule_naming_a_missing_cell_is_refused(refusal):
    message = refusal(minimal_with('"yearly.level_2.number"]]', '"yearly.level_3.number"]]'))
    assert "minimal.toml: at_most rule (" in message
    assert "names the cell yearly.level_3.number, which the template does not have." in message


def test_at_most_rule_naming_a_missing_table_is_refused(refusal):
    message = refusal(minimal_with('[["counts.level_2.men"', '[["tallies.level_2.men"'))
    assert "names the cell tallies.level_2.men, which the template does not have." in message


def test_at_most_rule_with_a_cell_not_written_as_table_row_column_is_refused(refusal):
    message = refusal(minimal_with('[["counts.level_2.men"', '[["counts.level_2"'))
    assert "minimal.toml: at_most rule 1: “counts.level_2” is not a cell" in message
    assert "table.row.column" in message


def test_at_most_problem_names_the_pair_within_its_own_rule(refusal):
    # The second rule's first (and only) pair is wrong: it is pair 1 of that rule.
    message = refusal(
        minimal_with(
            "[rate]",
            '[[at_most]]\nreason = "a second rule"\n'
            'pairs = [["counts.level_2.men", "yearly.level_9.number"]]\n\n[rate]',
        )
    )
    assert "minimal.toml: at_most rule (a second rule" in message
    assert "pair 1: names the cell yearly.level_9.number" in message


def test_rate_rule_naming_a_not_applicable_cell_is_refused(refusal):
    message = refusal(
        minimal_with('count = "counts.total.total"', 'count = "counts.level_1.women"')
    )
    assert (
        "minimal.toml: rate: names the cell counts.level_1.women, which is not applicable."
        in message
    )


def test_not_applicable_naming_a_missing_column_is_refused(refusal):
    message = refusal(minimal_with('not_applicable = ["women"]', 'not_applicable = ["children"]'))
    assert (
        "minimal.toml: table “counts”, group 1, row “level_1”: “not_applicable” names "
        "“children”, which is not a column." in message
    )


@pytest.mark.parametrize("decimals", ["4", "-1", "1.5", "true", '"1"'])
def test_decimals_out_of_range_are_refused(refusal, decimals):
    message = refusal(minimal_with("decimals = 1", f"decimals = {decimals}"))
    assert (
        "minimal.toml: table “rate”, group 1, row “per_100000”: "
        "“decimals” must be a whole number from 0 to 3." in message
    )


def test_invalid_toml_is_refused_with_the_line(refusal):
    message = refusal(minimal_with('short_name = "Rate"', 'short_name = "Rate'))
    line = MINIMAL.splitlines().index('short_name = "Rate"') + 1
    assert message.startswith("minimal.toml: this is not valid TOML (")
    assert f"at line {line}," in message


@pytest.mark.parametrize("key", ["Level_1", "1st_level", "level-1", "level 1", "level_1\\n"])
def test_row_key_that_cannot_appear_in_an_address_is_refused(refusal, key):
    message = refusal(minimal_with('{ key = "level_1"', f'{{ key = "{key}"'))
    assert "minimal.toml: table “counts”, group 1, row 1: the key “" in message
    assert "must start with a letter and hold only lower-case letters, digits and underscores" in (
        message
    )


def test_file_key_must_be_the_file_name(refusal):
    message = refusal(MINIMAL, name="2030-31.toml")
    assert (
        "2030-31.toml: the key “minimal” must be the file's name without .toml (2030-31)."
        in message
    )


def test_malformed_first_year_is_refused(refusal):
    message = refusal(minimal_with('first_year = "2030-31"', 'first_year = "2030-32"'))
    assert "minimal.toml: “first_year” must be a reporting year like 2015-16, not “2030-32”." in (
        message
    )


@pytest.mark.parametrize("title", ["On {snapshot_date} in {area}", "On {}", "On {0}"])
def test_title_with_an_unknown_placeholder_is_refused(refusal, title):
    message = refusal(minimal_with('title = "Offenders on {snapshot_date}"', f'title = "{title}"'))
    assert (
        "minimal.toml: table “counts”: the title may hold only {snapshot_date} "
        "(the year's 31 March) in braces." in message
    )


def test_series_entry_naming_an_unknown_series_is_refused(refusal):
    message = refusal(minimal_with("[series]\n", '[series]\nrecounted = "counts.total.men"\n'))
    assert (
        "minimal.toml: series “recounted”: there is no series “recounted” in series.toml."
        in message
    )


def test_series_naming_a_missing_cell_is_refused(refusal):
    message = refusal(
        minimal_with('counted = "counts.total.total"', 'counted = "counts.all.total"')
    )
    assert (
        "minimal.toml: series “counted”: names the cell counts.all.total, "
        "which the template does not have." in message
    )


def test_series_naming_a_not_applicable_cell_is_refused(refusal):
    message = refusal(
        minimal_with('counted = "counts.total.total"', 'counted = "counts.level_1.women"')
    )
    assert (
        "minimal.toml: series “counted”: names the cell counts.level_1.women, "
        "which is not applicable." in message
    )


def test_series_that_is_a_share_cannot_be_given_cells(refusal):
    message = refusal(minimal_with("[series]\n", '[series]\nyearly_share = "counts.total.men"\n'))
    assert "minimal.toml: series “yearly_share”: this series is a share of two other" in message


def test_every_problem_of_a_file_is_reported_at_once(refusal):
    text = minimal_with('short_name = "Level 2 yearly"\n', 'short_name = "Level 2 yearly"\nx = 1\n')
    text = changed(text, 'not_applicable = ["women"]', 'not_applicable = ["girls"]')
    message = refusal(text)
    assert "unknown key “x”" in message
    assert "“not_applicable” names “girls”" in message


# --- Series files ---------------------------------------------------------------------------


def test_unknown_key_in_a_series_is_refused(series_refusal):
    message = series_refusal(changed(SERIES, "compare = true\n", "compare = true\ncolour = 1\n"))
    assert "my-series.toml: series 1: unknown key “colour”" in message
    assert "the keys allowed here are" in message


def test_duplicate_series_key_is_refused(series_refusal):
    message = series_refusal(changed(SERIES, 'key = "yearly"\n', 'key = "counted"\n'))
    assert "my-series.toml: series “counted”: the series key “counted” is used twice." in message


def test_share_of_naming_an_unknown_series_is_refused(series_refusal):
    message = series_refusal(
        changed(SERIES, 'share_of = ["yearly", "counted"]', 'share_of = ["yearly", "convicted"]')
    )
    assert (
        "my-series.toml: series “yearly_share”: “share_of” names “convicted”, "
        "which is not a series of cells." in message
    )


def test_share_of_must_name_two_series(series_refusal):
    message = series_refusal(changed(SERIES, '["yearly", "counted"]', '["yearly"]'))
    assert "my-series.toml: series “yearly_share”: “share_of” must name two series" in message


# --- Everything together --------------------------------------------------------------------


def test_two_templates_with_the_same_first_year_are_reported(tmp_path):
    series_file = tmp_path / "series.toml"
    series_file.write_text(SERIES, "utf-8")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "minimal.toml").write_text(MINIMAL, "utf-8")
    (templates / "second.toml").write_text(
        minimal_with('key = "minimal"', 'key = "second"'), "utf-8"
    )
    found = load_declarations([templates], series_file)
    assert found.problems == ["second.toml: 2030-31 is already the first year of template minimal."]
    assert list(found.templates) == ["minimal"]


def test_a_bad_series_file_is_reported_and_no_template_is_loaded(tmp_path):
    series_file = tmp_path / "series.toml"
    series_file.write_text(changed(SERIES, 'key = "yearly"\n', 'key = "counted"\n'), "utf-8")
    found = load_declarations([TEMPLATES_DIR], series_file)
    assert found.templates == {}
    assert "series.toml: series “counted”: the series key “counted” is used twice." in (
        found.problems
    )


def test_a_malformed_file_stops_start_up_with_a_system_check_error(tmp_path):
    bad = minimal_with('not_applicable = ["women"]', 'not_applicable = ["children"]')
    (tmp_path / "minimal.toml").write_text(bad, "utf-8")
    with override_settings(RETURN_TEMPLATE_DIRS=[TEMPLATES_DIR, tmp_path]):
        assert returns.declarations().problems != []
        with pytest.raises(SystemCheckError) as raised:
            call_command("check")
    text = str(raised.value)
    assert "reports.E001" in text
    assert "minimal.toml: table “counts”, group 1, row “level_1”" in text
    assert "“not_applicable” names “children”, which is not a column." in text
    # The settings are back: the shipped files are read again, with no problems.
    assert returns.declarations().problems == []
    assert "minimal" not in returns.all_templates()


def test_shipped_templates_pass_the_system_check():
    call_command("check")  # raises SystemCheckError on any problem


# --- The shipped files ----------------------------------------------------------------------


def test_the_shipped_files_load_with_no_problems():
    found = load_declarations([TEMPLATES_DIR], SERIES_FILE)
    assert found.problems == []
    assert list(found.templates) == ["2010-11", "2012-13", "2015-16", "2016-17", "2023-24"]
    assert returns.declarations().problems == []
    assert list(returns.all_templates()) == list(found.templates)


@pytest.mark.parametrize(
    ("start", "template"),
    [
        (2010, "2010-11"),
        (2011, "2010-11"),
        (2012, "2012-13"),
        (2013, "2012-13"),
        (2014, "2012-13"),
        (2015, "2015-16"),
        *((start, "2016-17") for start in range(2016, 2023)),
        *((start, "2023-24") for start in range(2023, 2026)),
    ],
)
def test_every_reporting_year_gets_the_template_in_force(start, template):
    assert template_for_year(start).key == template


def test_category_4_joins_the_tables_by_category_in_2023_24():
    template = get_template("2023-24")
    for table in ("eligible_offenders", "levels_2_3_yearly", "returns_to_custody"):
        columns = [c.key for c in template.table(table).columns]
        assert "category_4" in columns, table
        assert "category_4" not in [c.key for c in get_template("2016-17").table(table).columns]


def test_shpos_and_sro_breaches_arrive_in_2015_16():
    template = get_template("2015-16")
    rows = [r.key for r in template.table("restrictive_orders").rows]
    assert rows == ["shpos", "shpos_travel", "nos"]
    assert template.table("sro_breach_notification").rows[0].key == "people"
    assert "sro_breach_notification" not in [t.key for t in get_template("2012-13").tables]


def test_lifetime_revocations_arrive_in_2012_13():
    assert get_template("2012-13").table("lifetime_revocations").is_single_value
    assert "lifetime_revocations" not in [t.key for t in get_template("2010-11").tables]


@pytest.mark.parametrize(
    ("template", "decimals"),
    [("2010-11", 0), ("2012-13", 0), ("2015-16", 0), ("2016-17", 1), ("2023-24", 1)],
)
def test_the_rate_has_one_decimal_place_from_2016_17(template, decimals):
    assert get_template(template).decimals(CellRef("rso_rate", "per_100000", "number")) == decimals


def test_sopos_then_shpos_series_breaks_at_2015_16():
    series = returns.get_series("sopos_or_shpos_imposed")
    assert series.cells_in(get_template("2010-11")) == (
        CellRef("restrictive_orders", "sopos", "number"),
    )
    assert series.cells_in(get_template("2015-16")) == (
        CellRef("restrictive_orders", "shpos", "number"),
        CellRef("restrictive_orders", "shpos_travel", "number"),
    )
    assert series_break(series, get_template("2015-16"), 2015).startswith(
        "Sexual Harm Prevention Orders (SHPOs) replaced"
    )
    assert series_break(series, get_template("2012-13"), 2012) == ""
    assert series_break(series, get_template("2016-17"), 2016) == ""
    assert series_break(series, get_template("2015-16"), 2016) == ""  # not the template's first
