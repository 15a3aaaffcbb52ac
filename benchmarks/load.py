"""Load test: gunicorn (3 workers) on PostgreSQL, driven from a second process on 127.0.0.1.

Reads (report page, national summary, year CSV) are driven by wrk; signed-in draft saves by a
small threaded client that, like a browser, reads the form's version before saving. Everything
is reported as a ratio to a trivial view (/healthz) served by the same server in the same run,
with the error count, which must be 0.

With --restart-postgres, PostgreSQL is restarted in the middle of the saves: the app must
recover by itself (no restart), and every save it accepted must be in the database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python benchmarks/load.py
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
import threading
import time
import urllib.parse
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PORT = 8765
DATABASE = "mappa_load"
SECONDS = 5
SAVE_URL = "/manage/reports/2025-26/kent/introduction/"  # the year the demo opens


def run(*args: str, env: dict) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def prepare(server: str) -> tuple[dict, str]:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    env = {
        **os.environ,
        "DATABASE_URL": f"{server}/{DATABASE}",
        "DJANGO_SETTINGS_MODULE": "mappa_portal.test_settings",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    manage = [str(BIN / "python"), "manage.py"]
    run(*manage, "migrate", "--no-input", "-v0", env=env)
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
    return env, session["session"]


def wrk(path: str) -> dict:
    out = subprocess.run(  # noqa: S603
        [shutil.which("wrk") or "wrk", "-t2", "-c8", f"-d{SECONDS}s", "--latency",
         f"http://127.0.0.1:{PORT}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
    }


def _ms(text: str) -> float:
    number, unit = float(re.match(r"[\d.]+", text).group()), re.sub(r"[\d.]+", "", text)
    return number * {"us": 0.001, "ms": 1, "s": 1000}[unit]


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


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("The load test needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk).", file=sys.stderr)
        return 2
    server = url.rsplit("/", 1)[0]
    env, session = prepare(server)
    gunicorn = subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "mappa_portal.wsgi", "--workers", "3",
         "--bind", f"127.0.0.1:{PORT}", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    failures = []
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        floor = wrk("/healthz")
        results = {
            "report page": wrk("/reports/2010-11/kent/"),
            "national summary": wrk("/reports/2010-11/"),
            "year CSV": wrk("/reports/2010-11/figures.csv"),
        }
        print(f"Trivial view: {floor['rps']:.0f} requests/s, p50 {floor['p50']:.1f} ms, "
              f"p99 {floor['p99']:.1f} ms")  # fmt: skip
        for name, result in results.items():
            p50, p99 = result["p50"] / floor["p50"], result["p99"] / floor["p99"]
            print(f"{name}: throughput {result['rps'] / floor['rps']:.2f}× the trivial view's, "
                  f"p50 {p50:.1f}×, p99 {p99:.1f}×, errors {result['errors']}")  # fmt: skip
            if result["errors"] or floor["errors"]:
                failures.append(f"{name}: {result['errors']} errors")
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
        gunicorn.terminate()
        gunicorn.wait(timeout=10)
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
