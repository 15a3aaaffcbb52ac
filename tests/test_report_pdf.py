"""Each published report as a PDF: made on the server from its page, one section per page
start, kept per revision, never for anything unpublished."""

import io

import pypdf
import pytest

from reports import printing
from reports.models import AnnualReport
from tests.factories import make_report
from tests.seed_reports import SECTIONS

pytestmark = pytest.mark.django_db

#: Pages of each seed's PDF on A4 (measured; see docs/report-fidelity.md), and the page each
#: section starts on: the cover is page 1.
PAGES = {
    "kent": (10, {"intro": 2, "what-is-mappa": 3, "statistics": 5, "commentary": 7,
                  "local-page": 9}),
    "cambridgeshire-and-peterborough": (10, {"intro": 2, "what-is-mappa": 3, "statistics": 5,
                                             "commentary": 7, "local-page": 9}),
}  # fmt: skip


@pytest.fixture(autouse=True)
def pdf_dir(settings, tmp_path):
    settings.REPORT_PDF_DIR = str(tmp_path / "pdfs")
    return tmp_path / "pdfs"


def _pdf(client, url: str) -> pypdf.PdfReader:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return pypdf.PdfReader(io.BytesIO(body))


@pytest.mark.parametrize("slug", sorted(PAGES))
def test_each_section_of_the_seed_reports_starts_a_page(client, demo, slug):
    pdf = _pdf(client, f"/reports/2010-11/{slug}/revisions/1/report.pdf")
    count, starts = PAGES[slug]
    assert len(pdf.pages) == count
    texts = [page.extract_text() for page in pdf.pages]
    first_lines = [" ".join(text.split()) for text in texts]
    assert first_lines[0].startswith("Kent" if slug == "kent" else "Cambridgeshire and")
    assert "Annual Report 2010-11" in first_lines[0] and "Published" in first_lines[0]
    for key, number in starts.items():
        assert first_lines[number - 1].startswith(SECTIONS[key]), (key, texts[number - 1][:80])
        # And nowhere else: the heading opens its section once.
        others = [n for n, text in enumerate(first_lines, 1) if text.startswith(SECTIONS[key])]
        assert others == [number]
    # No near-empty page: every page carries a good part of a page of text.
    assert min(len(text) for text in texts[1:]) > 300
    # The portal's links are left out of the document.
    assert not any("Download" in text or "Contents" in text for text in texts)


def test_the_pdf_ends_with_the_report_s_own_last_words(client, demo):
    pdf = _pdf(client, "/reports/2010-11/kent/revisions/1/report.pdf")
    last = pdf.pages[-1].extract_text().split()
    assert last[-6:] == ["Changing", "Lives", "Reducing", "Crime", "Kent", "Police"]


def test_a_revision_s_pdf_is_made_once_and_then_read(client, demo, pdf_dir, monkeypatch):
    _pdf(client, "/reports/2010-11/kent/revisions/1/report.pdf")
    kept = list(pdf_dir.glob("2010-11-kent-revision-1-*.pdf"))
    assert len(kept) == 1

    def refuse(html):
        raise AssertionError("made again")

    monkeypatch.setattr(printing, "render_pdf", refuse)
    from reports import caching

    caching.store.clear()  # past the public cache: the kept file answers
    assert len(_pdf(client, "/reports/2010-11/kent/revisions/1/report.pdf").pages) == 10


def test_the_report_page_links_its_pdf(client, demo):
    html = client.get("/reports/2010-11/kent/").content.decode()
    assert 'href="/reports/2010-11/kent/revisions/1/report.pdf"' in html


@pytest.mark.parametrize(
    "status",
    [AnnualReport.Status.DRAFT, AnnualReport.Status.SUBMITTED, AnnualReport.Status.APPROVED],
)
def test_no_pdf_of_an_unpublished_report(client, db, status, pdf_dir):
    make_report("kent", status=status)
    response = client.get("/reports/2010-11/kent/revisions/1/report.pdf")
    assert response.status_code == 404
    assert not pdf_dir.exists()


def test_no_pdf_of_a_revision_that_does_not_exist(client, demo):
    assert client.get("/reports/2010-11/kent/revisions/2/report.pdf").status_code == 404


def test_a_pdf_reads_only_the_site_s_own_static_files():
    assert printing.static_file("build/application.css") is not None
    assert printing.static_file("../mappa_portal/settings.py") is None
    assert printing.static_file("no-such-file.css") is None
