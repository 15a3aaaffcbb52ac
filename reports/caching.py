"""Public pages and downloads served from memory between changes to what the public sees.

`public_cache` marks a view's anonymous answers as the same for everyone. The first middleware,
`PublicResponseCache`, keeps each such response (headers included, as the rest of the stack
made it) under the current public-state generation (`public_state.py`) and serves it again
without going further: no session, no database, no template. Responses live in this worker's
memory, in the shared cache too when `REDIS_URL` is set, and large downloads on disk (built
once per generation for every worker, then streamed from the file in large chunks).

Validators never lie:
- the ETag is a hash of the bytes, so If-None-Match gets 304 only for identical bytes;
- Last-Modified is the generation's `changed_at`, a whole second later for each generation and
  never sent while it is later than now; a response is kept under a generation only if the
  generation did not change while it was being made (checked after rendering).

Signed-in people (and anyone with a message waiting) get their page made afresh, never cached.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.core.cache import caches
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.http.request import split_domain_port
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe, urlencode

from . import public_state

logger = logging.getLogger(__name__)

#: Read in chunks of this size from the disk, and written to it likewise.
CHUNK = 1024 * 1024
#: Headers that belong to one response only.
PERSONAL_HEADERS = {"set-cookie", "date", "etag", "last-modified", "content-length"}
CACHE_CONTROL = "public, no-cache"
#: Never public, so never looked up: /healthz must answer without the database.
NEVER_PUBLIC = ("/healthz", "/admin/", "/manage/", "/account/")
#: What this cache names its files on disk: `<token>-<key>` and its headers.
FILE_NAME = re.compile(r"[0-9a-f]{16}-[0-9a-f]{40}(\.json)?")


def public_cache(
    view: Callable[..., HttpResponseBase] | None = None, *, params: Iterable[str] = ()
) -> Any:
    """Mark a view's answers to anonymous requests as public, to be cached per generation.

    Only requests whose query string uses no parameter but `params` are kept, so that a
    made-up parameter cannot fill the cache with copies of one page.
    """
    allowed = frozenset(params)

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and set(request.GET) <= allowed:
                response.public_cacheable = True  # type: ignore[attr-defined]
            return response

        return wrapped

    return decorate(view) if view is not None else decorate


@dataclass
class Entry:
    """A kept response: its status, headers and body (bytes, or a file for large ones)."""

    status: int
    headers: list[tuple[str, str]]
    etag: str
    size: int
    body: bytes | None = None
    path: str | None = None

    def respond(self, request: HttpRequest, state: public_state.State | None) -> HttpResponseBase:
        """The kept response for `request`, 304 if the client already holds these bytes."""
        response: HttpResponse | FileResponse
        if self.path is not None:
            response = FileResponse(open(self.path, "rb"))  # noqa: SIM115
            response.block_size = CHUNK
        else:
            response = HttpResponse(self.body)
        response.status_code = self.status
        for name, value in self.headers:
            response.headers[name] = value
        response["Content-Length"] = str(self.size)
        response["ETag"] = self.etag
        response["Cache-Control"] = CACHE_CONTROL
        patch_vary_headers(response, ["Cookie"])
        last_modified = None
        # A generation made (in whole seconds) after now is not yet a date a client can hold.
        if state is not None and state.changed_at <= timezone.now():
            last_modified = int(state.changed_at.timestamp())
            response["Last-Modified"] = http_date(last_modified)
        conditional = get_conditional_response(
            _dated_exactly(request, last_modified),
            etag=self.etag,
            last_modified=last_modified,
            response=response,  # type: ignore[arg-type]  # Django takes any response; the stubs say HttpResponse
        )
        if conditional is not None and conditional is not response:
            _close_files(response)
            return conditional
        if request.method == "HEAD":
            _close_files(response)
            head = HttpResponse(status=self.status)
            for name, value in response.items():
                head.headers[name] = value
            return head
        return response


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the page templates and return templates this worker runs: a deploy changes
    it, so fragments kept in a shared cache across deploys are never a release's old layout."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    roots = [base / "templates", base / "reports", base / "mappa_portal"]
    roots += map(Path, settings.RETURN_TEMPLATE_DIRS)
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in {".py", ".html", ".toml", ".md", ".txt"}:
                digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _dated_exactly(request: HttpRequest, last_modified: int | None) -> HttpRequest:
    """The request, its If-Modified-Since ignored unless it is this state's Last-Modified.

    Each state has its own Last-Modified; a cache may send another date (a response's `Date`,
    or a newer page's from a server that lags), which says nothing about these bytes.
    """
    since = request.META.get("HTTP_IF_MODIFIED_SINCE")
    if since and (last_modified is None or parse_http_date_safe(since) != last_modified):
        request.META.pop("HTTP_IF_MODIFIED_SINCE")
    return request


class Store:
    """This worker's kept responses for one generation: least recently used go first."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._token = ""
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, token: str, key: str) -> Entry | None:
        with self._lock:
            if token != self._token:
                return None
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, token: str, key: str, entry: Entry) -> None:
        with self._lock:
            if token != self._token:
                self._entries.clear()
                self._token, self._bytes = token, 0
            if len(entry.body or b"") > settings.PUBLIC_CACHE_MAX_BYTES // 8:
                return  # one large body would push out everything else
            old = self._entries.pop(key, None)
            self._bytes -= len(old.body or b"") if old else 0
            self._entries[key] = entry
            self._bytes += len(entry.body or b"")
            limit = settings.PUBLIC_CACHE_MAX_BYTES
            while self._entries and (
                self._bytes > limit or len(self._entries) > settings.PUBLIC_CACHE_MAX_ENTRIES
            ):
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body or b"")

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._token, self._bytes = "", 0


