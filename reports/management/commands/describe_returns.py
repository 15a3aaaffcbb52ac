"""Print every return template and series as Markdown, for the data dictionary.

The text is built from the template and series files alone (`reports.returns`), so it cannot
drift from them: `docs/data-dictionary.md` holds it between marker lines, and a test checks
that it is the command's output.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reports.management.pipes import ending_quietly_if_the_reader_leaves
from reports.returns import (
    BREAK_IN_SERIES,
    ReturnTemplate,
    Row,
    Series,
    Table,
    all_series,
    all_templates,
    series_break,
)

#: What a template's files say when they give no detail of a kind.
NONE = "—"


class Command(BaseCommand):
    help = (
        "Print every return template (tables, rows, columns, not-applicable cells, decimal "
        "places) and every series as Markdown, for docs/data-dictionary.md."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with ending_quietly_if_the_reader_leaves(self.stdout):
            self.stdout.write(describe(), ending="")


def describe() -> str:
    """The Markdown for every template, oldest first, then every series."""
    every = list(all_templates().values())
    lines = [
        "## Return templates",
        "",
        "Each reporting year uses one return template (its tables, rows and columns); the "
        "templates are listed oldest first.",
        "",
    ]
    for template in every:
        lines += _template(template)
    lines += [
        "## Series",
        "",
        "A series follows one figure across the return templates: in each template it is the "
        f"sum of the cells listed. {BREAK_IN_SERIES} marks a break in series, where the "
        "figure's definition changed in a template's first year. A template that does not "
        "collect the figure gives [x].",
        "",
    ]
    for series in all_series().values():
        lines += _series(series, every)
    return "\n".join(lines).rstrip("\n") + "\n"


def _template(template: ReturnTemplate) -> list[str]:
    lines = [
        f"### Return template `{template.key}`",
        "",
        _sentence(template.description),
        "",
        f"- First year: {template.first_year_label}",
        f"- What changed: {_text(template.changes) or NONE}",
        f"- Best reading: {_text(template.best_reading) or NONE}",
    ]
    if template.rate_rule:
        rule = template.rate_rule
        lines.append(
            f"- Rate: `{rule.rate}` is `{rule.count}` ({_text(rule.count_label)}) per "
            f"{rule.per:,} population"
        )
    reasons: dict[str, list[str]] = {}
    for ref, reason in template.cell_breaks:
        reasons.setdefault(reason, []).append(f"`{ref}`")
    for reason, refs in reasons.items():
        lines.append(
            f"- Break in series `[b]` in {template.first_year_label} for {', '.join(refs)}: "
            f"{_text(reason)}"
        )
    lines.append("")
    for table in template.tables:
        lines += _table(table)
    return lines


def _table(table: Table) -> list[str]:
    # Titles may name the year's snapshot date: the dictionary names the day, not the year.
    title = table.title.format(snapshot_date="31 March")
    lines = [f"#### `{table.key}` — {_text(title)}", ""]
    if table.subtitle:
        lines += [_sentence(table.subtitle), ""]
    lines += [
        "Columns: "
        + "; ".join(f"`{column.key}` {_text(column.label)}" for column in table.columns)
        + ".",
        "",
        "| row | label | columns | not applicable | decimal places |",
        "| --- | --- | --- | --- | --- |",
    ]
    for group in table.groups:
        for row in group.rows:
            label = f"{group.label}: {row.label}" if group.label else row.label
            cells = [
                f"`{row.key}`",
                _cell(label),
                ", ".join(f"`{column.key}`" for column in table.columns),
                ", ".join(f"`{key}`" for key in row.not_applicable_keys),
                _decimals(table, row),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    totals = [f"column `{c.key}`" for c in table.columns if c.is_total]
    totals += [f"row `{r.key}`" for r in table.rows if r.is_total]
    if totals:
        lines += [f"Totals: {', '.join(totals)}.", ""]
    return lines


def _decimals(table: Table, row: Row) -> str:
    """The row's decimal places: one number if its applicable cells agree, else per column."""
    places = {
        column.key: table.decimals_of(row, column)
        for column in table.columns
        if table.is_applicable(row, column)
    }
    if len(set(places.values())) <= 1:
        return str(next(iter(places.values()), 0))
    return ", ".join(f"`{key}`: {n}" for key, n in places.items())


def _series(series: Series, every: list[ReturnTemplate]) -> list[str]:
    lines = [f"### `{series.key}` — {_text(series.label)}", ""]
    if series.description:
        lines += [_sentence(series.description), ""]
    lines += [
        f"- Headline (charted on each area's page): {'yes' if series.headline else 'no'}",
        f"- Compared (a column of the comparison of areas): {'yes' if series.compare else 'no'}",
    ]
    parts = [all_series()[key] for key in series.share_of or ()]
    if parts:
        part, whole = parts
        lines.append(
            f"- Share: `{part.key}` as a percentage of `{whole.key}`; it breaks where either does"
        )
    lines += [
        "",
        "| return template | cells (added up) | decimal places | break in series |",
        "| --- | --- | --- | --- |",
    ]
    for template in every:
        if parts:
            collected = all(p.cells_in(template) for p in parts)
            cells = "share of the two series" if collected else ""
        else:
            cells = " + ".join(f"`{ref}`" for ref in series.cells_in(template))
        reason = series_break(series, template, template.first_year)
        row = [
            f"`{template.key}`",
            cells or "not collected ([x])",
            str(series.decimals_in(template)) if cells else NONE,
            _cell(f"{BREAK_IN_SERIES} {_text(reason)}") if reason else "",
        ]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    return lines


def _text(text: str) -> str:
    """One line of text: the files' multi-line strings with their line breaks folded."""
    return " ".join(text.split())


def _sentence(text: str) -> str:
    """The text as a sentence: folded to one line and ending with a full stop."""
    text = _text(text)
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return _text(text).replace("|", "\\|")
