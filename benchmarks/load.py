"""Load test: gunicorn on PostgreSQL, driven from a second process on 127.0.0.1.

The database is the demo's (with a Kent 2025-26 draft) filled out to published reports for the
42 areas × 20 years (2005-06 to 2024-25: the demo's own reports are kept, the other areas and
years are added, `benchmarks/data.py`), then ANALYZEd. It is served as deployed: gunicorn
(3 workers), the production settings (static files collected) but for plain HTTP on 127.0.0.1.

Reads (report page, national summary, compare, area page, year CSV) are driven by wrk, with
/healthz, a trivial view served by the same server, measured just before and just after them:
each read is reported as a ratio to the trivial view's throughput and latency in the same run.
A second server with the public response cache turned off (PUBLIC_CACHE=false) gives the report
page's cold render, as a ratio to that server's own trivial view. Signed-in draft saves are made
by a small threaded client that, like a browser, reads the form's version before saving.
The ratios are only printed; the run fails on any error, the trivial view's own errors reported
as such.

With --restart-postgres, PostgreSQL is restarted in the middle of the saves: the app must
recover by itself (no restart), and every save it accepted must be in the database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python benchmarks/load.py

DATABASE_URL names the PostgreSQL server (its database is not touched). The load test drops and
makes its own database, LOAD_DATABASE (default mappa_load; it must start with mappa_load and
differ from DATABASE_URL's), and serves on 127.0.0.1 at LOAD_PORT (default 8765) and, for the
cold render, LOAD_PORT + 1.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATABASE = os.environ.get("LOAD_DATABASE", "mappa_load")
PORT_SETTING = os.environ.get("LOAD_PORT", "8765")
PORT = int(PORT_SETTING) if PORT_SETTING.isdigit() else 0
COLD_PORT = PORT + 1
SECONDS = 5
WARM_UP_SECONDS = 1
#: 2005-06 to 2024-25: the years the demo has up to 2024-25 filled out, 2025-26 left open.
FIRST_YEAR, YEARS = 2005, 20
SAVE_URL = "/manage/reports/2025-26/kent/introduction/"  # the year the demo opens
HEALTH = "/healthz"
PAGES = {
    "report page": "/reports/2010-11/kent/",
    "national summary": "/reports/2010-11/",
    "compare": "/reports/2010-11/compare/",
    "area page": "/areas/kent/",
    "year CSV": "/reports/2010-11/figures.csv",
}
COLD_PAGE = "report page"


def run(*args: str, env: dict) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def refusal(url: str) -> str | None:
    """Why the settings cannot be used, or None."""
    if not url.startswith("postgres"):
        return "The load test needs PostgreSQL: set DATABASE_URL=postgres://…"
    if not 0 < PORT < 65535:
        return f"LOAD_PORT={PORT_SETTING!r} is not a port number."
    if not re.fullmatch(r"mappa_load[A-Za-z0-9_]*", DATABASE):
        return (
            f"LOAD_DATABASE={DATABASE!r}: the load test drops and re-creates this database, so "
            "its name must start with mappa_load (letters, digits and _ after it)."
        )
    if urllib.parse.urlsplit(url).path.lstrip("/") == DATABASE:
        return (
            f"LOAD_DATABASE={DATABASE!r} is DATABASE_URL's own database; the load test drops "
            "and re-creates its database, so it will not use that one."
        )
    if shutil.which("wrk") is None:
        return "wrk is not installed (apt-get install wrk)."
    return None


def database_url(url: str, name: str) -> str:
    """DATABASE_URL with its database replaced by `name`."""
    return urllib.parse.urlsplit(url)._replace(path=f"/{name}").geturl()


def prepare(url: str, cache_dir: str) -> tuple[dict, str]:
    with psycopg.connect(database_url(url, "postgres"), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    # The deployed settings, not the test suite's (which look static files up on every request,
    # and may check what is public more often than deployed), but for plain HTTP on 127.0.0.1.
    env = {
        **os.environ,
        "DATABASE_URL": database_url(url, DATABASE),
        "DJANGO_SETTINGS_MODULE": "mappa_portal.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PUBLIC_CACHE_DIR": cache_dir,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.pop("PUBLIC_CACHE", None)  # the served server runs as deployed: the default
    manage = [str(BIN / "python"), "manage.py"]
    run(*manage, "migrate", "--no-input", "-v0", env=env)
    run(*manage, "collectstatic", "--no-input", "-v0", env=env)  # as a deploy does
    run(*manage, "load_demo", "--with-users", "-v0", env=env)
    script = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from reports.models import ReportingYear
from tests.factories import make_report
user = get_user_model().objects.get(username="kent.coordinator@example.gov.uk")
make_report("kent", year=ReportingYear.objects.get(start_year=2025), status="draft")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(json.dumps({"session": session.session_key}))
"""
    session = json.loads(run(*manage, "shell", "-c", script, env=env).strip().splitlines()[-1])
    build = f"from benchmarks.data import build\nbuild({FIRST_YEAR}, {YEARS})\n"
    run(*manage, "shell", "-c", build, env=env)
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
        connection.execute("ANALYZE")
        reports, areas, years = _one(
            connection.execute(
                "SELECT count(*), count(DISTINCT area_id), count(DISTINCT year_id) "
                "FROM reports_annualreport WHERE status = 'published'"
            )
        )
        (figures,) = _one(connection.execute("SELECT count(*) FROM reports_publishedfigure"))
    print(f"Data: {reports:,} published reports ({areas} areas × {years} years), "
          f"{figures:,} published figures; ANALYZEd.")  # fmt: skip
    return env, session["session"]