#: This worker's kept responses.
store = Store()


def personal(request: HttpRequest) -> bool:
    """Might the page differ for this request: signed in, or a message waiting to be shown."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies


#: Addresses that answer people (asking for HTML) and programs differently: kept apart.
NEGOTIATED = ("/api/v1/",)


def asks_for_html(request: HttpRequest) -> bool:
    """Does the request name `text/html` among what it accepts? A browser does; an API client
    sends `application/json`, `*/*` or nothing."""
    return any(
        t.main_type == "text" and t.sub_type == "html" and t.quality > 0
        for t in request.accepted_types
    )


def _key(request: HttpRequest) -> str:
    # The scheme and host too: HTTP is redirected and HSTS sent only over HTTPS, further down.
    # get_host() refuses a host not allowed, as it would further down. The query as parsed
    # and sorted, and the host without its port, so that `?&&` or `:8080` are not new pages;
    # the code version, so that a deploy never serves pages its code did not make.
    host, _ = split_domain_port(request.get_host())
    query = urlencode(sorted(request.GET.lists()), doseq=True)
    where = f"{code_version()}|{request.scheme}://{host}{request.path}?{query}"
    if request.path in NEGOTIATED:
        where += f"|html={asks_for_html(request)}"
    return hashlib.sha256(where.encode()).hexdigest()[:40]


class PublicResponseCache:
    """Serve kept public responses first, before any other middleware; keep new ones."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if (
            not settings.PUBLIC_CACHE
            or request.method not in ("GET", "HEAD")
            or request.path_info.startswith((settings.STATIC_URL, *NEVER_PUBLIC))
            or personal(request)
        ):
            return self.get_response(request)
        key = _key(request)
        state = public_state.watcher.current()
        entry = store.get(state.token, key) or _shared_get(state.token, key)
        if entry is not None:
            store.put(state.token, key, entry)
            try:
                return entry.respond(request, state)
            except FileNotFoundError:
                # A newer generation's download replaced it on disk: make the page afresh.
                store.clear()
        response = self.get_response(request)
        if not getattr(response, "public_cacheable", False) or response.cookies:
            return response
        entry = _capture(response, state.token, key)
        after = public_state.watcher.refresh()
        if after.token != state.token or after.due(timezone.now()):
            # Made while what is public changed: right for now, but under neither generation.
            return entry.respond(request, None)
        store.put(state.token, key, entry)
        _shared_put(state.token, key, entry)
        return entry.respond(request, state)


