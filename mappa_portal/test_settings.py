"""Settings for the test suite: the real settings with test-only secrets and storage."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-a-secret-" + "x" * 40)

from mappa_portal.settings import *  # noqa: F403

# Manifest storage needs collectstatic; tests render templates without it.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
# Tests never run collectstatic; WhiteNoise looks files up per request instead.
WHITENOISE_AUTOREFRESH = True
