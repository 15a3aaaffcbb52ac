"""The data dictionary stays true to the return templates and series."""

import io
from pathlib import Path

from django.core.management import call_command

from reports.returns import all_templates

DICTIONARY = (Path(__file__).resolve().parent.parent / "docs" / "data-dictionary.md").read_text()
START, END = "<!-- describe_returns:start -->", "<!-- describe_returns:end -->"


def test_data_dictionary_names_every_table_row_and_column_of_every_template():
    missing = []
    for template in all_templates().values():
        if f"`{template.key}`" not in DICTIONARY:
            missing.append(template.key)
        for table in template.tables:
            keys = [table.key] + [r.key for r in table.rows] + [c.key for c in table.columns]
            missing += [key for key in keys if f"`{key}`" not in DICTIONARY]
    assert missing == []


def test_data_dictionary_holds_the_output_of_describe_returns():
    assert DICTIONARY.count(START) == 1 and DICTIONARY.count(END) == 1, (
        f"docs/data-dictionary.md must hold the lines {START} and {END} once each."
    )
    block = DICTIONARY.split(START)[1].split(END)[0]
    out = io.StringIO()
    call_command("describe_returns", stdout=out)
    assert block.strip("\n") == out.getvalue().strip("\n"), (
        "docs/data-dictionary.md is out of date with the return templates and series: run "
        "`python manage.py describe_returns` and paste its output between the lines "
        f"{START} and {END}."
    )
