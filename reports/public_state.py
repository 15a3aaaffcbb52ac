"""What the public can see, as a generation that every change to it bumps.

Public pages and downloads are cached under the current generation's token (`caching.py`).
Every change that alters what the public sees bumps it inside the change's own transaction
(signals below: a publication or correction, a release time moved, an alert in the feed, an
area renamed, a standard text, a change to the release calendar or its pre-release list, a
deploy's `migrate`), so the new token becomes visible exactly when the new data does.
A release time passing is a bump too: the generation records the next scheduled moment, and
the first request after it bumps (once, whichever worker gets there first).

A worker learns of a bump without a database query per request: it reads the row again at most
every `PUBLIC_STATE_CHECK_SECONDS` (a worker may lag that long; docs/operations.md), at once
when the next scheduled moment passes, and at once after its own change commits.
"""

from __future__ import annotations

import datetime
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, cast

from django.apps import AppConfig
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils import timezone

if TYPE_CHECKING:
    from .models import PublicState

ONE_SECOND = datetime.timedelta(seconds=1)
T = TypeVar("T")


@dataclass(frozen=True)
class State:
    """One generation of what the public sees."""

    generation: int
    token: str
    #: When it last changed, in whole seconds, strictly later than the generation before.
    changed_at: datetime.datetime
    #: The next release or scheduled publication, when the public's view changes by itself.
    next_change_at: datetime.datetime | None

    def due(self, now: datetime.datetime) -> bool:
        """Has a scheduled release come since this generation was made?"""
        return self.next_change_at is not None and now >= self.next_change_at


def _from_row(row: PublicState) -> State:
    return State(row.generation, row.token, row.changed_at, row.next_change_at)


def _next_scheduled(now: datetime.datetime) -> datetime.datetime | None:
    from .models import PublishedRevision, ReportingYear

    times = [
        ReportingYear.objects.filter(release_at__gt=now).aggregate(at=Min("release_at"))["at"],
        PublishedRevision.objects.filter(published_at__gt=now).aggregate(at=Min("published_at"))[
            "at"
        ],
    ]
    return min((t for t in times if t is not None), default=None)


def bump(*, only_if_due: bool = False) -> State:
    """Record that what the public sees has changed; call it inside the changing transaction.

    Each generation's `changed_at` is a whole second later than the one before, so that an
    If-Modified-Since never mistakes one generation's pages for another's. With `only_if_due`,
    bump only if a scheduled release has come (several workers may notice it at once).
    """
    from .models import PublicState

    now = timezone.now()
    second = now.replace(microsecond=0)
    with transaction.atomic():
        # The row first, if it is missing (a new or flushed database): two workers may try.
        PublicState.objects.bulk_create(
            [PublicState(pk=1, generation=0, token="", changed_at=second - ONE_SECOND)],
            ignore_conflicts=True,
        )
        row = PublicState.objects.select_for_update().get(pk=1)
        if only_if_due and row.generation and not _from_row(row).due(now):
            return _from_row(row)
        row.generation += 1
        row.token = secrets.token_hex(8)
        row.changed_at = max(second, row.changed_at.replace(microsecond=0) + ONE_SECOND)
        row.next_change_at = _next_scheduled(now)
        row.save()
        state = _from_row(row)
        transaction.on_commit(lambda: watcher.adopt(state))
    return state


def read() -> State:
    """The current generation, from the database (one query)."""
    from .models import PublicState

    row = PublicState.objects.filter(pk=1).first()
    return _from_row(row) if row is not None else bump()


class Watcher:
    """A worker's knowledge of the current generation, refreshed at most every few seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._state: State | None = None
        self._checked = -math.inf
        self._lock = threading.Lock()

    def current(self) -> State:
        """The generation as this worker knows it: at most `PUBLIC_STATE_CHECK_SECONDS` old."""
        state = self._state
        fresh = self._clock() - self._checked < settings.PUBLIC_STATE_CHECK_SECONDS
        if state is None or not fresh or state.due(timezone.now()):
            state = self.refresh()
        return state

    def refresh(self) -> State:
        """Read the generation now, bumping it if a scheduled release has come."""
        state = read()
        if state.due(timezone.now()):
            state = bump(only_if_due=True)
        with self._lock:
            self._state, self._checked = state, self._clock()
        return state

    def adopt(self, state: State) -> None:
        """This worker's own change has committed: use its generation at once."""
        with self._lock:
            if self._state is None or state.generation > self._state.generation:
                self._state = state

    def forget(self) -> None:
        """Know nothing: the next request reads the generation (tests, a new database)."""
        with self._lock:
            self._state, self._checked = None, -math.inf
        _memo.clear()


#: This worker's view of the generation.
watcher = Watcher()

_memo: dict[object, tuple[str, object]] = {}


def memo(key: object, compute: Callable[[], T]) -> T:
    """`compute()`, worked out once per generation in this worker: for what only public changes
    can change (a year's standard text), shared by every page made in the generation."""
    token = watcher.current().token
    kept = _memo.get(key)
    if kept is None or kept[0] != token:
        kept = (token, compute())
        _memo[key] = kept  # one assignment: safe between threads
    return cast(T, kept[1])  # what compute() made for this key


_batch: ContextVar[list[bool] | None] = ContextVar("public_state_batch", default=None)


@contextmanager
def batch() -> Iterator[None]:
    """One bump for many changes (loading the demo, past publications): at the end, if any.

    Each generation's Last-Modified is a second after the one before, so a burst of bumps would
    put it in the future, where it is not sent until its time comes.
    """
    if _batch.get() is not None:  # inside another batch: that one bumps
        yield
        return
    changed = [False]
    token = _batch.set(changed)
    try:
        yield
    finally:
        _batch.reset(token)
    if changed[0]:
        bump()


def _changed(sender: type, **kwargs: object) -> None:
    pending = _batch.get()
    if pending is not None:
        pending[0] = True
    else:
        bump()


def _migrated(sender: AppConfig, *, using: str = "default", **kwargs: object) -> None:
    """A deploy runs `migrate`: its code may render the same data differently."""
    from .models import PublicState

    if PublicState._meta.db_table in connection.introspection.table_names():
        with transaction.atomic(using=using):
            bump()
    watcher.forget()


def connect(app: AppConfig) -> None:
    """Bump on every save or delete of what public pages show (called by the app's ready())."""
    from .models import (
        Alert,
        Area,
        PreReleaseRecipient,
        PublishedFigure,
        PublishedRevision,
        Release,
        ReleaseEvent,
        ReportingYear,
        StandardText,
    )

    # The releases feed lists alerts; the calendar shows releases and their history, and lists
    # pre-release recipients.
    public_models = (
        Area,
        ReportingYear,
        PublishedRevision,
        PublishedFigure,
        StandardText,
        Alert,
        Release,
        ReleaseEvent,
        PreReleaseRecipient,
    )
    for model in public_models:
        post_save.connect(_changed, sender=model, dispatch_uid=f"public-state-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"public-del-{model.__name__}")
    post_migrate.connect(_migrated, sender=app, dispatch_uid="public-state-migrate")
