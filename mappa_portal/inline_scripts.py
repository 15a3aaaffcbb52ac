"""The page's one inline script, and its hash for the Content Security Policy.

A hash rather than a per-request nonce keeps every public page byte-identical from one request
to the next, so it can be cached (reports/caching.py) and a reverse proxy could cache it too.
"""

import base64
import hashlib

#: GOV.UK Frontend's: marks the page as having JavaScript before anything is drawn.
JS_ENABLED = (
    "document.body.className += ' js-enabled' + "
    "('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');"
)


def csp_hash(script: str) -> str:
    """The CSP source expression that allows exactly `script` inline."""
    digest = hashlib.sha256(script.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"
