"""Reading return templates and series from their TOML files, refusing anything malformed.

Every problem is reported with the file and the place in it, in words a statistician editing
the file can act on: an unknown key, a missing one, a duplicate key, a total with nothing to add
up, a rule or series naming a cell the template does not have. `docs/return-templates.md`
describes the format.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .cells import CellRef
from .series import Series
from .template import AtMostRule, Column, RateRule, ReturnTemplate, Row, RowGroup, Table

KEY = re.compile(r"^[a-z][a-z0-9_]*$")
#: A template's key names it in the database (20 characters) and in its file name.
TEMPLATE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")
YEAR = re.compile(r"^(?P<start>\d{4})-(?P<end>\d{2})$")
#: Storage keeps three decimal places; no published MAPPA figure has needed more than one.
MAX_DECIMALS = 3


class TemplateError(Exception):
    """A template or series file that cannot be used, with every reason found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class _Reader:
    """Walks one parsed file, collecting problems instead of stopping at the first."""

    source: str
    problems: list[str] = field(default_factory=list)

    def problem(self, where: str, message: str) -> None:
        place = f"{self.source}: {where}: " if where else f"{self.source}: "
        self.problems.append(place + message)

    def keys(self, data: dict, where: str, required: set[str], optional: set[str]) -> bool:
        """Whether `data` is a table with the required keys and nothing unknown."""
        if not isinstance(data, dict):
            self.problem(where, "expected a table of keys and values.")
            return False
        for name in sorted(set(data) - required - optional):
            known = ", ".join(sorted(required | optional))
            self.problem(where, f"unknown key “{name}”; the keys allowed here are {known}.")
        missing = sorted(required - set(data))
        for name in missing:
            self.problem(where, f"“{name}” is missing.")
        return not missing

    def text(self, data: dict, name: str, where: str, default: str | None = None) -> str:
        value = data.get(name, default)
        if not isinstance(value, str):
            self.problem(where, f"“{name}” must be text in quotes.")
            return ""
        return value

    def flag(self, data: dict, name: str, where: str, default: bool = False) -> bool:
        value = data.get(name, default)
        if not isinstance(value, bool):
            self.problem(where, f"“{name}” must be true or false.")
            return False
        return value

    def decimals(self, data: dict, where: str) -> int:
        value = data.get("decimals", 0)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_DECIMALS:
            self.problem(where, f"“decimals” must be a whole number from 0 to {MAX_DECIMALS}.")
            return 0
        return value

    def key(self, data: dict, where: str) -> str:
        value = self.text(data, "key", where)
        if value and not KEY.fullmatch(value):
            self.problem(
                where,
                f"the key “{value}” must start with a letter and hold only lower-case letters, "
                "digits and underscores (it appears in downloads and addresses).",
            )
        return value

    def cell(self, text: Any, where: str) -> CellRef | None:
        if not isinstance(text, str):
            self.problem(where, "a cell must be written in quotes as “table.row.column”.")
            return None
        try:
            return CellRef.parse(text)
        except ValueError as error:
            self.problem(where, f"{error}.")
            return None

    def unique(self, keys: list[str], what: str, where: str) -> None:
        seen = set()
        for key in keys:
            if key in seen:
                self.problem(where, f"the {what} key “{key}” is used twice.")
            seen.add(key)


def start_year(label: str) -> int | None:
    """2015 for "2015-16"; None if the label is malformed."""
    match = YEAR.fullmatch(label)
    if not match or (int(match["start"]) + 1) % 100 != int(match["end"]):
        return None
    return int(match["start"])


def _read_toml(path: Path, reader: _Reader) -> dict | None:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as error:
        reader.problem("", f"this is not valid TOML ({error}).")
    except (OSError, UnicodeDecodeError) as error:
        reader.problem("", f"cannot be read ({error}).")
    return None


# --- Series ---------------------------------------------------------------------------------

SERIES_KEYS = {"key", "label"}
SERIES_OPTIONAL = {"description", "headline", "compare", "share_of"}


