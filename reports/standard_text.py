"""Each year's standard national text: "What is MAPPA?" and the explanatory commentary.

The national team writes it in Markdown, starting from the previous year's. It is rendered
with markdown-it-py with raw HTML switched off (so nothing a person types becomes markup beyond
Markdown's own), then given the GOV.UK classes. `{year}`, `{period_start}` and `{period_end}`
are filled in with the year's dates, so text copied from last year never carries last year's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

from . import public_state
from .models import ReportingYear, StandardText

DEFAULTS = Path(__file__).resolve().parent / "returns" / "standard"
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
PLACEHOLDERS = {
    "year": "the reporting year, like 2025-26",
    "period_start": "its first day, like 1 April 2025",
    "period_end": "its last day (the snapshot date), like 31 March 2026",
}
#: Sections put their own headings (h2): a heading in the text is never above h3.
CLASSES = {
    "paragraph_open": "govuk-body",
    "bullet_list_open": "govuk-list govuk-list--bullet govuk-list--spaced",
    "ordered_list_open": "govuk-list govuk-list--number govuk-list--spaced",
    "blockquote_open": "govuk-inset-text",
    "link_open": "govuk-link",
}
HEADINGS = {"h1": "govuk-heading-m", "h2": "govuk-heading-m", "h3": "govuk-heading-m"}

_markdown = MarkdownIt("commonmark", {"html": False}).disable(
    ["image", "html_inline", "html_block"]
)


@dataclass(frozen=True)
class YearText:
    """The standard text a year's reports show, and where it comes from."""

    what_is_mappa: str
    commentary: str
    #: The year whose text it is (None: the text shipped with the portal, 2010-11's).
    source_year: ReportingYear | None

    def is_own(self, year: ReportingYear) -> bool:
        return self.source_year is not None and self.source_year.pk == year.pk


def public_text_for(year: ReportingYear) -> YearText:
    """`text_for`, looked up once per public state (a new text makes a new one), for public
    pages: every report of a year shows it. Never for editing: a worker may lag a second."""
    return public_state.memo(("standard-text", year.start_year), lambda: text_for(year))


def text_for(year: ReportingYear) -> YearText:
    """The year's own text, else the latest earlier year's, else the portal's default."""
    row = (
        StandardText.objects.filter(year__start_year__lte=year.start_year)
        .select_related("year")
        .order_by("-year__start_year")
        .first()
    )
    if row is not None:
        return YearText(row.what_is_mappa, row.commentary, row.year)
    return YearText(
        (DEFAULTS / "what-is-mappa.md").read_text("utf-8"),
        (DEFAULTS / "commentary.md").read_text("utf-8"),
        None,
    )


def fill(text: str, year: ReportingYear) -> str:
    """The text with the year's placeholders filled in; unknown braces are left alone."""
    values = {
        "year": year.label,
        "period_start": f"{year.period_start.day} {year.period_start:%B %Y}",
        "period_end": f"{year.period_end.day} {year.period_end:%B %Y}",
    }
    return PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), text)


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in `text` that are not filled in (a typing slip, say)."""
    return sorted({m[1] for m in PLACEHOLDER.finditer(text)} - set(PLACEHOLDERS))


def render(text: str, year: ReportingYear) -> SafeString:
    """The Markdown text as GOV.UK-styled HTML, with the year's dates filled in."""
    return _render(fill(text, year))


@lru_cache(maxsize=256)
def _render(text: str) -> SafeString:
    # Every report of a year shows the same text: parse it once per worker, not per page.
    tokens = _markdown.parse(text)
    for token in tokens:
        _style(token)
        for child in token.children or ():
            _style(child)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return mark_safe(html)  # noqa: S308  raw HTML is off: only Markdown's own tags


def _style(token: Token) -> None:
    if token.type == "heading_open":
        token.tag = token.tag if token.tag in ("h4", "h5", "h6") else "h3"
        token.attrSet("class", HEADINGS.get(token.tag, "govuk-heading-s"))
    elif token.type == "heading_close":
        token.tag = token.tag if token.tag in ("h4", "h5", "h6") else "h3"
    elif token.type in CLASSES:
        token.attrSet("class", CLASSES[token.type])
