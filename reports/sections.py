"""The sections of a report a coordinator completes, each on its own page, and what points at them.

A section is named by a slug: "introduction", "signatories", "local-page", or a statistics
table's key. A return can point at a section or at one of its cells (`ReturnPointer`); a
correction can reopen only some sections, the others staying as published.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .models import AnnualReport, ReportEvent, ReturnPointer
from .returns import CellRef, CellValue, ReturnTemplate, Table

INTRODUCTION, SIGNATORIES, LOCAL_PAGE = "introduction", "signatories", "local-page"
#: The sections whose text is copied when a report starts from last year's.
COPIED = (INTRODUCTION, SIGNATORIES, LOCAL_PAGE)
#: The report fields each text section holds (the rate table holds the population fields).
TEXT_FIELDS = {
    INTRODUCTION: ("foreword_title", "foreword"),
    LOCAL_PAGE: ("local_page_title", "local_narrative"),
}
POPULATION_FIELDS = ("population_estimate", "population_source")


@dataclass(frozen=True)
class Section:
    """A part of the return a coordinator completes on its own page."""

    slug: str
    title: str
    url_name: str
    table: Table | None = None


def sections_for(template: ReturnTemplate) -> list[Section]:
    """A report's sections in report order, the tables taken from its return template."""
    return [
        Section(INTRODUCTION, "Introduction", "manage:introduction"),
        Section(SIGNATORIES, "Signatories", "manage:signatories"),
        *(
            Section(table.key, table.short_name, "manage:table", table=table)
            for table in template.tables
        ),
        Section(LOCAL_PAGE, "Local page", "manage:local-page"),
    ]


def section_titles(template: ReturnTemplate) -> dict[str, str]:
    return {section.slug: section.title for section in sections_for(template)}


def sections_of_fields(template: ReturnTemplate, fields: Iterable[str]) -> set[str]:
    """The sections that hold the report fields named in `fields`."""
    names = set(fields)
    sections = {slug for slug, held in TEXT_FIELDS.items() if names & set(held)}
    if names & set(POPULATION_FIELDS) and template.rate_rule is not None:
        sections.add(template.rate_rule.rate.table)
    return sections


# --- What a section holds, to tell whether it changed ----------------------------------------


def section_state(report: AnnualReport, section: str) -> str:
    """What `section` holds now, as text: compared with a pointer's `was`."""
    if section in TEXT_FIELDS:
        return "\n".join(str(getattr(report, name)) for name in TEXT_FIELDS[section])
    if section == SIGNATORIES:
        return "\n".join(
            f"{s.section}|{s.name}|{s.job_title}|{s.organisation}" for s in report.signatories.all()
        )
    template = report.template
    values = report.cell_values()
    return "\n".join(
        f"{ref}={cell_state(template, values, ref)}"
        for ref, _, _ in template.table(section).cell_refs()
    )


def cell_state(template: ReturnTemplate, values: dict[CellRef, CellValue], ref: CellRef) -> str:
    """A cell as text ("" when not entered)."""
    value = values.get(ref)
    return "" if value is None else template.text(ref, value)


def pointer_state(report: AnnualReport, pointer: ReturnPointer) -> str:
    ref = pointer.ref
    if ref is None:
        return section_state(report, pointer.section)
    return cell_state(report.template, report.cell_values(), ref)


# --- Pointers and reopened sections ----------------------------------------------------------


def open_pointers(report: AnnualReport) -> list[ReturnPointer]:
    """What the national team's latest return points at, until the coordinator resubmits."""
    if report.status != AnnualReport.Status.RETURNED:
        return []
    return list(report.pointers.filter(resolved_by__isnull=True).order_by("pk"))


def unchanged(report: AnnualReport, pointers: list[ReturnPointer]) -> list[ReturnPointer]:
    """The pointers whose cell or section still holds what it did when returned."""
    values = report.cell_values()
    template = report.template
    states: dict[str, str] = {}
    left = []
    for pointer in pointers:
        ref = pointer.ref
        if ref is not None:
            now = cell_state(template, values, ref)
        else:
            if pointer.section not in states:
                states[pointer.section] = section_state(report, pointer.section)
            now = states[pointer.section]
        if now == pointer.was:
            left.append(pointer)
    return left


def correction_event(report: AnnualReport) -> ReportEvent | None:
    """The reopening behind the correction in progress, if the report is being corrected."""
    correcting = (
        AnnualReport.Status.RETURNED,
        AnnualReport.Status.SUBMITTED,
        AnnualReport.Status.APPROVED,
    )
    if report.status not in correcting:
        return None
    moves = report.events.filter(action__in=["reopen", "publish"]).order_by("-at", "-pk")
    latest = moves.only("action", "sections").first()
    return latest if latest is not None and latest.action == "reopen" else None


def reopened_sections(report: AnnualReport) -> set[str] | None:
    """The only sections a correction may change, or None when every section may change."""
    event = correction_event(report)
    if event is None or not event.sections:
        return None
    return set(event.sections)


def locked_reason(report: AnnualReport, section: str, reopened: set[str] | None) -> str:
    """Why `section` cannot change in this correction ("" if it can)."""
    if reopened is None or section in reopened:
        return ""
    titles = section_titles(report.template)
    names = [titles[slug] for slug in titles if slug in reopened]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (
        f"{titles.get(section, section)} stays as published: this correction reopened only "
        f"{listed}. Ask the national team if it needs correcting too."
    )
