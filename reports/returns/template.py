"""The shape of a return template: tables, rows, columns, the rules between cells, layout.

Templates are declared in TOML files (`templates/*.toml`, read by `loader.py`); these classes
are what a file becomes. Forms, validation, the public report page and every download derive
from a `ReturnTemplate`: which tables there are, their rows and columns, which cells are not
applicable, which are totals of others and how many decimal places each shows.

This module is pure Python: it knows nothing of the database.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from .cells import NOT_APPLICABLE, CellRef, CellStatus, CellValue, format_number


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    is_total: bool = False
    #: Decimal places the column's figures carry (0: whole numbers).
    decimals: int = 0
    #: Whether areas' figures add up to a national one (counts do; rates do not).
    additive: bool = True

    @property
    def short_label(self) -> str:
        """ "Category 1" for "Category 1: Registered sex offenders"."""
        return self.label.split(":")[0]


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    is_total: bool = False
    #: Keys of the columns that do not apply to this row (shown as `-`).
    not_applicable: frozenset[str] = frozenset()
    #: Decimal places the row's figures carry (0: whole numbers), e.g. 1 for a rate.
    decimals: int = 0
    #: Whether areas' figures add up to a national one (counts do; rates do not).
    additive: bool = True

    @property
    def not_applicable_keys(self) -> list[str]:
        """The not-applicable column keys in a stable order, for pages and documents."""
        return sorted(self.not_applicable)


@dataclass(frozen=True)
class RowGroup:
    """Rows that belong together, with their own total row (e.g. "Breach of licence")."""

    label: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class SumRule:
    """`total` must equal the sum of `parts` (cells that are not applicable are left out)."""

    total: CellRef
    parts: tuple[CellRef, ...]
    #: What the total is called in messages, e.g. "Level 1 total".
    description: str
    #: What each part is called in messages, e.g. "Category 1".
    part_labels: tuple[str, ...]


@dataclass(frozen=True)
class AtMostRule:
    """`smaller` must not be more than `larger`, for the reason given."""

    smaller: CellRef
    larger: CellRef
    #: Completes "… is N but … is M: <reason>."
    reason: str


@dataclass(frozen=True)
class RateRule:
    """`rate` must equal `count` ÷ population × `per` when a population is given.

    Compared at the rate cell's declared precision (125.2 for one decimal place).
    """

    count: CellRef
    rate: CellRef
    count_label: str
    per: int = 100_000


@dataclass(frozen=True)
class Table:
    """One statistics table of the report.

    `title` may contain `{snapshot_date}`, filled in with the reporting year's 31 March.
    """

    key: str
    title: str
    columns: tuple[Column, ...]
    groups: tuple[RowGroup, ...]
    subtitle: str = ""
    #: A short name used in validation messages to say which table is meant.
    short_name: str = ""

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(row for group in self.groups for row in group.rows)

    @property
    def is_single_value(self) -> bool:
        """A table of one figure, shown as a label and a number."""
        return len(self.rows) == 1 and len(self.columns) == 1

    def title_for(self, snapshot_date: datetime.date) -> str:
        return self.title.format(snapshot_date=f"{snapshot_date.day} {snapshot_date:%B %Y}")

    def is_applicable(self, row: Row, column: Column) -> bool:
        return column.key not in row.not_applicable

    def is_total(self, row: Row, column: Column) -> bool:
        return row.is_total or column.is_total

    @staticmethod
    def decimals_of(row: Row, column: Column) -> int:
        """Decimal places of the cell at `row` and `column`."""
        return max(row.decimals, column.decimals)

    def cell_refs(self) -> Iterator[tuple[CellRef, Row, Column]]:
        for row in self.rows:
            for column in self.columns:
                yield CellRef(self.key, row.key, column.key), row, column

    def sum_rules(self) -> list[SumRule]:
        """The totals of this table, derived from the rows and columns marked as totals.

        Every row's total column is the sum of that row's other columns; every total row
        is the sum of its group's other rows, column by column. Together these also fix
        the grand total.
        """
        rules: list[SumRule] = []
        parts_columns = [c for c in self.columns if not c.is_total]
        for group in self.groups:
            prefix = f"{group.label}, " if group.label else ""
            for total_column in (c for c in self.columns if c.is_total):
                for row in group.rows:
                    columns = [c for c in parts_columns if self.is_applicable(row, c)]
                    name = "overall total" if row.is_total else f"{row.label} total"
                    rules.append(
                        SumRule(
                            total=CellRef(self.key, row.key, total_column.key),
                            parts=tuple(CellRef(self.key, row.key, c.key) for c in columns),
                            description=f"{prefix}{name}",
                            part_labels=tuple(c.short_label for c in columns),
                        )
                    )
            part_rows = [r for r in group.rows if not r.is_total]
            for total_row in (r for r in group.rows if r.is_total):
                for column in parts_columns:
                    if not self.is_applicable(total_row, column):
                        continue
                    rows = [r for r in part_rows if self.is_applicable(r, column)]
                    rules.append(
                        SumRule(
                            total=CellRef(self.key, total_row.key, column.key),
                            parts=tuple(CellRef(self.key, r.key, column.key) for r in rows),
                            description=f"{prefix}{column.short_label} total",
                            part_labels=tuple(r.label for r in rows),
                        )
                    )
        return rules


@dataclass(frozen=True)
class ReturnTemplate:
    """The whole statistical return for the years that use it."""

    key: str
    description: str
    tables: tuple[Table, ...]
    #: The first reporting year (its start year, e.g. 2015 for 2015-16) that uses the template.
    first_year: int = 2010
    #: What changed from the previous template, for the data dictionary.
    changes: str = ""
    #: Where a detail is a best reading of the sources rather than confirmed.
    best_reading: str = ""
    #: Rules between cells of different tables.
    at_most_rules: tuple[AtMostRule, ...] = ()
    rate_rule: RateRule | None = None
    #: Cells whose definition changed with this template, each with why: a break in series.
    cell_breaks: tuple[tuple[CellRef, str], ...] = ()
    _by_key: dict[str, Table] = field(init=False, repr=False, compare=False)
    _decimals: dict[CellRef, int] = field(init=False, repr=False, compare=False)
    _breaks: dict[CellRef, str] = field(init=False, repr=False, compare=False)
    #: Each cell's place in report order, for sorting downloads.
    positions: dict[CellRef, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {t.key: t for t in self.tables})
        object.__setattr__(self, "positions", {ref: n for n, (ref, _) in enumerate(self.cells())})
        object.__setattr__(self, "_breaks", dict(self.cell_breaks))
        object.__setattr__(
            self,
            "_decimals",
            {
                ref: table.decimals_of(row, column)
                for table in self.tables
                for ref, row, column in table.cell_refs()
            },
        )
        if len(self._by_key) != len(self.tables):
            raise ValueError(f"Return template {self.key} repeats a table key.")
        for table in self.tables:
            if len({r.key for r in table.rows}) != len(table.rows):
                raise ValueError(f"Table {table.key} repeats a row key.")
            if len({c.key for c in table.columns}) != len(table.columns):
                raise ValueError(f"Table {table.key} repeats a column key.")

    @property
    def first_year_label(self) -> str:
        return f"{self.first_year}-{(self.first_year + 1) % 100:02d}"

    def table(self, key: str) -> Table:
        return self._by_key[key]

    @property
    def breaks(self) -> dict[CellRef, str]:
        """Cells whose definition changed with this template → why (`[b]` in its first year)."""
        return self._breaks

    def is_additive(self, ref: CellRef) -> bool:
        """Whether areas' figures for the cell add up to a national figure."""
        table = self._by_key.get(ref.table)
        if table is None:
            return False
        row = next((r for r in table.rows if r.key == ref.row), None)
        column = next((c for c in table.columns if c.key == ref.column), None)
        return bool(row and column and row.additive and column.additive)

    def decimals(self, ref: CellRef) -> int:
        """Decimal places the cell shows (0 for a cell the template does not have)."""
        return self._decimals.get(ref, 0)

    def text(self, ref: CellRef, value: CellValue) -> str:
        """The value as a download writes it: at the cell's declared precision, or a code."""
        return value.text(self.decimals(ref))

    def describe(self, ref: CellRef) -> str:
        """A cell's full name: "Short table name: group, row, column"."""
        return f"{self.table(ref.table).short_name}: {self.label_of(ref)}"

    def label_of(self, ref: CellRef) -> str:
        """A cell's name for people: "Level 1, Category 1: Registered sex offenders"."""
        table = self.table(ref.table)
        row = next(r for r in table.rows if r.key == ref.row)
        column = next(c for c in table.columns if c.key == ref.column)
        group = next(g for g in table.groups if row in g.rows)
        parts = [group.label] if group.label else []
        parts.append(row.label)
        if len(table.columns) > 1:
            parts.append(column.label)
        return ", ".join(parts)

    def cells(self) -> Iterator[tuple[CellRef, bool]]:
        """Every cell of the return in report order, with whether it is applicable."""
        for table in self.tables:
            for ref, row, column in table.cell_refs():
                yield ref, table.is_applicable(row, column)

    def applicable_cells(self) -> list[CellRef]:
        return [ref for ref, applicable in self.cells() if applicable]

    def not_applicable_cells(self) -> list[CellRef]:
        return [ref for ref, applicable in self.cells() if not applicable]

    def has_cell(self, ref: CellRef) -> bool:
        # Every cell has its declared places: one lookup (imports ask for each line of a file).
        return ref in self._decimals

    def sum_rules(self) -> list[SumRule]:
        return [rule for table in self.tables for rule in table.sum_rules()]

    def layout(
        self,
        values: Mapping[CellRef, CellValue],
        snapshot_date: datetime.date,
        notes: Mapping[CellRef, str] | None = None,
    ) -> list[TableLayout]:
        """The tables ready to render: every cell's display text in report order.

        `notes` are short texts shown under a cell's figure (the national summary's "34 of 42
        areas").
        """
        layouts = []
        for table in self.tables:
            groups = []
            for group in table.groups:
                rows = []
                for row in group.rows:
                    cells = []
                    for column in table.columns:
                        ref = CellRef(table.key, row.key, column.key)
                        if not table.is_applicable(row, column):
                            value: CellValue | None = NOT_APPLICABLE
                        else:
                            value = values.get(ref)
                        cells.append(
                            CellLayout(
                                ref=ref,
                                column=column,
                                value=value,
                                is_total=table.is_total(row, column),
                                decimals=table.decimals_of(row, column),
                                note=notes.get(ref, "") if notes else "",
                            )
                        )
                    rows.append(RowLayout(row=row, cells=tuple(cells)))
                groups.append(GroupLayout(label=group.label, rows=tuple(rows)))
            layouts.append(
                TableLayout(
                    table=table,
                    title=table.title_for(snapshot_date),
                    groups=tuple(groups),
                )
            )
        return layouts


@dataclass(frozen=True)
class CellLayout:
    ref: CellRef
    column: Column
    value: CellValue | None
    is_total: bool
    decimals: int = 0
    note: str = ""

    @property
    def display(self) -> str:
        return self.value.display(self.decimals) if self.value else ""

    @property
    def as_printed(self) -> str:
        """As the areas' printed reports give it: no thousands separator ("1185")."""
        if self.value is not None and self.value.value is not None:
            return format_number(self.value.value, self.decimals)
        return self.display

    @property
    def is_not_applicable(self) -> bool:
        return self.value is not None and self.value.status == CellStatus.NOT_APPLICABLE


@dataclass(frozen=True)
class RowLayout:
    row: Row
    cells: tuple[CellLayout, ...]


@dataclass(frozen=True)
class GroupLayout:
    label: str
    rows: tuple[RowLayout, ...]


@dataclass(frozen=True)
class TableLayout:
    table: Table
    title: str
    groups: tuple[GroupLayout, ...]