def load_series_file(path: Path) -> dict[str, Series]:
    """The series declared in `path` (without their cells, which templates declare)."""
    reader = _Reader(path.name)
    data = _read_toml(path, reader)
    found: dict[str, Series] = {}
    if data is not None and reader.keys(data, "", {"series"}, set()):
        items = data["series"]
        if not isinstance(items, list):
            reader.problem("series", "expected a list of [[series]] entries.")
            items = []
        for n, item in enumerate(items, 1):
            where = f"series {n}"
            if not reader.keys(item, where, SERIES_KEYS, SERIES_OPTIONAL):
                continue
            key = reader.key(item, where)
            where = f"series “{key}”"
            if key in found:
                reader.problem(where, f"the series key “{key}” is used twice.")
            share_of = item.get("share_of")
            if share_of is not None and not (
                isinstance(share_of, list)
                and len(share_of) == 2
                and all(isinstance(k, str) for k in share_of)
            ):
                reader.problem(where, "“share_of” must name two series: [part, whole].")
                share_of = None
            found[key] = Series(
                key=key,
                label=reader.text(item, "label", where),
                description=reader.text(item, "description", where, ""),
                headline=reader.flag(item, "headline", where),
                compare=reader.flag(item, "compare", where),
                share_of=tuple(share_of) if share_of else None,
            )
        for series in found.values():
            for part in series.share_of or ():
                if part not in found or found[part].share_of:
                    reader.problem(
                        f"series “{series.key}”",
                        f"“share_of” names “{part}”, which is not a series of cells.",
                    )
    if reader.problems:
        raise TemplateError(reader.problems)
    return found


# --- Templates ------------------------------------------------------------------------------

TOP_REQUIRED = {"key", "description", "first_year", "tables"}
TOP_OPTIONAL = {
    "changes",
    "best_reading",
    "column_sets",
    "at_most",
    "rate",
    "breaks",
    "series",
}
TABLE_REQUIRED = {"key", "title", "short_name", "columns", "groups"}
TABLE_OPTIONAL = {"subtitle"}
COLUMN_REQUIRED = {"key", "label"}
COLUMN_OPTIONAL = {"total", "decimals", "additive"}
GROUP_REQUIRED = {"rows"}
GROUP_OPTIONAL = {"label"}
ROW_REQUIRED = {"key", "label"}
ROW_OPTIONAL = {"total", "not_applicable", "decimals", "additive"}
BREAK_REQUIRED = {"reason", "cells"}
AT_MOST_REQUIRED = {"reason", "pairs"}
RATE_REQUIRED = {"count", "rate", "count_label"}
RATE_OPTIONAL = {"per"}
SERIES_ENTRY_OPTIONAL = {"cells", "break"}


@dataclass
class TemplateFile:
    """A template as read from its file, with the cells it gives each series."""

    template: ReturnTemplate
    series_cells: dict[str, tuple[CellRef, ...]]
    series_breaks: dict[str, str]


def load_template_file(path: Path, series: dict[str, Series]) -> TemplateFile:
    """The template declared in `path`; TemplateError listing every problem."""
    reader = _Reader(path.name)
    data = _read_toml(path, reader)
    if data is None or not reader.keys(data, "", TOP_REQUIRED, TOP_OPTIONAL):
        raise TemplateError(reader.problems)
    key = reader.text(data, "key", "")
    if key and not TEMPLATE_KEY.fullmatch(key):
        reader.problem("", f"the key “{key}” must be up to 20 lower-case letters, digits, - or _.")
    if key and key != path.stem:
        reader.problem("", f"the key “{key}” must be the file's name without .toml ({path.stem}).")
    first_label = reader.text(data, "first_year", "")
    first = start_year(first_label)
    if first is None:
        reader.problem(
            "", f"“first_year” must be a reporting year like 2015-16, not “{first_label}”."
        )
    column_sets = _column_sets(data.get("column_sets", {}), reader)
    tables = _tables(data["tables"], column_sets, reader)
    at_most = _at_most(data.get("at_most", []), reader)
    rate = _rate(data.get("rate"), reader)
    if reader.problems:
        raise TemplateError(reader.problems)
    try:
        template = ReturnTemplate(
            key=key,
            description=reader.text(data, "description", ""),
            first_year=first or 0,
            changes=reader.text(data, "changes", "", ""),
            best_reading=reader.text(data, "best_reading", "", ""),
            tables=tuple(tables),
            at_most_rules=tuple(rule for rule, _ in at_most),
            rate_rule=rate,
        )
    except ValueError as error:
        raise TemplateError([f"{path.name}: {error}"]) from None
    _check_cells(template, [place for _, place in at_most], reader)
    template = replace(template, cell_breaks=_breaks(data.get("breaks", []), template, reader))
    cells, breaks = _series_cells(data.get("series", {}), template, series, reader)
    if reader.problems:
        raise TemplateError(reader.problems)
    return TemplateFile(template, cells, breaks)


