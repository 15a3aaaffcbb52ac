"""Import figures in the tidy format from a CSV or XLSX file, all or nothing."""

from pathlib import Path
from typing import Any
from zipfile import BadZipFile

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from import_export.formats.base_formats import CSV, XLSX, TablibFormat
from tqdm import tqdm

from reports.import_forms import check_import_file
from reports.resources import FigureResource


class Command(BaseCommand):
    resource_class: type[FigureResource] = FigureResource
    help = (
        "Import figures (columns year, area, table, row, column, value) into draft or returned "
        "reports, creating draft reports where there are none. Every row is checked with the "
        "same rules as the forms first; a file with any bad row imports nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path, help="A .csv or .xlsx file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and say what would change."
        )

    def handle(self, *args: Any, path: Path, dry_run: bool = False, **options: Any) -> None:
        file_format: TablibFormat = XLSX() if path.suffix.lower() == ".xlsx" else CSV()
        try:
            with path.open("rb") as file:
                check_import_file(path.name, path.stat().st_size, file.read(4096))
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from None
        except ValidationError as refused:
            raise CommandError(" ".join(refused.messages)) from None
        try:
            data = path.read_bytes() if file_format.is_binary() else path.read_text("utf-8-sig")
            dataset = file_format.create_dataset(data)
        except (OSError, ValueError, KeyError, BadZipFile) as error:
            raise CommandError(f"Cannot read {path}: {error}") from None
        with tqdm(
            total=len(dataset), unit="row", desc="Importing", disable=options["verbosity"] < 1
        ) as bar:
            # Only totals are printed: no row's before and after is needed.
            result = self.resource_class(progress=bar.update, diff=False).import_data(
                dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
            )
        problems = [
            message
            for invalid in result.invalid_rows
            for messages in invalid.error_dict.values()
            for message in messages
        ] + [str(error.error) for error in result.base_errors]
        problems += [str(e.error) for _, errors in result.row_errors() for e in errors]
        if problems:
            raise CommandError(
                f"Nothing was imported. {len(problems)} problem(s):\n" + "\n".join(problems)
            )
        totals = result.totals
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {totals['new']} new and {totals['update']} changed figures "
                f"({totals['skip']} unchanged)."
            )
        )
