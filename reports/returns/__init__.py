"""The statistical return: every template since 2010-11, and the series that run across them.

Each generation of the MAPPA return is declared in a TOML file (`templates/<first year>.toml`)
and the series in `series.toml`; nothing in Python names a table, row or column. Forms, rules,
pages, downloads and the API all ask this package. `docs/return-templates.md` describes the
files.

The files are read once, on first use; a malformed file stops the app at start-up with a clear
message (the system check in `reports.checks`), never half-way through a request.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .cells import (
    BREAK_IN_SERIES,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    PROVISIONAL,
    REVISED,
    SHORTHAND,
    CellRef,
    CellStatus,
    CellValue,
    format_number,
)
from .loader import Declarations, TemplateError, load_declarations, start_year
from .series import Series, share
from .template import (
    AtMostRule,
    CellLayout,
    Column,
    RateRule,
    ReturnTemplate,
    Row,
    RowGroup,
    SumRule,
    Table,
    TableLayout,
)

__all__ = [
    "BREAK_IN_SERIES",
    "NOT_APPLICABLE",
    "NOT_AVAILABLE",
    "PROVISIONAL",
    "REVISED",
    "SHORTHAND",
    "AtMostRule",
    "CellLayout",
    "CellRef",
    "CellStatus",
    "CellValue",
    "Column",
    "RateRule",
    "ReturnTemplate",
    "Row",
    "RowGroup",
    "Series",
    "SumRule",
    "Table",
    "TableLayout",
    "TemplateError",
    "all_series",
    "all_templates",
    "declarations",
    "format_number",
    "get_series",
    "get_template",
    "series_break",
    "series_value",
    "template_choices",
    "template_for_year",
]

PACKAGE = Path(__file__).resolve().parent
_declarations: Declarations | None = None


def _template_dirs() -> list[Path]:
    return [Path(d) for d in getattr(settings, "RETURN_TEMPLATE_DIRS", [PACKAGE / "templates"])]


def declarations() -> Declarations:
    """Every template and series, read from the files on first use."""
    global _declarations
    if _declarations is None:
        _declarations = load_declarations(
            _template_dirs(), Path(getattr(settings, "RETURN_SERIES_FILE", PACKAGE / "series.toml"))
        )
    return _declarations


def reload() -> Declarations:
    """Read the files again (after the settings naming them change, in tests)."""
    global _declarations
    _declarations = None
    return declarations()


@receiver(setting_changed)
def _settings_changed(setting: str, **kwargs: object) -> None:
    if setting in {"RETURN_TEMPLATE_DIRS", "RETURN_SERIES_FILE"}:
        reload()


def all_templates() -> dict[str, ReturnTemplate]:
    """Every template by key, oldest first."""
    return declarations().templates


def get_template(key: str) -> ReturnTemplate:
    """The template declared under `key`; KeyError if there is none."""
    return declarations().templates[key]


def template_for_year(start: int) -> ReturnTemplate:
    """The template in force for the year starting in `start`: the latest begun by then."""
    candidates = [t for t in all_templates().values() if t.first_year <= start]
    if not candidates:
        return next(iter(all_templates().values()))
    return max(candidates, key=lambda t: t.first_year)


def template_choices() -> list[tuple[str, str]]:
    """(key, description) of every template, for the reporting year's choice."""
    return [(t.key, f"{t.key}: {t.description}") for t in all_templates().values()]


def all_series() -> dict[str, Series]:
    """Every series by key, in the order of series.toml."""
    return declarations().series


def get_series(key: str) -> Series:
    return declarations().series[key]


def series_value(
    series: Series, template: ReturnTemplate, values: dict[CellRef, CellValue]
) -> CellValue:
    """The series' value in one report (a share is worked out from its two series)."""
    if series.share_of:
        part, whole = (get_series(key).value(template, values) for key in series.share_of)
        return share(part, whole)
    return series.value(template, values)


def series_break(
    series: Series, template: ReturnTemplate, start: int, previous: int | None = None
) -> str:
    """Why the series breaks at the year starting in `start`, or "" if it does not.

    With `previous` (the start of the series' previous point, when years are missing in
    between), a break anywhere after that year up to this one counts: the two points are not
    comparable.
    """
    if series.share_of:
        reasons = [series_break(get_series(k), template, start, previous) for k in series.share_of]
        return " ".join(dict.fromkeys(r for r in reasons if r))
    if previous is None:
        return series.breaks.get(template.key, "") if start == template.first_year else ""
    reasons = [
        series.breaks[t.key]
        for t in all_templates().values()
        if previous < t.first_year <= start and t.key in series.breaks
    ]
    return " ".join(reasons)


def cells_breaking_between(template: ReturnTemplate, previous: int, start: int) -> set[CellRef]:
    """Cells of `template` whose definition changed after the year starting `previous`, up to
    and including the year starting `start`: their values are not comparable across the gap."""
    return {
        ref
        for other in all_templates().values()
        if previous < other.first_year <= start
        for ref in other.breaks
        if template.has_cell(ref)
    }


def break_cells(template: ReturnTemplate, start: int) -> frozenset[CellRef]:
    """The cells marked `[b]` in the year starting `start`: the template's breaks, in its first
    year only."""
    return frozenset(template.breaks) if start == template.first_year else frozenset()


__all__ += ["reload", "share", "start_year", "year_label"]