def _capture(response: HttpResponseBase, token: str, key: str) -> Entry:
    """Read a response's body into memory, or onto the disk past the memory limit."""
    headers = [(k, v) for k, v in response.items() if k.lower() not in PERSONAL_HEADERS]
    digest = hashlib.sha256()
    if isinstance(response, HttpResponse):  # not streaming
        body = response.content
        digest.update(body)
        return Entry(response.status_code, headers, f'"{digest.hexdigest()[:32]}"', len(body), body)
    folder = Path(settings.PUBLIC_CACHE_DIR)
    size = 0
    parts: list[bytes] = []
    file = None
    spill = True
    # Iterating a streaming response reads its streaming_content.
    streaming = cast(StreamingHttpResponse, response)  # the only other kind of response
    try:
        for chunk in _batched(streaming):
            digest.update(chunk)
            size += len(chunk)
            if spill and file is None and size > settings.PUBLIC_CACHE_FILE_FROM_BYTES:
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                    file = tempfile.NamedTemporaryFile(dir=folder, prefix=".part-", delete=False)  # noqa: SIM115
                    file.writelines(parts)
                    parts = []
                except OSError:  # no room, or no folder to write: kept in memory instead
                    logger.warning("Public cache folder not writable.", exc_info=True)
                    _discard(file)
                    spill, file = False, None
            if file is not None:
                file.write(chunk)
            else:
                parts.append(chunk)
    except BaseException:
        # A download that failed half way is an error, never a short file.
        if file is not None:
            file.close()
            os.unlink(file.name)
        raise
    finally:
        _close_files(response)
    etag = f'"{digest.hexdigest()[:32]}"'
    if file is None:
        return Entry(response.status_code, headers, etag, size, b"".join(parts))
    file.close()
    path = folder / f"{token}-{key}"
    os.replace(file.name, path)
    (folder / f"{token}-{key}.json").write_text(
        json.dumps({"status": response.status_code, "headers": headers, "etag": etag})
    )
    _remove_other_generations(folder, token)
    return Entry(response.status_code, headers, etag, size, path=str(path))


def _close_files(response: HttpResponseBase) -> None:
    """Close what the response holds open (a file), but not the request: response.close()
    would signal that the request has finished, closing the database connection mid-way."""
    closers = response._resource_closers  # type: ignore[attr-defined]  # private, so not in the stubs
    for closer in closers:
        closer()
    closers.clear()


def _batched(chunks: Iterable[bytes]) -> Iterable[bytes]:
    """Many small pieces (CSV lines) as fewer large ones."""
    pending: list[bytes] = []
    length = 0
    for chunk in chunks:
        pending.append(chunk)
        length += len(chunk)
        if length >= CHUNK:
            yield b"".join(pending)
            pending, length = [], 0
    if pending:
        yield b"".join(pending)


def _discard(file: Any) -> None:
    if file is not None:
        file.close()
        Path(file.name).unlink(missing_ok=True)


def _remove_other_generations(folder: Path, token: str) -> None:
    """This cache's files of other generations (a worker still sending one keeps its open
    file; one that lags finds it gone and makes the page afresh); nothing else in the folder."""
    for path in folder.iterdir():
        if FILE_NAME.fullmatch(path.name) and not path.name.startswith(token):
            path.unlink(missing_ok=True)
        elif path.name.startswith(".part-") and time.time() - path.stat().st_mtime > 3600:
            path.unlink(missing_ok=True)  # left by a worker killed while writing it


def _from_disk(token: str, key: str) -> Entry | None:
    folder = Path(settings.PUBLIC_CACHE_DIR)
    path = folder / f"{token}-{key}"
    try:
        meta = json.loads((folder / f"{token}-{key}.json").read_text())
        size = path.stat().st_size
    except (OSError, ValueError):
        return None
    headers = [tuple(h) for h in meta["headers"]]
    return Entry(meta["status"], headers, meta["etag"], size, path=str(path))


def _shared_get(token: str, key: str) -> Entry | None:
    """A response another worker kept: on this machine's disk, or in the shared cache."""
    entry = _from_disk(token, key)
    if entry is not None or not settings.REDIS_URL:
        return entry
    try:
        return caches["default"].get(f"public:{token}:{key}")
    except Exception:  # a cache that is down costs a render, never a page
        logger.warning("The shared cache could not be read.", exc_info=True)
        return None


def _shared_put(token: str, key: str, entry: Entry) -> None:
    if not settings.REDIS_URL or entry.body is None:
        return
    try:
        caches["default"].set(f"public:{token}:{key}", entry, timeout=24 * 3600)
    except Exception:
        logger.warning("The shared cache could not be written.", exc_info=True)
