"""The release calendar and pre-release access: every change to a year's release happens here.

A year's release is first provisional (a month), then confirmed (a date at 09:30), possibly
moved (with a reason), or cancelled (with a reason). Each change is one function, which keeps
`ReportingYear.release_at` (the one release time the rest of the code reads) in step, moves
revisions waiting for the release with it (`workflow.set_release_time`), and records a
`ReleaseEvent` that the calendar and other modules read.

Pre-release: people named by the national team, each with a justification, may read the
year's scheduled reports and national summary during the 24 hours before a confirmed release.
Every page they read is recorded. Their names, roles and organisations are published with the
release.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from . import accounts, alerts, public_state, workflow
from .models import (
    Alert,
    PreReleaseRecipient,
    PreReleaseView,
    PublishedRevision,
    Release,
    ReleaseEvent,
    ReportingYear,
    long_date,
    release_time_on,
)

State = Release.State
Action = ReleaseEvent.Action
#: Pre-release access opens this long before the release time.
PRE_RELEASE_WINDOW = datetime.timedelta(hours=24)


class ReleaseRefused(Exception):
    """A change to the calendar that cannot be made; the message says why."""


def release_of(year: ReportingYear) -> Release | None:
    """The year's calendar entry, if it has one."""
    return Release.objects.filter(year=year).first()


def _locked(year: ReportingYear) -> Release | None:
    return Release.objects.select_for_update().filter(year=year).first()


def state_of(year: ReportingYear, release: Release | None) -> str | None:
    """The release's state; a year given a release time before the calendar kept its history
    (no entry) is confirmed, and a year with neither is not on the calendar (None)."""
    if release is not None:
        return release.state
    return State.CONFIRMED if year.release_at is not None else None


def _record(year: ReportingYear, action: str, by: User | None, **fields: object) -> ReleaseEvent:
    return ReleaseEvent.objects.create(year=year, action=action, by=by, **fields)


@transaction.atomic
def announce(year: ReportingYear, month: datetime.date, by: User | None) -> ReleaseEvent:
    """Announce the year's release provisionally, for a month (any day of it)."""
    month = month.replace(day=1)
    release = _locked(year)
    if state_of(year, release) == State.CONFIRMED:
        raise ReleaseRefused(
            f"The {year} release is confirmed: move it, or cancel it, rather than making it "
            "provisional again."
        )
    release = release or Release(year=year)
    release.state, release.provisional_month, release.cancelled_reason = (
        State.PROVISIONAL,
        month,
        "",
    )
    release.save()
    return _record(year, Action.PROVISIONAL, by, provisional_month=month)


@transaction.atomic
def confirm(year: ReportingYear, at: datetime.datetime, by: User | None) -> ReleaseEvent:
    """Confirm the year's release for `at` (09:30 on a day), which must be in the future."""
    release = _locked(year)
    if state_of(year, release) == State.CONFIRMED:
        raise ReleaseRefused(f"The {year} release is confirmed already: move it, with a reason.")
    _check_future(at)
    release = release or Release(year=year)
    release.state, release.cancelled_reason = State.CONFIRMED, ""
    release.save()
    workflow.set_release_time(year, at)
    return _record(year, Action.CONFIRMED, by, release_at=at)


@transaction.atomic
def move(year: ReportingYear, at: datetime.datetime, reason: str, by: User | None) -> ReleaseEvent:
    """Move a confirmed release to `at`, saying why; the calendar keeps the previous date."""
    reason = reason.strip()
    release = _locked(year)
    if state_of(year, release) != State.CONFIRMED or year.release_at is None:
        raise ReleaseRefused(f"The {year} release is not confirmed: confirm it instead.")
    if not reason:
        raise ReleaseRefused("Say why the release is moving.")
    if year.release_at <= timezone.now():
        raise ReleaseRefused(f"The {year} release has happened: it cannot move.")
    _check_future(at)
    if at == year.release_at:
        raise ReleaseRefused(f"The release is already on {describe_time(at)}.")
    previous = year.release_at
    if release is None:
        Release.objects.create(year=year, state=State.CONFIRMED)
    workflow.set_release_time(year, at, reason)
    return _record(
        year, Action.MOVED, by, release_at=at, previous_release_at=previous, reason=reason
    )


