"""The project carries everything it needs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_DIRS = ["mappa_portal", "reports", "templates", "static/scss", "static/js", "tests", ".ci"]
SOURCE = (".py", ".html", ".scss", ".mjs", ".toml", ".csv")


def test_nothing_in_the_project_reads_the_shared_folder():
    files = [ROOT / "Makefile", ROOT / "package.json", ROOT / ".ci" / "run"]
    for folder in PROJECT_DIRS:
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in SOURCE]
    offenders = [
        str(path.relative_to(ROOT))
        for path in files
        if path != Path(__file__) and "../shared" in path.read_text("utf-8")
    ]
    assert len(files) > 20
    assert offenders == []


def test_no_template_comment_spans_lines():
    # Django's {# #} comment is one line only: one that spans lines is shown to readers.
    templates = list((ROOT / "templates").rglob("*.html"))
    spanning = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in templates
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if line.count("{#") > line.count("#}")
    ]
    assert len(templates) > 20
    assert spanning == []
