"""Restore the whole database from a backup file."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reports import public_state
from reports.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the whole database (DATABASE_URL) with the backup at PATH, made by "
        "backup_database. Everything in the database now is lost: restore into an empty one "
        "first if in doubt."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, path: Path, yes: bool = False, **options: Any) -> None:
        if (
            not yes
            and input("This replaces the whole database. Type 'restore' to go on: ") != "restore"
        ):
            raise CommandError("Nothing was restored.")
        try:
            restore(path)
        except (BackupError, OSError) as error:
            raise CommandError(f"Nothing was restored: {error}") from None
        # The backup brings back an older public state: pages kept under it (in Redis, say),
        # and dates that browsers hold, must not be taken for the restored data's.
        with transaction.atomic():
            public_state.bump()
        self.stdout.write(self.style.SUCCESS(f"Restored from {path}."))
