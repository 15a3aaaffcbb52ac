"""Settings for MAPPA Portal, read from the environment.

Development (`make run`) sets DEBUG=true; production sets DEBUG=false (the default),
SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL. See docs/configuration.md.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from mappa_portal.inline_scripts import JS_ENABLED, csp_hash

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a true/false variable, refusing anything ambiguous."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    """Read a whole number, refusing anything else."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=true for local development only).")
    # Only ever used with DEBUG on, which is never a production setting.
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_forms_gds",
    "simple_history",
    "axes",
    "import_export",
    "csp",
    "reports",
]

MIDDLEWARE = [
    # First: a kept public page is served before anything else runs (reports/caching.py).
    "reports.caching.PublicResponseCache",
    # Back-office pages and anything a signed-in person sees: private, never stored.
    "reports.middleware.PrivateResponses",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "reports.middleware.AdminContentSecurityPolicy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns lockouts into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mappa_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reports.context_processors.signed_in",
                "reports.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "mappa_portal.wsgi.application"

# SQLite under var/ by default so a newcomer needs nothing running;
# PostgreSQL in production and CI: DATABASE_URL=postgres://user@host:5432/name
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, so that locked-out users are refused before their password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "manage:dashboard"
LOGOUT_REDIRECT_URL = "accounts:signed-out"

# Failed sign-ins: 5 for one username from one address locks that pair for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Behind a load balancer REMOTE_ADDR is the balancer's: the client is read through the trusted
# proxies (mappa_portal/client_ip.py), for lockouts and password-reset limits alike.
AXES_CLIENT_IP_CALLABLE = "mappa_portal.client_ip.client_ip"

# Password reset links asked for, per hour: for one email address (whether or not it has an
# account), and from one client address. Counted in the cache (reports/rate_limits.py).
PASSWORD_RESETS_PER_ADDRESS = env_int("PASSWORD_RESETS_PER_ADDRESS", 3)
PASSWORD_RESETS_PER_CLIENT = env_int("PASSWORD_RESETS_PER_CLIENT", 10)
# Subscription requests per hour, likewise: for one email address, and from one client address.
SUBSCRIPTIONS_PER_ADDRESS = env_int("SUBSCRIPTIONS_PER_ADDRESS", 3)
SUBSCRIPTIONS_PER_CLIENT = env_int("SUBSCRIPTIONS_PER_CLIENT", 10)

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "mappa-portal@localhost")
# Where the public and staff write to the national team (the contact, accessibility and
# privacy pages). A real service sets its own mailbox.
SERVICE_CONTACT_EMAIL = os.environ.get("SERVICE_CONTACT_EMAIL", "mappa-portal@example.gov.uk")
# The service's public address, for links in emails.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
# Only GOV.UK Frontend's assets/ folder is served, not all of dist/ (1,400 files).
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("govuk/assets", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk" / "assets"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# Security: strict by default; development relaxes only what plain HTTP needs.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer checks health over plain HTTP: a redirect would fail the check.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# How many proxies in front of the service append to X-Forwarded-For and can be trusted:
# 0 (direct), or 1 behind the documented load balancer (docs/deployment.md).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
if env_bool("BEHIND_TLS_PROXY", False):
    # Only when a trusted proxy terminates TLS and sets this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy: scripts only from this site, and the one inline script by its hash
# (a nonce would make every page different, so uncacheable); no inline styles or handlers.
# The Django admin (import-export uses inline handlers) has its own (reports/middleware.py).
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, csp_hash(JS_ENABLED)],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# With several app servers, a shared Redis (REDIS_URL) caches sessions for all of them; the
# database stays the record, so a Redis restart only costs a lookup.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # A published revision's tables ({% cache %}) are kept in each worker's memory: they never
    # change, and a page must not fail because a shared cache is down.
    "template_fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "template-fragments",
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Public pages and downloads are kept per worker between changes to what is public
# (reports/caching.py, docs/operations.md). A worker checks for a change at most this often.
PUBLIC_CACHE = env_bool("PUBLIC_CACHE", True)
PUBLIC_STATE_CHECK_SECONDS = float(env_int("PUBLIC_STATE_CHECK_SECONDS", 1))
PUBLIC_CACHE_MAX_BYTES = env_int("PUBLIC_CACHE_MEGABYTES", 64) * 1024 * 1024
PUBLIC_CACHE_MAX_ENTRIES = env_int("PUBLIC_CACHE_ENTRIES", 2000)
# Responses larger than this are kept on disk, shared by the workers of one machine.
PUBLIC_CACHE_FILE_FROM_BYTES = 4 * 1024 * 1024
PUBLIC_CACHE_DIR = os.environ.get("PUBLIC_CACHE_DIR", str(BASE_DIR / "var" / "public-cache"))
# Each published revision's PDF is made once and kept here (reports/printing.py).
REPORT_PDF_DIR = os.environ.get("REPORT_PDF_DIR", str(BASE_DIR / "var" / "report-pdfs"))

# Signed-in sessions end after this long without a request (GOV.UK services use 15 to 30).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Uploads (bulk imports): files above this size are refused with a message.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_MEGABYTES", 10) * 1024 * 1024
# Between preview and confirmation an upload waits here (private to the service's user), for
# at most this long (reports/uploads.py).
IMPORT_UPLOAD_DIR = os.environ.get("IMPORT_UPLOAD_DIR", str(BASE_DIR / "var" / "imports"))
IMPORT_CONFIRM_MINUTES = env_int("IMPORT_CONFIRM_MINUTES", 30)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint (report PDFs) logs every screen-only CSS rule it skips, and fontTools every
    # font it subsets: only their errors matter.
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
    },
}

# The statistical return: one TOML file per template generation, and the series across them
# (docs/return-templates.md). Tests add a folder here to declare a new template.
RETURN_TEMPLATE_DIRS = [BASE_DIR / "reports" / "returns" / "templates"]
RETURN_SERIES_FILE = BASE_DIR / "reports" / "returns" / "series.toml"
