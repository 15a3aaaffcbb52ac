"""The admin's import form, with the file's size and type checked before anything is read."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from import_export.forms import ImportForm


def check_import_file(name: str, size: int, head: bytes) -> None:
    """Refuse a file that is too big, or is not the CSV or XLSX it says it is."""
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise forms.ValidationError(
            f"The file is {size / 1_048_576:.1f} MB; the most that can be imported at once is "
            f"{limit // 1_048_576} MB. Split it into smaller files."
        )
    lower = name.lower()
    if lower.endswith(".xlsx"):
        if not head.startswith(b"PK"):
            raise forms.ValidationError("The file is named .xlsx but is not an Excel workbook.")
    elif lower.endswith(".csv"):
        try:
            head.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            if error.start < len(head) - 4:  # not just a character cut at the end of the sample
                raise forms.ValidationError(
                    "The CSV file is not UTF-8 text. Save it as “CSV UTF-8” and try again."
                ) from None
    else:
        raise forms.ValidationError("Choose a .csv or .xlsx file.")


class FigureImportForm(ImportForm):
    def clean_import_file(self) -> Any:
        upload: UploadedFile = self.cleaned_data["import_file"]
        head = upload.read(4096)
        upload.seek(0)
        check_import_file(upload.name or "", upload.size or 0, head)
        return upload
