"""The data dictionary stays true to the return templates."""

from pathlib import Path

from reports.returns import templates

DICTIONARY = (Path(__file__).resolve().parent.parent / "docs" / "data-dictionary.md").read_text()


def test_data_dictionary_names_every_table_row_and_column_of_every_template():
    missing = []
    for template in templates().values():
        if f"`{template.key}`" not in DICTIONARY:
            missing.append(template.key)
        for table in template.tables:
            keys = [table.key] + [r.key for r in table.rows] + [c.key for c in table.columns]
            missing += [key for key in keys if f"`{key}`" not in DICTIONARY]
    assert missing == []
