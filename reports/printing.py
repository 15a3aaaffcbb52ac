"""Published reports as PDF, made on the server from the report page itself (WeasyPrint).

The page is rendered as for the browser (report_detail.html, `pdf` set so the portal's links
are left out) and laid out by WeasyPrint with the print stylesheet, so the PDF and a printed
page are the same document. Making one takes a second or two, so each is kept on disk under
its revision and a digest of the page it was made from: a revision's PDF is made once, and
again only if its page changes (a new layout, an area's renamed strapline).
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders

from .models import PublishedRevision

logger = logging.getLogger(__name__)

#: The address the page is laid out at: only its static files are ever fetched (url_fetcher).
BASE_URL = "https://mappa-portal.invalid/"


def pdf_path(revision: PublishedRevision, html: str) -> Path:
    """Where the PDF of `revision`, made from `html`, is kept."""
    digest = hashlib.sha256(html.encode()).hexdigest()[:16]
    report = revision.report
    name = f"{report.year.label}-{report.area.slug}-revision-{revision.number}-{digest}.pdf"
    return Path(settings.REPORT_PDF_DIR) / name


def report_pdf(revision: PublishedRevision, html: str) -> Path:
    """The PDF of the revision's page `html`: made and kept the first time, then read."""
    path = pdf_path(revision, html)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = render_pdf(html)
    # Written beside, then moved into place: another worker never reads half a file.
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as part:
        part.write(pdf)
    os.replace(part.name, path)
    return path


def render_pdf(html: str) -> bytes:
    """`html` (a page of this site) laid out for print as PDF."""
    # Imported here: WeasyPrint loads pango, which only PDFs need.
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf = HTML(string=html, base_url=BASE_URL, url_fetcher=_static_fetcher()).write_pdf()
    assert pdf is not None  # no target given: the bytes
    return pdf


def _static_fetcher() -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

    class StaticOnly(URLFetcher):
        """The site's own static files (styles, fonts), read from disk; nothing else, so a
        page can never make the server request another address."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            prefix = BASE_URL.rstrip("/") + settings.STATIC_URL
            if not url.startswith(prefix):
                raise ValueError(f"Not fetched for a PDF: {url}")
            name = url.removeprefix(prefix).split("?")[0].split("#")[0]
            path = static_file(name)
            if path is None:
                raise ValueError(f"No such static file: {name}")
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

    return StaticOnly(fail_on_errors=False)


def static_file(name: str) -> Path | None:
    """The file of the static file `name`: collected (production), else found in the
    source folders (development and tests); None if there is none."""
    if ".." in Path(name).parts:
        return None
    collected = Path(settings.STATIC_ROOT) / name
    if collected.is_file():
        return collected
    found = finders.find(name)
    return Path(found) if isinstance(found, str) else None