def _column_sets(data: Any, reader: _Reader) -> dict[str, tuple[Column, ...]]:
    if not isinstance(data, dict):
        reader.problem("column_sets", "expected a table of named column lists.")
        return {}
    return {
        name: _columns(columns, f"column set “{name}”", reader) for name, columns in data.items()
    }


def _columns(data: Any, where: str, reader: _Reader) -> tuple[Column, ...]:
    if not isinstance(data, list) or not data:
        reader.problem(where, "expected a list of one or more columns.")
        return ()
    columns = []
    for n, item in enumerate(data, 1):
        place = f"{where}, column {n}"
        if reader.keys(item, place, COLUMN_REQUIRED, COLUMN_OPTIONAL):
            columns.append(
                Column(
                    key=reader.key(item, place),
                    label=reader.text(item, "label", place),
                    is_total=reader.flag(item, "total", place),
                    decimals=reader.decimals(item, place),
                    additive=reader.flag(item, "additive", place, default=True),
                )
            )
    reader.unique([c.key for c in columns], "column", where)
    return tuple(columns)


def _tables(data: Any, column_sets: dict, reader: _Reader) -> list[Table]:
    if not isinstance(data, list) or not data:
        reader.problem("tables", "expected one or more [[tables]].")
        return []
    tables = []
    for n, item in enumerate(data, 1):
        where = f"table {n}"
        if not reader.keys(item, where, TABLE_REQUIRED, TABLE_OPTIONAL):
            continue
        key = reader.key(item, where)
        where = f"table “{key}”"
        columns_spec = item["columns"]
        if isinstance(columns_spec, str):
            if columns_spec not in column_sets:
                reader.problem(where, f"there is no column set “{columns_spec}”.")
                continue
            columns = column_sets[columns_spec]
        else:
            columns = _columns(columns_spec, where, reader)
        column_keys = {c.key for c in columns}
        groups = []
        if not isinstance(item["groups"], list) or not item["groups"]:
            reader.problem(where, "expected one or more [[tables.groups]] of rows.")
            continue
        for g, group in enumerate(item["groups"], 1):
            place = f"{where}, group {g}"
            if not reader.keys(group, place, GROUP_REQUIRED, GROUP_OPTIONAL):
                continue
            groups.append(
                RowGroup(
                    reader.text(group, "label", place, ""),
                    _rows(group["rows"], column_keys, place, reader),
                )
            )
        title = reader.text(item, "title", where)
        try:
            title.format(snapshot_date="31 March")
        except (KeyError, IndexError, ValueError):
            reader.problem(
                where, "the title may hold only {snapshot_date} (the year's 31 March) in braces."
            )
        table = Table(
            key=key,
            title=title,
            subtitle=reader.text(item, "subtitle", where, ""),
            short_name=reader.text(item, "short_name", where),
            columns=columns,
            groups=tuple(groups),
        )
        reader.unique([r.key for r in table.rows], "row", where)
        _check_totals(table, reader)
        tables.append(table)
    reader.unique([t.key for t in tables], "table", "tables")
    return tables


def _rows(data: Any, column_keys: set[str], where: str, reader: _Reader) -> tuple[Row, ...]:
    if not isinstance(data, list) or not data:
        reader.problem(where, "expected a list of one or more rows.")
        return ()
    rows = []
    for n, item in enumerate(data, 1):
        place = f"{where}, row {n}"
        if not reader.keys(item, place, ROW_REQUIRED, ROW_OPTIONAL):
            continue
        key = reader.key(item, place)
        place = f"{where}, row “{key}”"
        not_applicable = item.get("not_applicable", [])
        if not isinstance(not_applicable, list) or not all(
            isinstance(k, str) for k in not_applicable
        ):
            reader.problem(place, "“not_applicable” must be a list of column keys.")
            not_applicable = []
        for column in not_applicable:
            if column not in column_keys:
                reader.problem(place, f"“not_applicable” names “{column}”, which is not a column.")
        rows.append(
            Row(
                key=key,
                label=reader.text(item, "label", place),
                is_total=reader.flag(item, "total", place),
                not_applicable=frozenset(not_applicable),
                decimals=reader.decimals(item, place),
                additive=reader.flag(item, "additive", place, default=True),
            )
        )
    return tuple(rows)


