"""System checks: the return templates and series must load before the portal starts."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from . import returns


@register()
def check_return_templates(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Every problem in the template and series files, as an error that stops start-up."""
    return [
        Error(problem, hint="See docs/return-templates.md.", id="reports.E001")
        for problem in returns.declarations().problems
    ]
