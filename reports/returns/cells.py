"""A cell of the statistical return: its address, its status and its exact value.

Values are `Decimal`s, never floats: a rate such as 125.2 is stored, compared and written out
exactly. How many decimal places a cell shows is declared by its template (`decimals`); a cell
that declares none holds whole numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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
#: Markers beside a figure in downloads and tables (GSS shorthand).
REVISED = "[r]"
BREAK_IN_SERIES = "[b]"
#: Published while the year's figures were marked provisional (`releases.set_contact`).
PROVISIONAL = "[p]"


@dataclass(frozen=True)
class CellRef:
    """The address of one cell: table, row and column keys."""

    table: str
    row: str
    column: str

    def __str__(self) -> str:
        return f"{self.table}.{self.row}.{self.column}"

    @classmethod
    def parse(cls, text: str) -> CellRef:
        """The cell written as "table.row.column"; ValueError for anything else."""
        parts = text.strip().split(".")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"“{text}” is not a cell: write it as table.row.column")
        return cls(*parts)


def format_number(value: Decimal | int, decimals: int = 0, *, grouping: bool = False) -> str:
    """`value` with exactly `decimals` places (rounded half up), commas if `grouping`."""
    quantum = Decimal(1).scaleb(-decimals)
    number = Decimal(value).quantize(quantum, rounding="ROUND_HALF_UP")
    return f"{number:,}" if grouping else f"{number}"


@dataclass(frozen=True)
class CellValue:
    """What is recorded in one cell: a status, and a number when the status is VALUE."""

    status: CellStatus
    value: Decimal | None = None

    def __post_init__(self) -> None:
        if (self.status == CellStatus.VALUE) != (self.value is not None):
            raise ValueError("A cell has a number exactly when its status is 'value'.")
        if self.value is not None and not isinstance(self.value, Decimal):
            if isinstance(self.value, float):
                raise TypeError("Cell values are exact: give an int or a Decimal, not a float.")
            object.__setattr__(self, "value", Decimal(self.value))
        if self.value is not None:
            # One spelling per number (the database gives 43.000): 43, 125.2.
            whole = self.value.to_integral_value()
            canonical = (
                whole.quantize(Decimal(1)) if self.value == whole else self.value.normalize()
            )
            object.__setattr__(self, "value", canonical)

    @classmethod
    def of(cls, value: int | Decimal) -> CellValue:
        return cls(CellStatus.VALUE, Decimal(value))

    @property
    def is_number(self) -> bool:
        return self.status == CellStatus.VALUE

    def text(self, decimals: int = 0) -> str:
        """As written in a download or an input: the number at `decimals` places, or a code."""
        if self.value is not None:
            return format_number(self.value, decimals)
        return SHORTHAND[self.status]

    def display(self, decimals: int = 0) -> str:
        """As printed in a report table: thousands with commas, `-` if not applicable."""
        if self.value is not None:
            return format_number(self.value, decimals, grouping=True)
        if self.status == CellStatus.NOT_APPLICABLE:
            return "-"
        return SHORTHAND[self.status]

    @property
    def shorthand(self) -> str:
        """The value exactly as stored, without trailing zeros, or `[z]`, `[x]`, `[c]`.

        For records that do not know the template (submission snapshots); pages and downloads
        use `text(decimals)` with the cell's declared precision.
        """
        if self.value is not None:
            return f"{self.value:f}"
        return SHORTHAND[self.status]


NOT_APPLICABLE = CellValue(CellStatus.NOT_APPLICABLE)
NOT_AVAILABLE = CellValue(CellStatus.NOT_AVAILABLE)