@transaction.atomic
def cancel(year: ReportingYear, reason: str, by: User | None) -> ReleaseEvent:
    """Cancel a release that has not happened, saying why. Its reports stay unpublished."""
    reason = reason.strip()
    if not reason:
        raise ReleaseRefused("Say why the release is cancelled.")
    release = _locked(year)
    if release is not None and release.state == State.CANCELLED:
        raise ReleaseRefused(f"The {year} release is cancelled already.")
    if year.release_at is not None and year.release_at <= timezone.now():
        raise ReleaseRefused(f"The {year} release has happened: it cannot be cancelled.")
    if PublishedRevision.objects.filter(report__year=year).exists():
        raise ReleaseRefused(
            f"Some {year} reports are published and waiting for the release: return them "
            "before cancelling it, or move the release instead."
        )
    previous = year.release_at
    release = release or Release(year=year)
    release.state, release.cancelled_reason = State.CANCELLED, reason
    release.save()
    workflow.set_release_time(year, None, reason)
    if previous is None:
        # A provisional release had no time to withdraw: its subscribers are told all the same.
        alerts.release_changed(year, None, reason, kind=Alert.Kind.RELEASE_CANCELLED)
    return _record(year, Action.CANCELLED, by, previous_release_at=previous, reason=reason)


@transaction.atomic
def set_contact(
    year: ReportingYear, statistician: str, email: str, provisional_figures: bool, by: User | None
) -> Release:
    """Name the release's responsible statistician and contact address, and whether its
    figures are provisional (`[p]`) when published."""
    release = _locked(year)
    if release is None:
        if year.release_at is None:
            raise ReleaseRefused(f"Announce the {year} release before naming who to ask about it.")
        release = Release(year=year, state=State.CONFIRMED)
    release.statistician = statistician.strip()
    release.contact_email = email.strip()
    release.provisional_figures = provisional_figures
    release.save()
    # Reports waiting for the release go out as the figures are marked when it comes.
    public = PublishedRevision.objects.public().filter(report__year=year)
    PublishedRevision.objects.filter(report__year=year).exclude(pk__in=public.values("pk")).update(
        provisional=provisional_figures
    )
    return release


@transaction.atomic
def set_in_back_office(
    year: ReportingYear, at: datetime.datetime | None, by: User | AnonymousUser | None
) -> None:
    """A release time typed in the back office (past years' releases, loaded as history): no
    date rules, but the calendar records it like any other change."""
    previous = year.release_at
    workflow.set_release_time(year, at)
    if at == previous:
        return
    by = by if isinstance(by, User) else None
    release = _locked(year) or Release(year=year)
    reason = "Set in the back office."
    if at is not None:
        release.state, release.cancelled_reason = State.CONFIRMED, ""
        release.save()
        action = Action.MOVED if previous is not None else Action.CONFIRMED
        _record(year, action, by, release_at=at, previous_release_at=previous, reason=reason)
    elif previous is not None:
        # No date any more: back to the month it was in, provisionally.
        month = timezone.localtime(previous).date().replace(day=1)
        release.state, release.provisional_month = State.PROVISIONAL, month
        release.save()
        _record(year, Action.PROVISIONAL, by, provisional_month=month, reason=reason)


def _check_future(at: datetime.datetime) -> None:
    if at <= timezone.now():
        raise ReleaseRefused("The release date must be in the future.")


def describe_time(at: datetime.datetime) -> str:
    """ "Thursday 28 January 2027 at 09:30", in London time."""
    local = timezone.localtime(at)
    return f"{local:%A} {long_date(local.date())} at {local:%H:%M}"


def confirmed_time(day: datetime.date) -> datetime.datetime:
    """A release confirmed for `day`: official statistics are released at 09:30."""
    return release_time_on(day)


