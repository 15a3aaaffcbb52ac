"""System checks: the return templates and series must load before the portal starts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

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


@register(Tags.security, deploy=True)
def check_proxies_are_counted(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Behind a TLS proxy, the proxies must be counted, or every client shares its address."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and settings.TRUSTED_PROXY_COUNT == 0:
        return [
            Warning(
                "BEHIND_TLS_PROXY is on but TRUSTED_PROXY_COUNT is 0: every client would share "
                "the proxy's address, so five wrong passwords would lock an account out for "
                "everyone, and password-reset limits would be one budget for the whole site.",
                hint="Set TRUSTED_PROXY_COUNT to the number of proxies in front of the service "
                "(1 behind one load balancer). See docs/deployment.md.",
                id="reports.W001",
            )
        ]
    return []
