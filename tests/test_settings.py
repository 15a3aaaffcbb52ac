"""Settings come from the environment, strictly, and production settings are secure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from mappa_portal.settings import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3Jx9#pQ2v!mZ8rT4wY6uB1nC5eH7aL0sD3fG9jK2lP4oI8-example-only-Qw7",
    "ALLOWED_HOSTS": "mappa.service.gov.uk",
    "DATABASE_URL": "sqlite:///:memory:",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean["DJANGO_SETTINGS_MODULE"] = "mappa_portal.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_secret_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("0", False), ("", True)])
def test_env_bool_reads_true_and_false(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", default=True) is expected


def test_env_bool_refuses_ambiguous_values(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG must be true or false"):
        env_bool("SOME_FLAG", default=False)


def test_env_int_and_env_list(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "twelve")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("SOME_NUMBER", 1)
    monkeypatch.setenv("SOME_HOSTS", "a.gov.uk, b.gov.uk,")
    assert env_list("SOME_HOSTS", []) == ["a.gov.uk", "b.gov.uk"]


def test_a_shared_redis_caches_sessions_for_every_app_server():
    redis = "redis://127.0.0.1:6379/0"
    script = (
        "from django.conf import settings; from django.core.cache import cache; "
        "cache.set('mappa-check', 'shared', 5); "
        "print(settings.CACHES['default']['BACKEND'], settings.SESSION_ENGINE, "
        "cache.get('mappa-check'))"
    )
    result = manage("shell", "-c", script, env={**PRODUCTION, "REDIS_URL": redis})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "django.core.cache.backends.redis.RedisCache",
        "django.contrib.sessions.backends.cached_db",
        "shared",
    ]