@dataclass(frozen=True)
class CalendarEntry:
    """A year's release as the calendar shows it."""

    year: ReportingYear
    state: str
    #: "Thursday 28 January 2027 at 09:30", "January 2027 (provisional)", or "Cancelled".
    when: str
    released: bool
    moves: list[ReleaseEvent]
    cancelled_reason: str
    #: Published from the release time only.
    recipients: list[PreReleaseRecipient]


def calendar(
    now: datetime.datetime | None = None,
) -> tuple[list[CalendarEntry], list[CalendarEntry]]:
    """(upcoming, past) releases: upcoming soonest first, then past newest first.

    A year with a release time but no calendar entry (set before the calendar kept its
    history) is a confirmed release.
    """
    now = now or timezone.now()
    years = (
        ReportingYear.objects.filter(release__isnull=False)
        | ReportingYear.objects.filter(release_at__isnull=False)
    ).distinct()
    years = years.select_related("release").prefetch_related(
        "release_events", "pre_release_recipients"
    )
    entries = [_entry(year, now) for year in years]
    upcoming = [e for e in entries if not e.released]
    upcoming.sort(key=lambda e: _sort_time(e.year))
    past = [e for e in entries if e.released]
    past.sort(key=lambda e: _sort_time(e.year), reverse=True)
    return upcoming, past


def _sort_time(year: ReportingYear) -> datetime.datetime:
    if year.release_at is not None:
        return year.release_at
    release = getattr(year, "release", None)
    month = release.provisional_month if release and release.provisional_month else None
    if month is not None:
        return release_time_on(month)
    return datetime.datetime.max.replace(tzinfo=datetime.UTC)  # no date: last


def _entry(year: ReportingYear, now: datetime.datetime) -> CalendarEntry:
    release = getattr(year, "release", None)
    state = release.state if release is not None else State.CONFIRMED
    if state == State.CONFIRMED and year.release_at is not None:
        when = describe_time(year.release_at)
    elif state == State.PROVISIONAL and release is not None and release.provisional_month:
        when = f"{release.provisional_month:%B %Y} (provisional)"
    else:
        when = "Cancelled"
    released = year.release_at is not None and year.release_at <= now
    moves = [e for e in year.release_events.all() if e.action == Action.MOVED]
    return CalendarEntry(
        year=year,
        state=state,
        when=when,
        released=released,
        moves=moves,
        cancelled_reason=release.cancelled_reason if release and state == State.CANCELLED else "",
        recipients=had_access(year, list(year.pre_release_recipients.all())) if released else [],
    )


def release_loaded(year: ReportingYear) -> Release | None:
    """The year's calendar entry, read with the year (`access.get_year`): no query."""
    return getattr(year, "release", None)


def published_recipients(year: ReportingYear) -> list[PreReleaseRecipient]:
    """The pre-release recipients, for the public: only once the release has happened.

    Recipients are named only for a release on the calendar, so a year without an entry
    (most past years) costs no query.
    """
    if release_loaded(year) is None:
        return []
    if year.release_at is None or year.release_at > timezone.now():
        return []
    return had_access(year, list(year.pre_release_recipients.all()))


def had_access(
    year: ReportingYear, recipients: list[PreReleaseRecipient]
) -> list[PreReleaseRecipient]:
    """Those of `recipients` who had access when the window opened or later: everyone but
    those withdrawn before it opened."""
    if year.release_at is None:
        return []
    opened = year.release_at - PRE_RELEASE_WINDOW
    # Named before the release and not withdrawn before the window opened.
    return [
        r
        for r in recipients
        if r.added_at < year.release_at and (r.withdrawn_at is None or r.withdrawn_at > opened)
    ]


# --- Pre-release access -----------------------------------------------------------------------


class RecipientRefused(Exception):
    """A recipient who cannot be added; the message says why."""


class ReleaseNotAnnounced(RecipientRefused):
    """Recipients are named for a release on the calendar only."""


