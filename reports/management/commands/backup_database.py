"""Back up the whole database to a file."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reports.backups import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write a consistent copy of the whole database to PATH: pg_dump's custom format for "
        "PostgreSQL, a database file for SQLite. Restore it with restore_database."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            backup(path)
        except (BackupError, OSError) as error:
            raise CommandError(f"No backup was made: {error}") from None
        self.stdout.write(
            self.style.SUCCESS(f"Backed up to {path} ({path.stat().st_size:,} bytes).")
        )
