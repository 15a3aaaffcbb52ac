"""The two real 2010-11 reports (`tests/seeds/`, text extracted from the published PDFs), read
section by section, and the differences from them that docs/report-fidelity.md declares.

The extraction left artefacts that are not the report's words: `<b>` tags, `&amp;`, separator
lines (`---`, `----\t----`), Markdown markers (`#`, `- `, `**`, `*`, `[text](address)`) and
line breaks inside paragraphs. `normalise` removes them and collapses whitespace, so the seed
and the page's text compare word for word.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

SEEDS = Path(__file__).resolve().parent / "seeds"
FIDELITY = Path(__file__).resolve().parents[1] / "docs" / "report-fidelity.md"
REPORTS = ("kent", "cambridgeshire-and-peterborough")
#: The printed report's sections, by the page's `data-section`, and the headings that open
#: them in the seeds (the cover has none: it is what comes before "Intro").
SECTIONS = {
    "intro": "Intro",
    "what-is-mappa": "What is MAPPA?",
    "statistics": "MAPPA Statistics",
    "commentary": "Explanation commentary on statistical tables",
    "local-page": "Local page",
}


def seed_sections(slug: str) -> dict[str, str]:
    """The seed report of `slug`: its cover and each section's text, normalised."""
    sections: dict[str, list[str]] = {"cover": []}
    current = "cover"
    headings = {heading: key for key, heading in SECTIONS.items()}
    for line in (SEEDS / f"{slug}-2010-11.txt").read_text("utf-8").splitlines():
        bare = re.sub(r"^#+\s*", "", line).strip()
        if bare in headings:
            current = headings[bare]
            sections[current] = [bare]
        else:
            sections[current].append(line)
    return {key: normalise("\n".join(lines)) for key, lines in sections.items()}


def normalise(text: str) -> str:
    """`text` without the extraction's artefacts, its whitespace collapsed to single spaces."""
    text = re.sub(r"</?b>", "", text)
    text = html.unescape(text)
    text = re.sub(r"^[-\t ]*-{2,}[-\t ]*$", "", text, flags=re.M)  # separator lines
    text = re.sub(r"^#+\s*", "", text, flags=re.M)  # headings
    text = re.sub(r"^- ", "", text, flags=re.M)  # list markers
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)  # links
    text = text.replace("**", "").replace("*", "")
    return " ".join(text.split())


def declared_differences() -> list[dict[str, str]]:
    """The rows of docs/report-fidelity.md's table of differences: report, section, as
    printed, on the page, and why (`` marks around the texts are dropped)."""
    rows = []
    table = FIDELITY.read_text("utf-8").split("<!-- differences -->")[1]
    for line in table.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 5:
            break
        report, section, printed, page, why = cells
        rows.append(
            {
                "report": report,
                "section": section,
                "printed": printed.strip("`"),
                "page": page.strip("`"),
                "why": why,
            }
        )
    return rows


def expected_sections(slug: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The seed's sections with the declared differences applied (what the page should
    read), and the declared differences that apply to `slug`."""
    sections = seed_sections(slug)
    applied = []
    for row in declared_differences():
        if row["report"] not in ("both", slug):
            continue
        # Whole words only: "-" is a cell's dash, never the one in "MAPPA-eligible".
        words = re.compile(rf"(?<!\S){re.escape(row['printed'])}(?!\S)")
        text = sections[row["section"]]
        assert words.search(text), f"docs/report-fidelity.md: not in the seed: {row}"
        sections[row["section"]] = " ".join(words.sub(row["page"], text).split())
        applied.append(row)
    return sections, applied
