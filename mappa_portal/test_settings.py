"""Settings for the test suite: the real settings with test-only secrets and storage."""

import os
import tempfile

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

# Every request checks the public state, so a test sees its own changes at once; the lag
# bound itself is tested with a clock (tests/test_public_cache.py).
PUBLIC_STATE_CHECK_SECONDS = 0.0
PUBLIC_CACHE_DIR = tempfile.mkdtemp(prefix="mappa-public-cache-")
IMPORT_UPLOAD_DIR = tempfile.mkdtemp(prefix="mappa-imports-")
