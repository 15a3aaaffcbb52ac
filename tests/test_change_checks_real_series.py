"""The change checks on the real published figures: which real changes they flag.

The figures are the demo's past publications (reports/demo/past-publications.csv), the real
figures of the shared reference file historical-figures.csv put into the return's cells. Each
real report is checked as if it were being submitted, against every other year's changes.
docs/change-checks.md holds the table `flag_table` makes of them.
"""

import csv
import itertools
from pathlib import Path

import pytest

from reports import change_checks
from reports.models import AnnualReport
from reports.returns import CellRef

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "reports" / "demo" / "past-publications.csv"
REFERENCE = ROOT.parent / "shared" / "reference" / "historical-figures.csv"
DOC = ROOT / "docs" / "change-checks.md"
START, END = "<!-- real_flags:start -->", "<!-- real_flags:end -->"
#: The reference file's measures, as cells of the return.
MEASURES = {
    "category_1_rsos_on_31_march": "eligible_offenders.total.category_1",
    "category_2_on_31_march": "eligible_offenders.total.category_2",
    "category_3_on_31_march": "eligible_offenders.total.category_3",
    "all_categories_on_31_march": "eligible_offenders.total.total",
    "rsos_per_100000_population": "rso_rate.per_100000.number",
    "rsos_cautioned_or_convicted_for_breach_of_notification": "rso_breaches.rsos.number",
}
#: What the checks flag in the real figures: area, year, cell, rule, severity, change.
CATEGORY_1, RATE = "eligible_offenders.total.category_1", "rso_rate.per_100000.number"
EXPECTED = [
    ("thames-valley", "2016-17", CATEGORY_1, "areas", "check", "+16%"),
    ("devon-and-cornwall", "2022-23", CATEGORY_1, "fall", "check", "−2.8%"),
    ("gwent", "2022-23", CATEGORY_1, "areas", "check", "−5.1%"),
    ("gwent", "2023-24", CATEGORY_1, "areas", "unusual", "+20%"),
    ("gwent", "2023-24", RATE, "areas", "check", "+19%"),
    ("lancashire", "2023-24", RATE, "areas", "unusual", "−18%"),
]


def real_flags() -> list[tuple[AnnualReport, change_checks.ChangeWarning]]:
    """Every real report's change warnings, oldest year first, then by area."""
    reports = AnnualReport.objects.select_related("area", "year").order_by(
        "year__start_year", "area__name"
    )
    return [(report, w) for report in reports for w in change_checks.warnings_for(report)]


def compared(history: change_checks.PublishedHistory) -> tuple[int, int]:
    """(changes compared, of which between consecutive years) in the real figures."""
    every = consecutive = 0
    for ref, areas in history.values.items():
        for series in areas.values():
            years = sorted(series)
            for before, after in itertools.pairwise(years):
                if history.comparable(ref, before, after):
                    every += 1
                    consecutive += after == before + 1
    return every, consecutive


def flag_table(flags: list[tuple[AnnualReport, change_checks.ChangeWarning]]) -> str:
    """The Markdown table of docs/change-checks.md: each real change flagged."""
    lines = [
        "| Area | Year | Figure | Change | Rule | Severity |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for report, warning in flags:
        places = report.template.decimals(warning.cell)
        before, now = (f"{n:,.{places}f}" for n in (warning.before, warning.now))
        lines.append(
            f"| {report.area.name} | {report.year.label} | "
            f"{report.template.describe(warning.cell)} | {warning.change_text} "
            f"({before} in {warning.before_label} to {now}) | {warning.rule.label} | "
            f"{warning.severity.label} |"
        )
    return "\n".join(lines)


def test_the_demo_past_publications_are_the_real_figures_of_the_reference_file():
    if not REFERENCE.exists():
        pytest.skip(f"{REFERENCE} is not on this machine")
    with REFERENCE.open() as reference, DEMO.open() as demo:
        real = {
            (r["year"], r["area"], MEASURES[r["measure"]], r["value"])
            for r in csv.DictReader(reference)
        }
        loaded = {
            (r["year"], r["area"], f"{r['table']}.{r['row']}.{r['column']}", r["value"])
            for r in csv.DictReader(demo)
        }
    assert loaded == real


@pytest.mark.django_db
def test_the_checks_flag_these_real_changes_and_no_others(full_demo):
    flags = [
        (
            report.area.slug,
            report.year.label,
            str(w.cell),
            w.rule.value,
            w.severity.value,
            w.change_text,
        )
        for report, w in real_flags()
    ]
    assert flags == EXPECTED
    # Every other real change passes: 87 compared, 58 of them between consecutive years.
    assert compared(change_checks.published_history()) == (87, 58)


@pytest.mark.django_db
def test_typical_real_changes_are_not_flagged(full_demo):
    flagged = {(r.area.slug, r.year.start_year, w.cell) for r, w in real_flags()}
    rsos = CellRef.parse(CATEGORY_1)
    for area, year in [
        ("derbyshire", 2016),  # +4.3%, the median change
        ("sussex", 2021),  # +9.0%
        ("devon-and-cornwall", 2023),  # +8.4%, after its fall the year before
        ("hertfordshire", 2022),  # −1.9%: a fall, but within the tolerance
        ("derbyshire", 2014),  # +41% over four years, 9% a year
    ]:
        assert (area, year, rsos) not in flagged


@pytest.mark.django_db
def test_the_docs_list_the_real_changes_flagged(full_demo):
    text = DOC.read_text()
    assert text.count(START) == 1 and text.count(END) == 1
    block = text.split(START)[1].split(END)[0].strip("\n")
    table = flag_table(real_flags())
    assert block == table, (
        f"docs/change-checks.md is out of date: put this between {START} and {END}:\n{table}"
    )
