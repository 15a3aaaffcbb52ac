"""The rules a report's figures must meet, in one place for forms, imports and the loader.

Each rule explains itself in a plain sentence naming the cells and the numbers. Nothing here
touches the database: callers pass the values in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .returns import SHORTHAND, CellRef, CellStatus, CellValue, ReturnTemplate

#: A bound well above any area's figures, so that typing slips are caught.
MAX_FIGURE = 1_000_000
MAX_POPULATION = 100_000_000
#: Figures that moved by more than this share since the previous published year get a warning…
WARNING_SHARE = Decimal("0.5")
#: …unless they moved by fewer than this many, which for small counts is ordinary.
WARNING_MINIMUM_CHANGE = 5

_STATUS_BY_SHORTHAND = {text: status for status, text in SHORTHAND.items()}
_STATUS_BY_SHORTHAND.update(
    {text.strip("[]"): status for text, status in list(_STATUS_BY_SHORTHAND.items())}
)


@dataclass(frozen=True)
class Problem:
    """Something wrong (or, for warnings, worth a second look) with a return.

    `cells` are the cells involved, the one to correct first; forms attach the message to the
    first of them that they show.
    """

    cells: tuple[CellRef, ...]
    message: str

    @property
    def cell(self) -> CellRef | None:
        return self.cells[0] if self.cells else None


def parse_cell(text: str, *, allow_not_applicable: bool = True) -> CellValue | None:
    """A cell from what a person or a file wrote: a whole number, `[x]`, `[c]` (or `[z]`).

    Blank gives None. Thousands separators are accepted. Raises ValueError with a message for
    people.
    """
    text = text.strip()
    if text == "":
        return None
    status = _STATUS_BY_SHORTHAND.get(text.lower())
    if status is not None and (allow_not_applicable or status != CellStatus.NOT_APPLICABLE):
        return CellValue(status)
    cleaned = text.replace(",", "")
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise ValueError(f"“{text}” is not a whole number of 0 or more")
    number = int(cleaned)
    if number > MAX_FIGURE:
        raise ValueError(f"{number:,} is more than the largest figure allowed ({MAX_FIGURE:,})")
    return CellValue.of(number)


def check_figures(
    template: ReturnTemplate,
    values: Mapping[CellRef, CellValue],
    *,
    complete: bool,
    population: int | None = None,
) -> list[Problem]:
    """Every problem with `values` under `template`.

    `complete=True` (a submission or a published report) also requires every applicable cell
    to be filled in; a draft may leave cells blank. Rules between cells are checked wherever
    all the cells they need are numbers.
    """
    problems: list[Problem] = []
    not_applicable = set(template.not_applicable_cells())
    for ref, value in values.items():
        if not template.has_cell(ref):
            problems.append(Problem((), f"{ref} is not a cell of the {template.key} return."))
        elif ref in not_applicable and value.status != CellStatus.NOT_APPLICABLE:
            problems.append(
                Problem((ref,), f"{describe(template, ref)} is not applicable: leave it as “-”.")
            )
        elif ref not in not_applicable and value.status == CellStatus.NOT_APPLICABLE:
            problems.append(
                Problem((ref,), f"{describe(template, ref)} applies: enter a number, [x] or [c].")
            )
    if complete:
        for ref in template.applicable_cells():
            if ref not in values:
                problems.append(Problem((ref,), f"Enter {describe(template, ref)}."))
    problems.extend(_check_sums(template, values))
    problems.extend(_check_at_most(template, values))
    problems.extend(_check_rate(template, values, population))
    return problems


def check_changes(
    template: ReturnTemplate,
    values: Mapping[CellRef, CellValue],
    previous: Mapping[CellRef, CellValue],
    previous_label: str,
) -> list[Problem]:
    """Warnings for figures that moved a lot since the area's previous published year."""
    warnings = []
    for ref, _ in template.cells():
        now, before = _number(values.get(ref)), _number(previous.get(ref))
        if now is None or before is None:
            continue
        change = now - before
        if abs(change) < WARNING_MINIMUM_CHANGE:
            continue
        if before and Decimal(abs(change)) / before <= WARNING_SHARE:
            continue
        if before:
            share = (Decimal(abs(change)) * 100 / before).quantize(Decimal(1), ROUND_HALF_UP)
            movement = f"{'up' if change > 0 else 'down'} {share}% from {before:,}"
        else:
            movement = "up from 0"
        warnings.append(
            Problem(
                (ref,),
                f"{describe(template, ref)} is {now:,}, {movement} in {previous_label}.",
            )
        )
    return warnings


def describe(template: ReturnTemplate, ref: CellRef) -> str:
    """A cell's full name: its table's short name, then the cell's label."""
    table = template.table(ref.table)
    return f"{table.short_name}: {template.label_of(ref)}"


def expected_rate(count: int, population: int, per: int) -> int:
    """`count` per `per` of `population`, rounded half up as published rates are."""
    return int((Decimal(count) * per / population).quantize(Decimal(1), ROUND_HALF_UP))


def _number(value: CellValue | None) -> int | None:
    return value.value if value is not None else None


def _check_sums(template: ReturnTemplate, values: Mapping[CellRef, CellValue]) -> list[Problem]:
    problems = []
    for rule in template.sum_rules():
        total = _number(values.get(rule.total))
        parts = [_number(values.get(ref)) for ref in rule.parts]
        # A sum can be checked only when the total and every part are numbers.
        if total is None or None in parts:
            continue
        expected = sum(parts)  # type: ignore[arg-type]
        if total != expected:
            terms = " + ".join(
                f"{label} ({part:,})" for label, part in zip(rule.part_labels, parts, strict=True)
            )
            table = template.table(rule.total.table)
            problems.append(
                Problem(
                    (rule.total, *rule.parts),
                    f"{table.short_name}: {rule.description} is {total:,} "
                    f"but {terms} = {expected:,}.",
                )
            )
    return problems


def _check_at_most(template: ReturnTemplate, values: Mapping[CellRef, CellValue]) -> list[Problem]:
    problems = []
    for rule in template.at_most_rules:
        smaller, larger = _number(values.get(rule.smaller)), _number(values.get(rule.larger))
        if smaller is None or larger is None or smaller <= larger:
            continue
        problems.append(
            Problem(
                (rule.smaller, rule.larger),
                f"{describe(template, rule.smaller)} is {smaller:,} but "
                f"{describe(template, rule.larger)} is {larger:,}: {rule.reason}.",
            )
        )
    return problems


def _check_rate(
    template: ReturnTemplate, values: Mapping[CellRef, CellValue], population: int | None
) -> list[Problem]:
    rule = template.rate_rule
    if rule is None or not population:
        return []
    count, rate = _number(values.get(rule.count)), _number(values.get(rule.rate))
    if count is None or rate is None:
        return []
    expected = expected_rate(count, population, rule.per)
    if rate == expected:
        return []
    return [
        Problem(
            (rule.rate, rule.count),
            f"{describe(template, rule.rate)} is {rate:,} but {count:,} {rule.count_label} "
            f"÷ {population:,} population × {rule.per:,} = {expected:,} (rounded).",
        )
    ]
