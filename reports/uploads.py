"""Files uploaded for import: read within bounds, and kept privately until the import is confirmed.

Reading. A file is never read further than a valid import could go: at most
`MAX_COLUMNS` columns, and at most `row_limit()` rows, every cell of every area's report in
every reporting year once. A workbook's parts are scanned as a stream first and the workbook
refused at the first thing past those bounds, whatever size its sheet declares; only then does
openpyxl read it, in read-only mode, within them.

Confirming. The admin previews an import, then imports it when confirmed. Between the two the
file waits in a private folder (`IMPORT_UPLOAD_DIR`, mode 700, each file 600) under a random
name. The confirmation form carries that name signed together with the user, a digest of their
session, the format and resource chosen and the version of each report the preview read, so a
confirmation imports exactly what was previewed, by whoever previewed it, or nothing. A file
can be confirmed for `IMPORT_CONFIRM_MINUTES`; older ones are removed whenever another is
uploaded.
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from import_export.formats.base_formats import CSV, XLSX
from import_export.tmp_storages import BaseStorage
from tablib import Dataset

from .models import Area, ReportingYear

#: The most columns an import has: year, area, table, row, column, value and a marker or source.
MAX_COLUMNS = 7
#: A workbook may unzip to this many times the largest upload; real ones stay well within.
MAX_UNZIPPED_RATIO = 10

_NAME = re.compile(r"[0-9a-f]{32}")
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")
_SALT = "reports.uploads.confirmation"


class ImportRefused(ValueError):
    """The file cannot be imported as it is; the message says why, for people."""


def row_limit() -> int:
    """The most figure lines a valid import can hold: every cell of every report, once."""
    cells = sum(len(list(year.template.cells())) for year in ReportingYear.objects.all())
    return Area.objects.count() * cells


def read_csv(text: str, limit: int | None = None) -> Dataset:
    """A CSV's records as a dataset, refusing one with more rows than any valid import.

    Lines are records, counted as tablib counts them: blank lines are skipped and short
    records padded, so the line numbers the checks give are those of the file.
    """
    limit = row_limit() if limit is None else limit
    records = csv.reader(_lines(text))
    try:
        return _records_dataset(records, limit)
    except csv.Error as error:
        raise ImportRefused(
            f"Line {records.line_num} could not be read as CSV ({error}). Check its quotes."
        ) from None


def _records_dataset(records: Any, limit: int) -> Dataset:
    headers = next(records, None)
    if not headers:
        return Dataset()
    if len(headers) > MAX_COLUMNS:
        raise ImportRefused(
            f"The first line names {len(headers)} columns; an import has at most "
            f"{MAX_COLUMNS}: year, area, table, row, column, value and a marker or source."
        )
    width = len(headers)
    rows: list[list[str]] = []
    for record in records:
        if not record:
            continue
        if len(rows) >= limit:
            raise _too_many_rows(limit)
        if len(record) > width:
            line = len(rows) + 2  # records, as every check counts them
            raise ImportRefused(
                f"Line {line} has {len(record)} values but the first line names {width} "
                "columns. Check for a stray comma."
            )
        rows.append(record + [""] * (width - len(record)))
    # Made once all is read: a file refused part way costs no dataset.
    return Dataset(*rows, headers=headers)


def _lines(text: str) -> Iterator[str]:
    """The text's lines with their endings (\\n, \\r\\n or \\r, as a file opened with
    newline="" gives them), one at a time: no copy of a large file, as io.StringIO would make
    at 4 bytes a character, and nothing read past where reading stops."""
    for line in _LINE.finditer(text):
        yield line.group()


def read_xlsx(data: bytes, limit: int | None = None) -> Dataset:
    """The first sheet of a workbook as a dataset, read within the bounds of a valid import.

    Its parts are scanned first, as a stream, and the workbook refused at the first thing
    past a bound: openpyxl builds a whole row, and every shared string, before any can be
    left out, so its own reading is bounded only once the scan has passed.
    """
    limit = row_limit() if limit is None else limit
    _scan_workbook(data, limit)
    import openpyxl  # only imports need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken workbook
        raise ImportRefused(UNREADABLE_WORKBOOK) from None
    try:
        return _first_sheet(book, limit)
    except ImportRefused:
        raise
    except Exception:  # a cell openpyxl cannot read, a workbook with no sheet, …
        raise ImportRefused(UNREADABLE_WORKBOOK) from None
    finally:
        book.close()


UNREADABLE_WORKBOOK = (
    "The workbook could not be read. Open it in Excel and save it again, or save the sheet as "
    "CSV, and try again."
)


def _first_sheet(book: Any, limit: int) -> Dataset:
    sheet = book.worksheets[0]
    height, columns = sheet.max_row or 0, sheet.max_column or 0
    if columns > MAX_COLUMNS or height > limit + 1:
        raise ImportRefused(
            f"The workbook's first sheet says it holds {height:,} rows and {columns:,} "
            f"columns; an import holds a heading row and at most {limit:,} figure rows, in "
            f"at most {MAX_COLUMNS} columns. Copy the figures into a new workbook, or save "
            "the sheet as CSV, and try again."
        )
    # Bounded reading: openpyxl pads each row to `max_col` and stops after `max_row`.
    values = sheet.iter_rows(max_col=MAX_COLUMNS, max_row=limit + 2, values_only=True)
    header = list(next(values, ()))
    while header and header[-1] is None:
        header.pop()
    if not header:
        return Dataset()
    width = len(header)
    rows: list[list[Any]] = []
    for line, row in enumerate(values, start=2):
        if len(rows) >= limit:
            raise _too_many_rows(limit)
        if any(value is not None for value in row[width:]):
            raise ImportRefused(
                f"Row {line} has values beyond the {width} columns the first row names."
            )
        rows.append(list(row[:width]))
    return Dataset(*rows, headers=header)


#: A workbook saved by Excel has a dozen parts; one sheet is read.
MAX_PARTS = 100
MAX_SHEETS = 20
#: No cell of an import needs more (a source's web address is the longest).
MAX_CELL_CHARACTERS = 2_000
_SHEET_XML = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_COLUMN = re.compile(r"[A-Z]+")


def _scan_workbook(data: bytes, limit: int) -> None:
    """Refuse a workbook whose parts go past what a valid import could hold, reading each
    part as a stream and stopping at the first thing past a bound."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS:
                raise ImportRefused(
                    f"The workbook has {len(parts):,} parts; one saved by Excel has a dozen. "
                    "Save the sheet as CSV and try again."
                )
            unzipped = sum(part.file_size for part in parts)
            most = settings.IMPORT_MAX_BYTES * MAX_UNZIPPED_RATIO
            if unzipped > most:
                raise ImportRefused(
                    f"The workbook unzips to {unzipped / 1_048_576:,.0f} MB; the most an import "
                    f"reads is {most // 1_048_576:,} MB. Save the sheet as CSV and try again."
                )
            for part in parts:
                name = part.filename
                if name == "xl/workbook.xml":
                    _scan_part(archive, part, _count_sheets())
                elif name == "xl/sharedStrings.xml":
                    _scan_part(archive, part, _count_shared_strings((limit + 1) * MAX_COLUMNS))
                elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    _scan_part(archive, part, _count_sheet_cells(limit))
    except zipfile.BadZipFile:
        raise ImportRefused("The file is named .xlsx but is not an Excel workbook.") from None