def _check_totals(table: Table, reader: _Reader) -> None:
    """A total must have something to add up: a sum rule with no parts is a mistake."""
    for rule in table.sum_rules():
        if not rule.parts:
            reader.problem(
                f"table “{table.key}”",
                f"{rule.description} ({rule.total}) is a total without parts: mark other "
                "rows or columns that it adds up, or do not mark it as a total.",
            )


def _at_most(data: Any, reader: _Reader) -> list[tuple[AtMostRule, str]]:
    """The rules, each with its place in the file ("at_most rule (reason), pair 2")."""
    if not isinstance(data, list):
        reader.problem("at_most", "expected a list of [[at_most]] rules.")
        return []
    rules = []
    for n, item in enumerate(data, 1):
        where = f"at_most rule {n}"
        if not reader.keys(item, where, AT_MOST_REQUIRED, set()):
            continue
        reason = reader.text(item, "reason", where)
        pairs = item["pairs"]
        if not isinstance(pairs, list):
            reader.problem(where, "“pairs” must be a list of [smaller, larger] cells.")
            continue
        short = reason if len(reason) <= 30 else reason[:30] + "…"
        for k, pair in enumerate(pairs, 1):
            if not (isinstance(pair, list) and len(pair) == 2):
                reader.problem(where, f"{pair!r} is not a pair [smaller, larger] of cells.")
                continue
            smaller, larger = reader.cell(pair[0], where), reader.cell(pair[1], where)
            if smaller and larger:
                rule = AtMostRule(smaller=smaller, larger=larger, reason=reason)
                rules.append((rule, f"at_most rule ({short}), pair {k}"))
    return rules


def _rate(data: Any, reader: _Reader) -> RateRule | None:
    if data is None:
        return None
    if not reader.keys(data, "rate", RATE_REQUIRED, RATE_OPTIONAL):
        return None
    count, rate = reader.cell(data["count"], "rate"), reader.cell(data["rate"], "rate")
    per = data.get("per", 100_000)
    if not isinstance(per, int) or isinstance(per, bool) or per < 1:
        reader.problem("rate", "“per” must be a whole number such as 100000.")
        per = 100_000
    if count is None or rate is None:
        return None
    return RateRule(
        count=count, rate=rate, count_label=reader.text(data, "count_label", "rate"), per=per
    )


def _check_cells(template: ReturnTemplate, places: list[str], reader: _Reader) -> None:
    """Every cell a rule names exists in the template and is applicable."""
    not_applicable = set(template.not_applicable_cells())

    def check(ref: CellRef, where: str) -> None:
        if not template.has_cell(ref):
            reader.problem(where, f"names the cell {ref}, which the template does not have.")
        elif ref in not_applicable:
            reader.problem(where, f"names the cell {ref}, which is not applicable.")

    for rule, place in zip(template.at_most_rules, places, strict=True):
        check(rule.smaller, place)
        check(rule.larger, place)
    if template.rate_rule:
        check(template.rate_rule.count, "rate")
        check(template.rate_rule.rate, "rate")


def _breaks(
    data: Any, template: ReturnTemplate, reader: _Reader
) -> tuple[tuple[CellRef, str], ...]:
    """`[[breaks]]`: cells whose definition changed with this template, and why.

    A cell may be written with `*` for every row or column ("eligible_offenders.*.total"): it
    stands for every applicable cell that matches.
    """
    if not isinstance(data, list):
        reader.problem("breaks", "expected a list of [[breaks]] entries.")
        return ()
    not_applicable = set(template.not_applicable_cells())
    found: dict[CellRef, str] = {}
    for n, item in enumerate(data, 1):
        where = f"breaks {n}"
        if not reader.keys(item, where, BREAK_REQUIRED, set()):
            continue
        reason = reader.text(item, "reason", where)
        texts = item["cells"] if isinstance(item["cells"], list) else [item["cells"]]
        for text in texts:
            pattern = reader.cell(text, where)
            if pattern is None:
                continue
            matches = [
                ref
                for ref, applicable in template.cells()
                if applicable
                and ref.table == pattern.table
                and pattern.row in ("*", ref.row)
                and pattern.column in ("*", ref.column)
            ]
            if "*" not in (pattern.row, pattern.column) and pattern in not_applicable:
                reader.problem(where, f"names the cell {pattern}, which is not applicable.")
            elif not matches:
                reader.problem(where, f"names {pattern}, which matches no cell of the template.")
            for ref in matches:
                if ref in found:
                    reader.problem(where, f"the cell {ref} already breaks: “{found[ref]}”.")
                found[ref] = reason
    return tuple(found.items())


