"""The statistical return: the one declaration of the tables a MAPPA annual report holds.

Forms, validation, the public report page and the CSV all derive from a `ReturnTemplate`:
which tables there are, their rows and columns, which cells are not applicable and which
cells are totals of others. When the tables change in a later year (SOPOs became Sexual Harm
Prevention Orders, for instance), declare a new template and register it in `TEMPLATES`;
nothing else needs editing.

This module is pure Python: it knows nothing of the database.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from django.db import models


class CellStatus(models.TextChoices):
    """What a cell holds, following the GSS shorthand for statistics.

    A cell is never a bare blank standing in for 0: 0 is a value.
    """

    VALUE = "value", "Value"
    NOT_APPLICABLE = "z", "[z] Not applicable"
    NOT_AVAILABLE = "x", "[x] Not available"
    WITHHELD = "c", "[c] Withheld (confidential)"


#: The GSS shorthand written in downloads for each non-value status.
SHORTHAND = {
    CellStatus.NOT_APPLICABLE: "[z]",
    CellStatus.NOT_AVAILABLE: "[x]",
    CellStatus.WITHHELD: "[c]",
}


@dataclass(frozen=True)
class CellRef:
    """The address of one cell: table, row and column keys."""

    table: str
    row: str
    column: str

    def __str__(self) -> str:
        return f"{self.table}.{self.row}.{self.column}"


@dataclass(frozen=True)
class CellValue:
    """What is recorded in one cell: a status, and a whole number when the status is VALUE."""

    status: CellStatus
    value: int | None = None

    def __post_init__(self) -> None:
        if (self.status == CellStatus.VALUE) != (self.value is not None):
            raise ValueError("A cell has a number exactly when its status is 'value'.")

    @classmethod
    def of(cls, value: int) -> CellValue:
        return cls(CellStatus.VALUE, value)

    @property
    def shorthand(self) -> str:
        """The value as written in a download: the number, or `[z]`, `[x]`, `[c]`."""
        if self.status == CellStatus.VALUE:
            return str(self.value)
        return SHORTHAND[self.status]

    @property
    def display(self) -> str:
        """The value as printed in a report table: thousands with commas, `-` if n/a."""
        if self.status == CellStatus.VALUE:
            return f"{self.value:,}"
        if self.status == CellStatus.NOT_APPLICABLE:
            return "-"
        return SHORTHAND[self.status]


NOT_APPLICABLE = CellValue(CellStatus.NOT_APPLICABLE)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    is_total: bool = False

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
    """`rate` must equal `count` ÷ population × `per`, rounded, when a population is given."""

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
    #: Django templates holding the standard national text of the report.
    what_is_mappa_template: str
    commentary_template: str
    #: Rules between cells of different tables.
    at_most_rules: tuple[AtMostRule, ...] = ()
    rate_rule: RateRule | None = None
    _by_key: dict[str, Table] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {t.key: t for t in self.tables})
        if len(self._by_key) != len(self.tables):
            raise ValueError(f"Return template {self.key} repeats a table key.")
        for table in self.tables:
            if len({r.key for r in table.rows}) != len(table.rows):
                raise ValueError(f"Table {table.key} repeats a row key.")
            if len({c.key for c in table.columns}) != len(table.columns):
                raise ValueError(f"Table {table.key} repeats a column key.")

    def table(self, key: str) -> Table:
        return self._by_key[key]

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
        table = self._by_key.get(ref.table)
        if table is None:
            return False
        return any(r.key == ref.row for r in table.rows) and any(
            c.key == ref.column for c in table.columns
        )

    def sum_rules(self) -> list[SumRule]:
        return [rule for table in self.tables for rule in table.sum_rules()]

    def layout(
        self, values: Mapping[CellRef, CellValue], snapshot_date: datetime.date
    ) -> list[TableLayout]:
        """The tables ready to render: every cell's display text in report order."""
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

    @property
    def display(self) -> str:
        return self.value.display if self.value else ""

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


# --- The 2010-11 return -------------------------------------------------------------------

CATEGORY_COLUMNS = (
    Column("category_1", "Category 1: Registered sex offenders"),
    Column("category_2", "Category 2: Violent offenders"),
    Column("category_3", "Category 3: Other dangerous offenders"),
    Column("total", "Total", is_total=True),
)
NUMBER_COLUMN = (Column("number", "Number"),)
#: Category 3 offenders are by definition managed at Level 2 or 3, never Level 1.
NO_CATEGORY_3 = frozenset({"category_3"})
#: Breach of a SOPO applies only to registered sex offenders.
CATEGORY_1_ONLY = frozenset({"category_2", "category_3"})


