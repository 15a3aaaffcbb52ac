"""WSGI entry point for MAPPA Portal."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mappa_portal.settings")
application = get_wsgi_application()

# WSGI servers run no system checks: refuse to serve with a malformed return template rather
# than fail on the first request that needs it (docs/return-templates.md).
from reports import returns  # noqa: E402

if problems := returns.declarations().problems:
    raise ImproperlyConfigured("The return templates cannot be used:\n" + "\n".join(problems))