def _scan_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo, look: Any) -> None:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, iterparse

    next(look)  # started: it is sent each element as it ends
    try:
        with archive.open(part) as stream:
            for _, element in iterparse(stream, events=("end",)):
                look.send(element)
    except (ParseError, DefusedXmlException):
        raise ImportRefused(UNREADABLE_WORKBOOK) from None


def _text_checked(element: Any, where: str) -> None:
    if element.text and len(element.text) > MAX_CELL_CHARACTERS:
        raise ImportRefused(
            f"{where} holds more than {MAX_CELL_CHARACTERS:,} characters; no figure, name or "
            "source needs that many. Check the cell, and try again."
        )


def _count_sheets() -> Any:
    sheets = 0
    while True:
        element = yield
        if element.tag == _SHEET_XML + "sheet":
            sheets += 1
            if sheets > MAX_SHEETS:
                raise ImportRefused(
                    f"The workbook has more than {MAX_SHEETS} sheets. Copy the figures into a "
                    "new workbook, or save the sheet as CSV, and try again."
                )


def _count_shared_strings(most: int) -> Any:
    strings = 0
    while True:
        element = yield
        if element.tag == _SHEET_XML + "t":
            _text_checked(element, "A text cell")
        elif element.tag == _SHEET_XML + "si":
            strings += 1
            if strings > most:
                raise ImportRefused(
                    f"The workbook holds more than {most:,} pieces of text: more than a valid "
                    "import could. Save the sheet as CSV and try again."
                )
            element.clear()


def _count_sheet_cells(limit: int) -> Any:
    rows, cells = 0, 0
    while True:
        element = yield
        tag = element.tag
        if tag == _SHEET_XML + "c":
            cells += 1
            column = _COLUMN.match(element.get("r", ""))
            if cells > MAX_COLUMNS or (column and _column_number(column.group()) > MAX_COLUMNS):
                raise ImportRefused(
                    f"Row {rows + 1} of a sheet has cells beyond column "
                    f"{get_column_letter(MAX_COLUMNS)}; an import has at most {MAX_COLUMNS} "
                    "columns. Copy the figures into a new workbook, or save the sheet as CSV, "
                    "and try again."
                )
            element.clear()
        elif tag in (_SHEET_XML + "v", _SHEET_XML + "t"):
            _text_checked(element, f"A cell in row {rows + 1}")
        elif tag == _SHEET_XML + "row":
            rows, cells = rows + 1, 0
            if rows > limit + 1:
                raise _too_many_rows(limit)
            element.clear()


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def get_column_letter(number: int) -> str:
    """The spreadsheet column's letters: 1 is A, 7 is G."""
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _too_many_rows(limit: int) -> ImportRefused:
    return ImportRefused(
        f"The file has more than {limit:,} figure lines: more than every cell of every area's "
        "report in every reporting year. Check that nothing is repeated, or split the file."
    )


