"""Backing up and restoring the whole database: pg_dump for PostgreSQL, SQLite's backup API.

Used by the `backup_database` and `restore_database` commands (docs/operations.md).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections


class BackupError(Exception):
    """The backup or restore could not be made; the message says why."""


def _pg_url(alias: str) -> str:
    settings = connections[alias].settings_dict
    user = settings["USER"] or "postgres"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "localhost"
    port = settings["PORT"] or "5432"
    return f"postgresql://{user}{password}@{host}:{port}/{settings['NAME']}"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client).")
    return path


def backup(path: Path, alias: str = "default") -> None:
    """Write a consistent copy of the whole database to `path`."""
    connection = connections[alias]
    if connection.vendor == "postgresql":
        _run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(path), _pg_url(alias)]
        )
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)
        target.close()
    else:
        raise BackupError(f"Backups of {connection.vendor} databases are not supported.")


def restore(path: Path, alias: str = "default") -> None:
    """Replace the whole database with the backup at `path`."""
    if not path.exists():
        raise BackupError(f"There is no backup at {path}.")
    connection = connections[alias]
    if connection.vendor == "postgresql":
        connection.close()
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                _pg_url(alias),
                str(path),
            ]
        )
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(path) as source:
            source.backup(connection.connection)
        source.close()
    else:
        raise BackupError(f"Restores of {connection.vendor} databases are not supported.")


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or f"{command[0]} failed.")
