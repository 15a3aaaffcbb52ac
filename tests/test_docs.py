"""The docs stay true to the code: the data dictionary to the return templates and series,
and every link between the docs to a file that exists."""

import io
import re
from pathlib import Path

from django.core.management import call_command

from reports.returns import all_templates

ROOT = Path(__file__).resolve().parent.parent
DICTIONARY = (ROOT / "docs" / "data-dictionary.md").read_text()
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


def _markdown_files() -> list[Path]:
    return [
        ROOT / "README.md",
        *sorted((ROOT / "docs").glob("*.md")),
        ROOT / "benchmarks" / "README.md",
    ]


def test_every_relative_link_in_the_docs_leads_to_a_file():
    broken = []
    for page in _markdown_files():
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a web address, or a heading on the same page
            if not (page.parent / target.split("#")[0]).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_the_readme_lists_every_page_in_docs():
    readme = (ROOT / "README.md").read_text()
    unlisted = [
        page.name
        for page in sorted((ROOT / "docs").glob("*.md"))
        if f"(docs/{page.name})" not in readme
    ]
    assert unlisted == []
