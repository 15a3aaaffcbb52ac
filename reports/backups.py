"""Backing up and restoring the whole database: pg_dump for PostgreSQL, SQLite's backup API.

Used by the `backup_database` and `restore_database` commands (docs/operations.md).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.db import connections
from django.db.backends.postgresql.client import DatabaseClient
from psycopg.conninfo import make_conninfo


class BackupError(Exception):
    """The backup or restore could not be made; the message says why."""


def pg_command(
    tool: str, settings: Mapping[str, Any], options: list[str]
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment to run a PostgreSQL `tool` on the database `settings`.

    Host, port and user are options of their own, and the database is named by a conninfo
    string that psycopg quotes, so no character of any of them is misread; the password (and
    any SSL or service option) goes in the environment, as `manage.py dbshell` passes it, so
    it is never on a command line that every user of the machine can list.
    """
    command = [_tool(tool)]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            command += [option, str(settings[key])]
    command += ["--dbname", make_conninfo(dbname=settings["NAME"]), *options]
    _, connection_env = DatabaseClient.settings_to_cmd_args_env(dict(settings), [])
    return command, {**os.environ, **(connection_env or {})}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client).")
    return path


def backup(path: Path, alias: str = "default") -> None:
    """Write a consistent copy of the whole database to `path`, readable only by its owner.

    The copy is written to a new file made with mode 0600 beside `path`, then renamed to
    `path`: it is never readable by others, even while it is written, and a backup that
    fails leaves what was at `path` as it was.
    """
    connection = connections[alias]
    if connection.vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"Backups of {connection.vendor} databases are not supported.")
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(handle)
    partial = Path(name)
    try:
        if connection.vendor == "postgresql":
            options = ["--format=custom", "--no-owner", "--file", str(partial)]
            _run(*pg_command("pg_dump", connection.settings_dict, options))
        else:
            connection.ensure_connection()
            with sqlite3.connect(partial) as target:
                connection.connection.backup(target)
            target.close()
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def restore(path: Path, alias: str = "default") -> None:
    """Replace the whole database with the backup at `path`."""
    if not path.exists():
        raise BackupError(f"There is no backup at {path}.")
    connection = connections[alias]
    if connection.vendor == "postgresql":
        connection.close()
        options = ["--clean", "--if-exists", "--no-owner", "--single-transaction"]
        options.append(str(path.absolute()))  # never taken for an option
        _run(*pg_command("pg_restore", connection.settings_dict, options))
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(path) as source:
            source.backup(connection.connection)
        source.close()
    else:
        raise BackupError(f"Restores of {connection.vendor} databases are not supported.")


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or f"{command[0]} failed.")
