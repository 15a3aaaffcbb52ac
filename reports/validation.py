"""The rules a report's figures must meet, in one place for forms, imports and the loader.

Each rule explains itself in a plain sentence naming the cells and the numbers. Nothing here
touches the database: callers pass the values in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .returns import SHORTHAND, CellRef, CellStatus, CellValue, ReturnTemplate, format_number

#: A bound well above any area's figures, so that typing slips are caught.
MAX_FIGURE = 1_000_000
MAX_POPULATION = 100_000_000
#: Figures that moved by more than this share since the previous published year get a warning…
WARNING_SHARE = Decimal("0.5")
#: …unless they moved by fewer than this many, which for small counts is ordinary.
WARNING_MINIMUM_CHANGE = 5

_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
#: A whole number with its thousands separated by commas: 1,234 or 12,345,678.
_GROUPED = re.compile(r"[1-9][0-9]{0,2}(?:,[0-9]{3})+")  # not 0,123: a decimal comma
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


def number_kind(decimals: int) -> str:
    """What a cell takes, in words: "a whole number", "a number with up to 1 decimal place"."""
    if decimals == 0:
        return "a whole number"
    return f"a number with up to {decimals} decimal place{'s' if decimals > 1 else ''}"


def parse_cell(
    text: str, *, decimals: int = 0, allow_not_applicable: bool = True
) -> CellValue | None:
    """A cell from what a person or a file wrote: a number, `[x]`, `[c]` (or `[z]`).

    The number may have up to `decimals` decimal places (the cell's declared precision); it
    is kept exactly, never as a float. Blank gives None. Commas are taken as thousands
    separators only where they belong (1,234 and 12,345,678, not 1,2,3 or 12,34, which may be
    typing slips). Raises ValueError with a message for people.
    """
    text = text.strip()
    if text == "":
        return None
    status = _STATUS_BY_SHORTHAND.get(text.lower())
    if status is not None and (allow_not_applicable or status != CellStatus.NOT_APPLICABLE):
        return CellValue(status)
    whole, _, fraction = text.partition(".")
    if (
        "," in text
        and _NUMBER.fullmatch(text.replace(",", ""))
        and ("," in fraction or not _GROUPED.fullmatch(whole))
    ):
        raise ValueError(
            f"“{text}” has a comma out of place: commas can only separate thousands, as in "
            "1,234 or 12,345, or leave them out"
        )
    cleaned = text.replace(",", "")
    whole, point, fraction = cleaned.partition(".")
    if not (
        cleaned.isascii()
        and whole.isdigit()
        and (not point or (fraction.isdigit() and len(fraction) <= decimals))
    ):
        if point and decimals and whole.isdigit() and fraction.isdigit():
            raise ValueError(f"“{text}” has more than {decimals} decimal place(s)")
        raise ValueError(f"“{text}” is not {number_kind(decimals)} of 0 or more")
    number = Decimal(cleaned)
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
                Problem((ref,), f"{template.describe(ref)} is not applicable: leave it as “-”.")
            )
        elif ref not in not_applicable and value.status == CellStatus.NOT_APPLICABLE:
            problems.append(
                Problem((ref,), f"{template.describe(ref)} applies: enter a number, [x] or [c].")
            )
        elif value.value is not None and value.value != round(value.value, template.decimals(ref)):
            problems.append(
                Problem(
                    (ref,),
                    f"{template.describe(ref)} is {value.shorthand}: enter "
                    f"{number_kind(template.decimals(ref))}.",
                )
            )
    if complete:
        for ref in template.applicable_cells():
            if ref not in values:
                problems.append(Problem((ref,), f"Enter {template.describe(ref)}."))
    problems.extend(_check_sums(template, values))
    problems.extend(_check_at_most(template, values))
    problems.extend(_check_rate(template, values, population))
    return problems


def check_changes(
    template: ReturnTemplate,
    values: Mapping[CellRef, CellValue],
    previous: Mapping[CellRef, CellValue],
    previous_label: str,
    not_comparable: set[CellRef] | frozenset[CellRef] = frozenset(),
) -> list[Problem]:
    """Warnings for figures that moved a lot since the area's previous published year.

    Cells in `not_comparable` (a break in series between the two years) are not compared.
    """
    warnings = []
    for ref, _ in template.cells():
        if ref in not_comparable:
            continue
        now, before = _number(values.get(ref)), _number(previous.get(ref))
        if now is None or before is None:
            continue
        change = now - before
        if abs(change) < WARNING_MINIMUM_CHANGE:
            continue
        if before and abs(change) / before <= WARNING_SHARE:
            continue
        places = template.decimals(ref)
        if before:
            share = (abs(change) * 100 / before).quantize(Decimal(1), ROUND_HALF_UP)
            movement = (
                f"{'up' if change > 0 else 'down'} {share}% from "
                f"{format_number(before, places, grouping=True)}"
            )
        else:
            movement = "up from 0"
        warnings.append(
            Problem(
                (ref,),
                f"{template.describe(ref)} is {format_number(now, places, grouping=True)}, "
                f"{movement} in {previous_label}.",
            )
        )
    return warnings


def expected_rate(count: Decimal | int, population: int, per: int, decimals: int = 0) -> Decimal:
    """`count` per `per` of `population`, rounded half up at `decimals` places as published."""
    return (Decimal(count) * per / population).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)


def _number(value: CellValue | None) -> Decimal | None:
    return value.value if value is not None else None


def _figure(template: ReturnTemplate, ref: CellRef, number: Decimal | int) -> str:
    return format_number(number, template.decimals(ref), grouping=True)


def _check_sums(template: ReturnTemplate, values: Mapping[CellRef, CellValue]) -> list[Problem]:
    problems = []
    for rule in template.sum_rules():
        total = _number(values.get(rule.total))
        parts = [part for ref in rule.parts if (part := _number(values.get(ref))) is not None]
        # A sum can be checked only when the total and every part are numbers.
        if total is None or len(parts) < len(rule.parts):
            continue
        expected = sum(parts)
        if total != expected:
            terms = " + ".join(
                f"{label} ({_figure(template, ref, part)})"
                for label, ref, part in zip(rule.part_labels, rule.parts, parts, strict=True)
            )
            table = template.table(rule.total.table)
            problems.append(
                Problem(
                    (rule.total, *rule.parts),
                    f"{table.short_name}: {rule.description} is "
                    f"{_figure(template, rule.total, total)} "
                    f"but {terms} = {_figure(template, rule.total, expected)}.",
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
                f"{template.describe(rule.smaller)} is {_figure(template, rule.smaller, smaller)} "
                f"but {template.describe(rule.larger)} is "
                f"{_figure(template, rule.larger, larger)}: {rule.reason}.",
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
    places = template.decimals(rule.rate)
    expected = expected_rate(count, population, rule.per, places)
    if rate == expected:
        return []
    precision = (
        "rounded" if places == 0 else f"to {places} decimal place{'s' if places > 1 else ''}"
    )
    return [
        Problem(
            (rule.rate, rule.count),
            f"{template.describe(rule.rate)} is {_figure(template, rule.rate, rate)} but "
            f"{_figure(template, rule.count, count)} {rule.count_label} "
            f"÷ {population:,} population × {rule.per:,} = "
            f"{_figure(template, rule.rate, expected)} ({precision}).",
        )
    ]
