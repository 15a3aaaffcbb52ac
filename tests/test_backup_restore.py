"""Backup and restore: restored into an empty database, every report is identical."""

import io
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from reports import backups
from reports.models import AnnualReport
from tests.factories import make_report, make_year

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def dump_reports() -> list:
    out = io.StringIO()
    call_command("dumpdata", "reports", stdout=out)
    return sorted(json.loads(out.getvalue()), key=lambda o: (o["model"], o["pk"]))


def without_public_state(objects: list) -> tuple[list, list]:
    """The reports' data, and the public state, which a restore moves on (public_state.py)."""
    state = [o for o in objects if o["model"] == "reports.publicstate"]
    return [o for o in objects if o["model"] != "reports.publicstate"], state


def manage(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "mappa_portal.test_settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def empty_database(tmp_path):
    """The URL of a new, empty database of the same kind as the test database."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    settings = connection.settings_dict
    name = f"{settings['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    user, host, port = settings["USER"] or "postgres", settings["HOST"], settings["PORT"] or 5432
    yield f"postgres://{user}@{host}:{port}/{name}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_backup_holds_every_report_identically(tmp_path, empty_database):
    year = make_year(2010)
    make_report("kent", year=year)  # published, with a revision
    make_report("essex", year=year, status=AnnualReport.Status.DRAFT, foreword="Draft words.")
    make_report("kent", year=make_year(2011), status=AnnualReport.Status.SUBMITTED)
    before = dump_reports()
    assert len([o for o in before if o["model"] == "reports.publishedfigure"]) == 57

    backup = tmp_path / "mappa.backup"
    call_command("backup_database", str(backup), stdout=io.StringIO())
    assert backup.stat().st_size > 0

    restored = manage("restore_database", "--yes", str(backup), database_url=empty_database)
    assert restored.returncode == 0, restored.stderr
    dumped = manage("dumpdata", "reports", database_url=empty_database)
    assert dumped.returncode == 0, dumped.stderr
    after = sorted(json.loads(dumped.stdout), key=lambda o: (o["model"], o["pk"]))
    (data_before, [state_before]), (data_after, [state_after]) = map(
        without_public_state, (before, after)
    )
    assert data_after == data_before
    assert state_after["fields"]["generation"] == state_before["fields"]["generation"] + 1
    assert state_after["fields"]["token"] != state_before["fields"]["token"]


def test_restoring_a_missing_backup_changes_nothing(tmp_path):
    make_report("kent", year=make_year(2010))
    before = dump_reports()
    with pytest.raises(CommandError, match="Nothing was restored: There is no backup"):
        call_command("restore_database", "--yes", str(tmp_path / "nowhere.backup"))
    assert dump_reports() == before


# --- Who can read a backup, and how the password is passed (issue 14) -----------------------

PASSWORD = "p@ss/word:#?%"  # each character a URL would need escaped
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def test_a_backup_is_readable_only_by_its_owner(tmp_path):
    make_report("kent", year=make_year(2010))
    backup = tmp_path / "mappa.backup"
    call_command("backup_database", str(backup), stdout=io.StringIO())
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    # Even in place of an older backup that others could read.
    backup.chmod(0o644)
    call_command("backup_database", str(backup), stdout=io.StringIO())
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["mappa.backup"]  # no partial file left


def test_a_backup_that_fails_halfway_leaves_the_previous_one(tmp_path, monkeypatch):
    previous = tmp_path / "mappa.backup"
    previous.write_bytes(b"yesterday's backup")

    def half_written(path: Path) -> None:
        path.write_bytes(b"half a backup")
        raise OSError("No space left on device")

    monkeypatch.setattr(backups.sqlite3, "connect", lambda path: half_written(Path(path)))
    monkeypatch.setattr(
        backups.subprocess,
        "run",
        lambda command, **kwargs: half_written(Path(command[command.index("--file") + 1])),
    )
    with pytest.raises(CommandError, match="No backup was made: No space left on device"):
        call_command("backup_database", str(previous))
    assert previous.read_bytes() == b"yesterday's backup"
    assert [p.name for p in tmp_path.iterdir()] == ["mappa.backup"]


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs postgresql-client")
def test_the_database_password_is_never_on_a_command_line():
    settings = {
        "NAME": "mappa",
        "USER": "mappa@portal",
        "PASSWORD": PASSWORD,
        "HOST": "db.example",
        "PORT": 5433,
        "OPTIONS": {"sslmode": "require"},
    }
    command, env = backups.pg_command("pg_dump", settings, ["--format=custom"])
    assert not any(PASSWORD in part or "p@ss" in part for part in command)
    assert command[1:] == [
        "--host", "db.example", "--port", "5433", "--username", "mappa@portal",
        "--dbname", "dbname=mappa", "--format=custom",
    ]  # fmt: skip
    assert (env["PGPASSWORD"], env["PGSSLMODE"]) == (PASSWORD, "require")


@on_postgresql
def test_a_password_with_at_and_slash_backs_up_and_restores(tmp_path, empty_database, monkeypatch):
    make_report("kent", year=make_year(2010))
    before = dump_reports()
    # Trust authentication ignores the password: what is checked is that any password is
    # passed intact, out of sight of `ps`, and breaks nothing.
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", PASSWORD)
    calls = []
    run = subprocess.run

    def spy(command, **kwargs):
        calls.append((command, kwargs["env"]))
        return run(command, **kwargs)

    monkeypatch.setattr(backups.subprocess, "run", spy)
    backup = tmp_path / "mappa.backup"
    call_command("backup_database", str(backup), stdout=io.StringIO())
    [(command, env)] = calls
    assert Path(command[0]).name == "pg_dump"
    assert not any("p@ss" in part for part in command)
    assert env["PGPASSWORD"] == PASSWORD
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600

    user, rest = empty_database.removeprefix("postgres://").split("@", 1)
    target = f"postgres://{user}:{quote(PASSWORD, safe='')}@{rest}"
    restored = manage("restore_database", "--yes", str(backup), database_url=target)
    assert restored.returncode == 0, restored.stderr
    dumped = manage("dumpdata", "reports", database_url=target)
    after = sorted(json.loads(dumped.stdout), key=lambda o: (o["model"], o["pk"]))
    assert without_public_state(after)[0] == without_public_state(before)[0]