def _one(cursor: psycopg.Cursor) -> tuple:
    """The one row of an aggregate query."""
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError("An aggregate query returned no row.")
    return row


def serve(env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "mappa_portal.wsgi", "--workers", "3",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def wait_until_serving(server: subprocess.Popen, port: int) -> None:
    """Until the trivial view answers 200 (the socket is bound before the workers are ready)."""
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn on port {port} exited with {server.returncode}")
        try:
            if get(port, HEALTH) == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.1)
    raise SystemExit(f"gunicorn on port {port} did not answer {HEALTH} within 30 seconds")


def warm_up(port: int, paths: list[str]) -> list[str]:
    """Each path once, which must answer 200, then briefly under wrk, so that every worker has
    imported, connected and compiled its templates before anything is measured."""
    problems = []
    for path in paths:
        status = get(port, path)
        if status != 200:
            problems.append(f"{path} answered {status}, not 200")
        wrk(port, path, WARM_UP_SECONDS)
    return problems


def wrk(port: int, path: str, seconds: int = SECONDS) -> dict:
    out = subprocess.run(  # noqa: S603
        [shutil.which("wrk") or "wrk", "-t2", "-c8", f"-d{seconds}s", "--latency",
         f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    kinds = ("connect", "read", "write", "timeout")
    sockets = (
        dict(zip(kinds, map(int, socket_errors.groups()), strict=True)) if socket_errors else {}
    )
    return {
        "rps": float(_find(r"Requests/sec:\s+([\d.]+)", out)),
        "p50": _ms(_find(r"50%\s+([\d.]+\w+)", out)),
        "p99": _ms(_find(r"99%\s+([\d.]+\w+)", out)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "sockets": sockets,
        "errors": (int(non_2xx.group(1)) if non_2xx else 0) + sum(sockets.values()),
    }


def _find(pattern: str, text: str) -> str:
    """The first group of `pattern` in `text` (wrk's report, which always has it)."""
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"No {pattern!r} in:\n{text}")
    return found.group(1)


def _ms(text: str) -> float:
    number, unit = float(_find(r"^([\d.]+)", text)), re.sub(r"[\d.]+", "", text)
    return number * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def describe_errors(result: dict) -> str:
    """Like: 12 errors (3 non-2xx responses; socket errors: read 9)."""
    parts = []
    if result["non_2xx"]:
        parts.append(f"{result['non_2xx']} non-2xx responses")
    sockets = ", ".join(f"{kind} {n}" for kind, n in result["sockets"].items() if n)
    if sockets:
        parts.append(f"socket errors: {sockets}")
    return f"{result['errors']} errors" + (f" ({'; '.join(parts)})" if parts else "")


def floor_of(runs: list[dict]) -> dict:
    """The trivial view's figures over its runs (means; errors added up)."""
    return {
        "rps": statistics.mean(r["rps"] for r in runs),
        "p50": statistics.mean(r["p50"] for r in runs),
        "p99": statistics.mean(r["p99"] for r in runs),
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "sockets": {
            kind: sum(r["sockets"].get(kind, 0) for r in runs)
            for kind in ("connect", "read", "write", "timeout")
        },
        "errors": sum(r["errors"] for r in runs),
    }


def ratio(value: float) -> str:
    """Two decimals, or two significant digits below 0.1 (0.0043×, not 0.00×)."""
    return f"{value:.2f}" if value >= 0.1 else f"{value:.2g}"


def ratios(name: str, result: dict, floor: dict) -> str:
    return (
        f"{name}: throughput {ratio(result['rps'] / floor['rps'])}× the trivial view's "
        f"({result['rps']:.0f} requests/s), p50 {result['p50'] / floor['p50']:.1f}×, "
        f"p99 {result['p99'] / floor['p99']:.1f}×, {describe_errors(result)}"
    )


def measure_reads(failures: list[str]) -> dict:
    """The trivial view, the pages, the trivial view again: all on the served server."""
    failures += warm_up(PORT, [HEALTH, *PAGES.values()])
    before = wrk(PORT, HEALTH)
    results = {name: wrk(PORT, path) for name, path in PAGES.items()}
    after = wrk(PORT, HEALTH)
    floor = floor_of([before, after])
    print(f"Trivial view ({HEALTH}): {floor['rps']:.0f} requests/s (before the pages "
          f"{before['rps']:.0f}, after {after['rps']:.0f}), p50 {floor['p50']:.1f} ms, "
          f"p99 {floor['p99']:.1f} ms, {describe_errors(floor)}")  # fmt: skip
    if floor["errors"]:
        failures.append(f"the trivial view itself had {describe_errors(floor)}")
    for name, result in results.items():
        print(ratios(name, result, floor))
        if result["errors"]:
            failures.append(f"{name}: {describe_errors(result)}")
    return floor


def measure_cold(cold: subprocess.Popen, failures: list[str]) -> None:
    """The report page rendered afresh every time: the second server, its cache turned off."""
    wait_until_serving(cold, COLD_PORT)
    failures += warm_up(COLD_PORT, [HEALTH, PAGES[COLD_PAGE]])
    before = wrk(COLD_PORT, HEALTH)
    result = wrk(COLD_PORT, PAGES[COLD_PAGE])
    floor = floor_of([before, wrk(COLD_PORT, HEALTH)])
    print(f"Cold render (PUBLIC_CACHE=false, trivial view there {floor['rps']:.0f} requests/s, "
          f"{describe_errors(floor)}): {ratios(COLD_PAGE, result, floor)}")  # fmt: skip
    if floor["errors"]:
        failures.append(
            f"the trivial view itself had {describe_errors(floor)} on the PUBLIC_CACHE=false server"
        )
    if result["errors"]:
        failures.append(f"{COLD_PAGE} (cold render): {describe_errors(result)}")


class Saver:
    """Signed-in coordinators saving the introduction: read the version, then save."""

    def __init__(self, session: str) -> None:
        self.csrf = secrets.token_hex(16)  # a 32-character secret, as in Django's cookie
        self.cookie = f"sessionid={session}; csrftoken={self.csrf}"
        self.latencies: list[float] = []
        self.accepted: list[str] = []
        self.conflicts = 0
        self.errors = 0
        self.lock = threading.Lock()

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        headers = {"Cookie": self.cookie}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        connection.close()
        return response.status, text

    def save_once(self, label: str) -> None:
        try:
            status, page = self.request("GET", SAVE_URL)
            version = re.search(r'name="version" value="(\d+)"', page)
            if status != 200 or version is None:
                raise RuntimeError(f"form: {status}")
            form = urllib.parse.urlencode(
                {"csrfmiddlewaretoken": self.csrf, "version": version.group(1), "title": "",
                 "text": label}
            )  # fmt: skip
            start = time.perf_counter()
            status, _ = self.request("POST", SAVE_URL, form)
            elapsed = (time.perf_counter() - start) * 1000
        except (OSError, RuntimeError, http.client.HTTPException):
            with self.lock:
                self.errors += 1
            return
        with self.lock:
            self.latencies.append(elapsed)
            if status == 302:
                self.accepted.append(label)
            elif status == 200:
                self.conflicts += 1  # someone else saved first: refused and explained
            else:
                self.errors += 1

    def run(self, seconds: float, threads: int = 4) -> None:
        deadline = time.monotonic() + seconds

        def loop(n: int) -> None:
            count = 0
            while time.monotonic() < deadline:
                self.save_once(f"save {n}-{count}")
                count += 1

        workers = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        server.wait(timeout=10)


def main() -> int:
    started = time.monotonic()
    url = os.environ.get("DATABASE_URL", "")
    problem = refusal(url)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    cache_dir = tempfile.mkdtemp(prefix="mappa-load-cache-")
    try:
        return measure_all(url, cache_dir, started)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)


def measure_all(url: str, cache_dir: str, started: float) -> int:
    env, session = prepare(url, cache_dir)
    gunicorn = serve(env, PORT)
    cold = serve({**env, "PUBLIC_CACHE": "false"}, COLD_PORT)
    failures: list[str] = []
    try:
        wait_until_serving(gunicorn, PORT)
        floor = measure_reads(failures)
        try:
            measure_cold(cold, failures)
        finally:
            stop(cold)
        saver = Saver(session)
        saver.run(SECONDS)
        p50 = statistics.median(saver.latencies) if saver.latencies else 0
        p99 = (
            sorted(saver.latencies)[int(len(saver.latencies) * 0.99) - 1] if saver.latencies else 0
        )
        print(f"draft saves: {len(saver.accepted)} accepted, {saver.conflicts} refused as "
              f"conflicts, p50 {p50 / floor['p50']:.1f}× and p99 {p99 / floor['p99']:.1f}× the "
              f"trivial view's, errors {saver.errors}")  # fmt: skip
        if saver.errors:
            failures.append(f"draft saves: {saver.errors} errors")
        if "--restart-postgres" in sys.argv:
            failures += restart_during_saves(session, env)
    finally:
        stop(cold)
        stop(gunicorn)
    print(f"Load run: {time.monotonic() - started:.0f} seconds in all.")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


def restart_during_saves(session: str, env: dict) -> list[str]:
    """Restart PostgreSQL while coordinators save; the app must recover and lose nothing."""
    saver = Saver(session)
    version = sorted(os.listdir("/etc/postgresql"))[-1]

    def restart() -> None:
        time.sleep(1.5)
        subprocess.run(  # noqa: S603
            [
                shutil.which("pg_ctlcluster") or "/usr/bin/pg_ctlcluster",
                "--skip-systemctl-redirect",
                version,
                "main",
                "restart",
            ],
            check=True,
        )

    thread = threading.Thread(target=restart)
    thread.start()
    saver.run(6)
    thread.join()
    failed_during = saver.errors
    # However long PostgreSQL took to come back, wait until it accepts connections.
    for _ in range(60):
        try:
            psycopg.connect(env["DATABASE_URL"], connect_timeout=2).close()
            break
        except psycopg.OperationalError:
            time.sleep(0.5)
    after = Saver(session)  # the same gunicorn, never restarted
    after.run(2)
    with psycopg.connect(env["DATABASE_URL"]) as connection:
        stored = {
            row[0]
            for row in connection.execute("SELECT foreword FROM reports_historicalannualreport")
        }
    lost = [label for label in saver.accepted + after.accepted if label not in stored]
    print(f"PostgreSQL restarted during saves: {len(saver.accepted)} saves accepted, "
          f"{failed_during} failed while it was down; afterwards {len(after.accepted)} accepted "
          f"and {after.errors} failed; accepted saves lost: {len(lost)}")  # fmt: skip
    problems = []
    if after.errors or not after.accepted:
        problems.append("the app did not recover by itself after PostgreSQL restarted")
    if lost:
        problems.append(f"{len(lost)} accepted saves were lost")
    return problems


if __name__ == "__main__":
    sys.exit(main())
