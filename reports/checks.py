"""System checks: the return templates and series must load before the portal starts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.checks import Error, Tags, register

from . import returns


@register()
def check_return_templates(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Every problem in the template and series files, as an error that stops start-up."""
    return [
        Error(problem, hint="See docs/return-templates.md.", id="reports.E001")
        for problem in returns.declarations().problems
    ]


@register(Tags.database)
def check_reporting_years_have_templates(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[Error]:
    """Every reporting year's template has its file (run by `migrate` and `check --database`)."""
    from django.db import DatabaseError

    from .models import ReportingYear

    if not databases or returns.declarations().problems:
        return []  # no database to look in, or the files' problems are reported already
    try:
        years = [
            year
            for alias in databases
            for year in ReportingYear.objects.using(alias).values_list(
                "start_year", "return_template"
            )
        ]
    except DatabaseError:
        return []  # not migrated yet
    known = returns.all_templates()
    return [
        Error(
            f"Reporting year {start}-{(start + 1) % 100:02d} uses the return template "
            f"“{key}”, which has no file in RETURN_TEMPLATE_DIRS.",
            hint="Restore the template's file: its reports' figures are cells of it.",
            id="reports.E002",
        )
        for start, key in years
        if key not in known
    ]
