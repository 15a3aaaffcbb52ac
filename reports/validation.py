"""The rules a report's figures must meet, in one place for forms, imports and the loader.

Each rule explains itself in a plain sentence naming the cells and the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .returns import CellRef, CellStatus, CellValue, ReturnTemplate


@dataclass(frozen=True)
class Problem:
    """Something wrong with a return, tied to the cell a person should look at."""

    cell: CellRef | None
    message: str


def check_figures(
    template: ReturnTemplate, values: Mapping[CellRef, CellValue], *, complete: bool
) -> list[Problem]:
    """Every problem with `values` under `template`.

    `complete=True` (a submission or a published report) also requires every applicable cell
    to be filled in; a draft may leave cells blank.
    """
    problems: list[Problem] = []
    not_applicable = set(template.not_applicable_cells())
    for ref, value in values.items():
        if not template.has_cell(ref):
            problems.append(Problem(None, f"{ref} is not a cell of the {template.key} return."))
        elif ref in not_applicable and value.status != CellStatus.NOT_APPLICABLE:
            problems.append(
                Problem(ref, f"{_where(template, ref)} is not applicable: leave it as “-”.")
            )
        elif ref not in not_applicable and value.status == CellStatus.NOT_APPLICABLE:
            problems.append(
                Problem(ref, f"{_where(template, ref)} applies: enter a number, [x] or [c].")
            )
    if complete:
        for ref in template.applicable_cells():
            if ref not in values:
                problems.append(Problem(ref, f"Enter {_where(template, ref)}."))
    problems.extend(_check_sums(template, values))
    return problems


def _where(template: ReturnTemplate, ref: CellRef) -> str:
    table = template.table(ref.table)
    return f"{table.short_name}: {template.label_of(ref)}"


def _check_sums(template: ReturnTemplate, values: Mapping[CellRef, CellValue]) -> list[Problem]:
    problems = []
    for rule in template.sum_rules():
        total = values.get(rule.total)
        parts = [values.get(ref) for ref in rule.parts]
        # A sum can be checked only when the total and every part are numbers.
        if total is None or total.value is None or any(p is None or p.value is None for p in parts):
            continue
        expected = sum(p.value for p in parts)  # type: ignore[union-attr]
        if total.value != expected:
            terms = " + ".join(
                f"{label} ({p.value:,})"  # type: ignore[union-attr]
                for label, p in zip(rule.part_labels, parts, strict=True)
            )
            table = template.table(rule.total.table)
            problems.append(
                Problem(
                    rule.total,
                    f"{table.short_name}: {rule.description} is {total.value:,} "
                    f"but {terms} = {expected:,}.",
                )
            )
    return problems
