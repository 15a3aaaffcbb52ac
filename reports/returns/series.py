"""Series: one figure followed across return templates, with its breaks.

"Category 1 RSOs on 31 March" is one cell in every template; "Restrictive orders imposed" is
the SOPOs, NOs and FTOs of 2010-11 and then the SHPOs and NOs of 2015-16, with a break in
series (`[b]`) where the definition changed. `series.toml` names and describes each series;
each template file says which of its cells make it up (`[series]`) and where it breaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from .cells import CellRef, CellStatus, CellValue

if TYPE_CHECKING:
    from .template import ReturnTemplate

#: Shares are shown as percentages with one decimal place.
SHARE_DECIMALS = 1


@dataclass(frozen=True)
class Series:
    """A figure followed across templates: the sum of its cells in each template."""

    key: str
    label: str
    description: str = ""
    #: Drawn as a chart on each area's page.
    headline: bool = False
    #: A column of the year's comparison of areas.
    compare: bool = False
    #: (part, whole): this series is the part as a percentage of the whole.
    share_of: tuple[str, str] | None = None
    #: Template key → the cells added up in that template.
    cells: dict[str, tuple[CellRef, ...]] = field(default_factory=dict, compare=False)
    #: Template key → why the series breaks where that template starts.
    breaks: dict[str, str] = field(default_factory=dict, compare=False)
    #: Template key → decimal places shown.
    decimals: dict[str, int] = field(default_factory=dict, compare=False)
    #: Whether areas' values add up to a national one (a rate's do not).
    additive: bool = True

    def with_cells(
        self,
        cells: dict[str, tuple[CellRef, ...]],
        breaks: dict[str, str],
        templates: Mapping[str, ReturnTemplate],
    ) -> Series:
        """This series with its cells, breaks and precision in each template.

        It breaks where a template says so for the series itself (`breaks`), or for any of
        its cells (the template's `[[breaks]]`).
        """
        decimals = {
            key: max((templates[key].decimals(ref) for ref in refs), default=0)
            for key, refs in cells.items()
        }
        derived: dict[str, str] = {}
        for key, refs in cells.items():
            cell_breaks = templates[key].breaks
            reasons = [breaks.get(key, ""), *(cell_breaks.get(ref, "") for ref in refs)]
            reason = " ".join(dict.fromkeys(r for r in reasons if r))
            if reason:
                derived[key] = reason
        additive = all(
            templates[key].is_additive(ref) for key, refs in cells.items() for ref in refs
        )
        return replace(
            self, cells=dict(cells), breaks=derived, decimals=decimals, additive=additive
        )

    def cells_in(self, template: ReturnTemplate) -> tuple[CellRef, ...]:
        """The cells that make up the series in `template` (none if it is not collected)."""
        return self.cells.get(template.key, ())

    def decimals_in(self, template: ReturnTemplate) -> int:
        return SHARE_DECIMALS if self.share_of else self.decimals.get(template.key, 0)

    def value(self, template: ReturnTemplate, values: Mapping[CellRef, CellValue]) -> CellValue:
        """The series' value from one report's cells.

        `[x]` when the template does not collect it or a cell is missing; `[c]` when a cell
        is withheld (a sum would reveal it).
        """
        refs = self.cells_in(template)
        if not refs:
            return CellValue(CellStatus.NOT_AVAILABLE)
        total = Decimal(0)
        for ref in refs:
            cell = values.get(ref)
            if cell is None or cell.status in (CellStatus.NOT_AVAILABLE, CellStatus.NOT_APPLICABLE):
                return CellValue(CellStatus.NOT_AVAILABLE)
            if cell.status == CellStatus.WITHHELD:
                return CellValue(CellStatus.WITHHELD)
            total += cell.value  # type: ignore[operator]
        return CellValue.of(total)


def share(part: CellValue, whole: CellValue) -> CellValue:
    """`part` as a percentage of `whole`, to one decimal place; `[x]` if either is missing."""
    if CellStatus.WITHHELD in (part.status, whole.status):
        return CellValue(CellStatus.WITHHELD)
    if part.value is None or not whole.value:
        return CellValue(CellStatus.NOT_AVAILABLE)
    percent = (part.value * 100 / whole.value).quantize(
        Decimal(1).scaleb(-SHARE_DECIMALS), ROUND_HALF_UP
    )
    return CellValue.of(percent)
