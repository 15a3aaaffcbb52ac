"""WSGI entry point for MAPPA Portal."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mappa_portal.settings")
application = get_wsgi_application()