class BoundedCSV(CSV):
    """django-import-export's CSV format, read within the bounds of a valid import."""

    # django-import-export gives the file's content, never a stream (the stubs allow one).
    def create_dataset(self, in_stream: str | bytes) -> Dataset:  # type: ignore[override]
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode("utf-8-sig")
        return read_csv(in_stream)


class BoundedXLSX(XLSX):
    """django-import-export's XLSX format, read within the bounds of a valid import."""

    def create_dataset(self, in_stream: bytes) -> Dataset:  # type: ignore[override]  # as above
        return read_xlsx(in_stream)


def read_dataset(name: str, data: bytes) -> Dataset:
    """The records of an uploaded .csv or .xlsx file, within bounds; ImportRefused if not."""
    if name.lower().endswith(".xlsx"):
        return read_xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            "The CSV file is not UTF-8 text. Save it as “CSV UTF-8” and try again."
        ) from None
    return read_csv(text)


# --- waiting for confirmation -------------------------------------------------------------


def upload_dir() -> Path:
    """The private folder where uploads wait, made (mode 700) when first needed."""
    folder = Path(settings.IMPORT_UPLOAD_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def remove_stale_uploads() -> int:
    """Remove uploads older than the confirmation allows; how many were removed."""
    folder = Path(settings.IMPORT_UPLOAD_DIR)
    if not folder.is_dir():
        return 0
    oldest = time.time() - settings.IMPORT_CONFIRM_MINUTES * 60
    removed = 0
    for path in folder.iterdir():
        try:
            if _NAME.fullmatch(path.name) and path.stat().st_mtime < oldest:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # removed meanwhile by another worker
    return removed


class PrivateUploadStorage(BaseStorage):
    """django-import-export's temporary storage, in the private folder, under a random name.

    Only names this storage made are ever opened: anything else is refused, so no form can
    point an import at another file.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.name is not None and not _NAME.fullmatch(self.name):
            raise ImportRefused("The confirmation does not name an uploaded file.")

    @property
    def path(self) -> Path:
        assert self.name is not None
        return upload_dir() / self.name

    def save(self, data: str | bytes) -> None:
        remove_stale_uploads()
        self.name = secrets.token_hex(16)
        raw = data.encode(self.encoding or "utf-8") if isinstance(data, str) else data
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(raw)

    def read(self) -> str | bytes:
        raw = self.read_bytes()
        return raw if "b" in self.read_mode else raw.decode(self.encoding or "utf-8")

    def read_bytes(self) -> bytes:
        """The file as uploaded; ImportRefused if it has gone."""
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            raise ImportRefused(
                "The uploaded file is no longer here: it was imported already, or waited too "
                "long. Upload it again."
            ) from None

    def remove(self) -> None:
        if self.name:
            self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Confirmation:
    """What a preview showed, to be imported as it was or not at all."""

    file: str
    original_name: str
    format: int
    resource: int
    #: Each report the file names, "year|area", with the version the preview read (None: new).
    versions: dict[str, int | None]


def _session_digest(request: HttpRequest) -> str:
    # The session key itself never goes into a page.
    key = request.session.session_key or ""
    return salted_hmac(_SALT, key).hexdigest()


def sign(request: HttpRequest, confirmation: Confirmation) -> str:
    """The confirmation as a signed token bound to this user and session."""
    return signing.dumps(
        {
            "file": confirmation.file,
            "name": confirmation.original_name,
            "format": confirmation.format,
            "resource": confirmation.resource,
            "versions": confirmation.versions,
            "user": request.user.pk,
            "session": _session_digest(request),
        },
        salt=_SALT,
        compress=True,
    )


def unsign(request: HttpRequest, token: str) -> Confirmation:
    """The confirmation a token carries, or ImportRefused saying why it cannot be used."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=settings.IMPORT_CONFIRM_MINUTES * 60)
    except signing.SignatureExpired:
        raise ImportRefused(
            f"The preview is more than {settings.IMPORT_CONFIRM_MINUTES} minutes old. Upload "
            "the file again to see what it would change now."
        ) from None
    except signing.BadSignature:
        raise ImportRefused(
            "The confirmation was not made by this service for this file. Upload the file again."
        ) from None
    if payload.get("user") != request.user.pk or payload.get("session") != _session_digest(request):
        raise ImportRefused(
            "The preview was made in another sign-in. Upload the file again to import it."
        )
    return Confirmation(
        file=payload["file"],
        original_name=payload["name"],
        format=payload["format"],
        resource=payload["resource"],
        versions=payload["versions"],
    )