def _levels(prefix: str = "", *, not_applicable: frozenset[str] = frozenset()) -> tuple[Row, ...]:
    return (
        Row(f"{prefix}level_2", "Level 2", not_applicable=not_applicable),
        Row(f"{prefix}level_3", "Level 3", not_applicable=not_applicable),
        Row(f"{prefix}total", "Total", is_total=True, not_applicable=not_applicable),
    )


def _at_most_rules() -> tuple[AtMostRule, ...]:
    """The 2010-11 rules between the snapshot, the yearly counts and the returns to custody."""
    rules = []
    categories = ("category_1", "category_2", "category_3")
    for level in ("level_2", "level_3"):
        for column in categories:
            rules.append(
                AtMostRule(
                    smaller=CellRef("eligible_offenders", level, column),
                    larger=CellRef("levels_2_3_yearly", level, column),
                    reason="the yearly total must be at least the number on 31 March",
                )
            )
            rules.append(
                AtMostRule(
                    smaller=CellRef("returns_to_custody", f"licence_{level}", column),
                    larger=CellRef("levels_2_3_yearly", level, column),
                    reason=(
                        "returns to custody cannot be more than the offenders managed at that "
                        "level during the year"
                    ),
                )
            )
        rules.append(
            AtMostRule(
                smaller=CellRef("returns_to_custody", f"sopo_{level}", "category_1"),
                larger=CellRef("levels_2_3_yearly", level, "category_1"),
                reason=(
                    "returns to custody cannot be more than the offenders managed at that "
                    "level during the year"
                ),
            )
        )
    return tuple(rules)


RETURN_2010_11 = ReturnTemplate(
    key="2010-11",
    description="MAPPA annual report tables as published for 2010-11",
    what_is_mappa_template="reports/standard/2010-11/what_is_mappa.html",
    commentary_template="reports/standard/2010-11/commentary.html",
    at_most_rules=_at_most_rules(),
    rate_rule=RateRule(
        count=CellRef("eligible_offenders", "total", "category_1"),
        rate=CellRef("rso_rate", "per_100000", "number"),
        count_label="registered sex offenders on 31 March",
    ),
    tables=(
        Table(
            key="eligible_offenders",
            title="MAPPA-eligible offenders on {snapshot_date}",
            short_name="MAPPA-eligible offenders on 31 March",
            columns=CATEGORY_COLUMNS,
            groups=(
                RowGroup(
                    "",
                    (
                        Row("level_1", "Level 1", not_applicable=NO_CATEGORY_3),
                        *_levels(),
                    ),
                ),
            ),
        ),
        Table(
            key="levels_2_3_yearly",
            title="MAPPA-eligible offenders in Levels 2 and 3 by category (yearly total)",
            short_name="Levels 2 and 3 yearly total",
            columns=CATEGORY_COLUMNS,
            groups=(RowGroup("", _levels()),),
        ),
        Table(
            key="rso_breaches",
            title="RSOs cautioned or convicted for breach of notification requirements",
            short_name="RSOs cautioned or convicted for breach of notification requirements",
            columns=NUMBER_COLUMN,
            groups=(RowGroup("", (Row("rsos", "RSOs cautioned or convicted"),)),),
        ),
        Table(
            key="restrictive_orders",
            title="Restrictive orders for Category 1 offenders",
            subtitle="SOPOs, NOs & FTOs imposed by the courts",
            short_name="Restrictive orders",
            columns=NUMBER_COLUMN,
            groups=(
                RowGroup(
                    "",
                    (
                        Row("sopos", "SOPOs"),
                        Row("nos", "NOs"),
                        Row("ftos", "FTOs"),
                    ),
                ),
            ),
        ),
        Table(
            key="returns_to_custody",
            title=(
                "Level 2 and 3 offenders returned to custody for breach of licence "
                "or sent to custody for breach of SOPO"
            ),
            short_name="Returns to custody",
            columns=CATEGORY_COLUMNS,
            groups=(
                RowGroup("Breach of licence", _levels("licence_")),
                RowGroup("Breach of SOPO", _levels("sopo_", not_applicable=CATEGORY_1_ONLY)),
            ),
        ),
        Table(
            key="rso_rate",
            title="Total number of Registered Sexual Offenders per 100,000 population",
            short_name="Registered sexual offenders per 100,000 population",
            columns=NUMBER_COLUMN,
            groups=(RowGroup("", (Row("per_100000", "RSOs per 100,000 population"),)),),
        ),
    ),
)

#: Every return template, by key. A reporting year names the one it uses.
TEMPLATES: dict[str, ReturnTemplate] = {t.key: t for t in (RETURN_2010_11,)}
LATEST_TEMPLATE = RETURN_2010_11.key


def get_template(key: str) -> ReturnTemplate:
    """The return template registered under `key`."""
    return TEMPLATES[key]


def template_choices() -> list[tuple[str, str]]:
    return [(t.key, t.description) for t in TEMPLATES.values()]