@transaction.atomic
def add_recipient(
    year: ReportingYear,
    *,
    name: str,
    email: str,
    role: str,
    organisation: str,
    justification: str,
    by: User,
) -> PreReleaseRecipient:
    """Give `email` pre-release access to the year's release, with a recorded justification.

    An address without an account gets one, and an invitation to set its password. The
    release must be on the calendar (a year released before the calendar kept its history
    gets its entry now).
    """
    email = email.strip()
    if year.release_at is not None and year.release_at <= timezone.now():
        raise RecipientRefused(
            f"The {year} release has happened: pre-release access can no longer be given."
        )
    if not Release.objects.filter(year=year).exists():
        if year.release_at is None:
            raise ReleaseNotAnnounced(
                f"Announce the {year} release before naming who has pre-release access to it."
            )
        Release.objects.create(year=year, state=State.CONFIRMED)
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        first, _, last = name.strip().partition(" ")
        user = accounts.invite(
            email=email,
            first_name=first,
            last_name=last,
            areas=[],
            by=by,
            purpose=f"to read the {year} MAPPA statistics in the 24 hours before their release",
        )
    elif year.pre_release_recipients.filter(user=user, withdrawn_at__isnull=True).exists():
        raise RecipientRefused(f"{email} already has pre-release access to the {year} release.")
    return PreReleaseRecipient.objects.create(
        year=year,
        user=user,
        name=name.strip(),
        role=role.strip(),
        organisation=organisation.strip(),
        justification=justification.strip(),
        added_by=by,
    )


def withdraw_recipient(recipient: PreReleaseRecipient, by: User) -> bool:
    """End a recipient's access at once; False if it had ended already. They stay listed,
    and are published with the release if they had access in its last 24 hours."""
    withdrawn = PreReleaseRecipient.objects.filter(
        pk=recipient.pk, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now(), withdrawn_by=by)
    if withdrawn:
        recipient.refresh_from_db()
        # update() sends no signal: what the calendar publishes may have changed.
        public_state.bump()
    return bool(withdrawn)


def window(year: ReportingYear) -> tuple[datetime.datetime, datetime.datetime] | None:
    """When pre-release access opens and closes: the 24 hours before a confirmed release."""
    if year.release_at is None or state_of(year, release_of(year)) != State.CONFIRMED:
        return None
    return year.release_at - PRE_RELEASE_WINDOW, year.release_at


def recipient_now(user: User, year: ReportingYear) -> PreReleaseRecipient | None:
    """`user`'s pre-release access to the year, if it is open now; None outside the window."""
    if not user.is_active:
        return None
    opens_closes = window(year)
    now = timezone.now()
    if opens_closes is None or not opens_closes[0] <= now < opens_closes[1]:
        return None
    return year.pre_release_recipients.filter(user=user, withdrawn_at__isnull=True).first()


def open_access(user: User | AnonymousUser) -> list[PreReleaseRecipient]:
    """The releases whose pre-release `user` may read now."""
    if not isinstance(user, User):
        return []
    return [
        recipient
        for recipient in PreReleaseRecipient.objects.filter(
            user=user, withdrawn_at__isnull=True
        ).select_related("year")
        if recipient_now(user, recipient.year) is not None
    ]


def record_view(recipient: PreReleaseRecipient, what: str) -> PreReleaseView:
    """Record that `recipient` read `what`, now."""
    return PreReleaseView.objects.create(recipient=recipient, what=what)


def scheduled_revisions(year: ReportingYear) -> list[PublishedRevision]:
    """The revisions that go public at the year's release: what pre-release recipients read."""
    if year.release_at is None:
        return []
    latest: dict[int, PublishedRevision] = {}
    revisions = (
        PublishedRevision.objects.filter(report__year=year, published_at__lte=year.release_at)
        .select_related("report__area", "report__year")
        .order_by("report__area__name", "number")
    )
    for revision in revisions:
        latest[revision.report_id] = revision
    return list(latest.values())