def _series_cells(
    data: Any, template: ReturnTemplate, series: dict[str, Series], reader: _Reader
) -> tuple[dict[str, tuple[CellRef, ...]], dict[str, str]]:
    """The template's `[series]` table: which of its cells each series adds up, and breaks."""
    cells: dict[str, tuple[CellRef, ...]] = {}
    breaks: dict[str, str] = {}
    if not isinstance(data, dict):
        reader.problem("series", "expected a table of series keys and their cells.")
        return cells, breaks
    not_applicable = set(template.not_applicable_cells())
    for key, spec in data.items():
        where = f"series “{key}”"
        if key not in series:
            reader.problem(where, f"there is no series “{key}” in series.toml.")
            continue
        if series[key].share_of:
            reader.problem(
                where,
                "this series is a share of two other series: give cells for those two, "
                "not for this one.",
            )
            continue
        if isinstance(spec, dict):
            if not reader.keys(spec, where, {"cells"}, {"break"}):
                continue
            if "break" in spec:
                breaks[key] = reader.text(spec, "break", where)
            spec = spec["cells"]
        texts = [spec] if isinstance(spec, str) else spec
        if not isinstance(texts, list) or not texts:
            reader.problem(where, "give a cell “table.row.column” or a list of cells to add up.")
            continue
        refs = []
        for text in texts:
            ref = reader.cell(text, where)
            if ref is None:
                continue
            if not template.has_cell(ref):
                reader.problem(where, f"names the cell {ref}, which the template does not have.")
            elif ref in not_applicable:
                reader.problem(where, f"names the cell {ref}, which is not applicable.")
            elif ref in refs:
                reader.problem(where, f"names the cell {ref} twice: it would be counted twice.")
            refs.append(ref)
        cells[key] = tuple(refs)
    return cells, breaks


# --- Everything together --------------------------------------------------------------------


@dataclass
class Declarations:
    """Every template and series, or the problems that stop them being used."""

    templates: dict[str, ReturnTemplate]
    series: dict[str, Series]
    problems: list[str]


def load_declarations(
    template_dirs: list[Path], series_file: Path, log: Callable[[str], None] | None = None
) -> Declarations:
    """Read every `*.toml` in `template_dirs` and the series file; collect all problems."""
    problems: list[str] = []
    try:
        series = load_series_file(series_file)
    except TemplateError as error:
        return Declarations({}, {}, error.problems)
    templates: dict[str, ReturnTemplate] = {}
    cells: dict[str, dict[str, tuple[CellRef, ...]]] = {key: {} for key in series}
    breaks: dict[str, dict[str, str]] = {key: {} for key in series}
    first_years: dict[int, str] = {}
    for directory in template_dirs:
        for path in sorted(Path(directory).glob("*.toml")):
            try:
                loaded = load_template_file(path, series)
            except TemplateError as error:
                problems.extend(error.problems)
                continue
            template = loaded.template
            if template.key in templates:
                problems.append(f"{path.name}: the template key “{template.key}” is used twice.")
                continue
            if template.first_year in first_years:
                problems.append(
                    f"{path.name}: {template.first_year_label} is already the first year of "
                    f"template {first_years[template.first_year]}."
                )
                continue
            first_years[template.first_year] = template.key
            templates[template.key] = template
            for key, refs in loaded.series_cells.items():
                cells[key][template.key] = refs
            for key, reason in loaded.series_breaks.items():
                breaks[key][template.key] = reason
    if not templates and not problems:
        problems.append("No return template files were found.")
    ordered = dict(sorted(templates.items(), key=lambda item: item[1].first_year))
    complete = {key: s.with_cells(cells[key], breaks[key], ordered) for key, s in series.items()}
    return Declarations(ordered, complete, problems)
