"""Alerts: the public events subscribers hear of and the Atom feed lists.

A year's release confirmed, moved or cancelled (`release_changed`, the one seam for every change
of `ReportingYear.release_at`); a year's reports released and each area's report published
(`announce_due`, run by the release timer, so never before the release time); a report
corrected (`announce`, at publication, if it is public at once; else by the timer).

Each event is recorded once (`Alert.key` is unique) and only once it is public. Emails go after
the recording transaction commits, one per confirmed subscriber, each recorded first as a
`Notification` (unique per subscriber and alert) in the same transaction as its sending: a
retry or a second worker finds the row and sends nothing; a failed send leaves no row, so the
timer's next run (`deliver_pending`) tries again.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from . import public_state, subscriptions
from .models import Alert, Notification, PublishedRevision, ReportingYear, Subscription

logger = logging.getLogger(__name__)
Kind = Alert.Kind

#: Events found later than this after they happened are listed in the feed, never emailed.
CATCH_UP = datetime.timedelta(days=7)


def _when(at: datetime.datetime | None) -> str:
    if at is None:
        return "no date"
    local = timezone.localtime(at)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def release_changed(
    year: ReportingYear,
    previous_at: datetime.datetime | None,
    reason: str = "",
    kind: Alert.Kind | None = None,
) -> Alert | None:
    """Record that `year`'s release time (now `year.release_at`) was set, moved or withdrawn
    from `previous_at`, and tell the year's subscribers once the change commits.

    Call it in the transaction that changes the release time; None if nothing changed (unless
    `kind` says what happened: a calendar with provisional dates confirms one unchanged).
    """
    if previous_at == year.release_at and kind is None:
        return None
    now = timezone.now()
    if kind is None:
        if previous_at is None:
            kind = Kind.RELEASE_CONFIRMED
        elif year.release_at is None:
            kind = Kind.RELEASE_CANCELLED
        else:
            kind = Kind.RELEASE_MOVED
    alert = Alert.objects.create(
        key=f"release:{year.pk}:{now.timestamp():.6f}",
        kind=kind,
        year=year,
        at=now,
        recorded_at=now,
        release_at=year.release_at,
        previous_release_at=previous_at,
        reason=reason.strip(),
    )
    _deliver_on_commit(alert)
    return alert


def announce(revision: PublishedRevision, now: datetime.datetime | None = None) -> list[Alert]:
    """Record a published revision if it is public now (a year's release and the report's
    publication, or a correction), and email the subscribers once the transaction commits."""
    now = now or timezone.now()
    if not PublishedRevision.objects.public().filter(pk=revision.pk).exists():
        return []  # the release timer announces it when its time comes
    return _record(revision, now)


def announce_due(now: datetime.datetime | None = None) -> list[Alert]:
    """Record every public revision not yet recorded (the release timer's sweep)."""
    now = now or timezone.now()
    recorded: list[Alert] = []
    waiting = (
        PublishedRevision.objects.public()
        .filter(alerts__isnull=True)
        .select_related("report__year", "report__area")
        .order_by("published_at", "pk")
    )
    # One bump of the public state for them all (the feed lists them), not one per alert.
    with public_state.batch():
        for revision in waiting:
            recorded += _record(revision, now)
    return recorded


def _record(revision: PublishedRevision, now: datetime.datetime) -> list[Alert]:
    report = revision.report
    year, area = report.year, report.area
    recent = revision.published_at >= now - CATCH_UP
    made: list[tuple[Alert, bool]] = []
    with transaction.atomic():
        if revision.number == 1:
            released_at = year.release_at or revision.published_at
            made.append(
                Alert.objects.get_or_create(
                    key=f"released:{year.pk}:{released_at.timestamp():.0f}",
                    defaults={
                        "kind": Kind.RELEASED,
                        "year": year,
                        "at": released_at,
                        "recorded_at": now,
                        "email_subscribers": recent,
                    },
                )
            )
            kind, key, email = Kind.PUBLISHED, f"published:{revision.pk}", recent
        else:
            kind, key = Kind.CORRECTED, f"corrected:{revision.pk}"
            email = recent and revision.tell_subscribers
        made.append(
            Alert.objects.get_or_create(
                key=key,
                defaults={
                    "kind": kind,
                    "year": year,
                    "area": area,
                    "revision": revision,
                    "at": revision.published_at,
                    "recorded_at": now,
                    "reason": revision.reason,
                    "email_subscribers": email,
                },
            )
        )
    created = [alert for alert, new in made if new]
    for alert in created:
        _deliver_on_commit(alert)
    return created


def _deliver_on_commit(alert: Alert) -> None:
    if alert.email_subscribers:
        pk = alert.pk
        # robust: a mail failure is logged; the change stands, and the timer tries again.
        transaction.on_commit(lambda: deliver(pk), robust=True)


def subscribers(alert: Alert) -> QuerySet[Subscription]:
    """The confirmed subscriptions `alert` is for and that have not been told of it."""
    if alert.kind == Kind.PUBLISHED:
        to = Q(area=alert.area_id)
    elif alert.kind == Kind.CORRECTED:
        to = Q(year=alert.year_id) | Q(area=alert.area_id)
    else:
        to = Q(year=alert.year_id)
    # One email per address: someone subscribed to both a year and an area is told once.
    told = Notification.objects.filter(alert=alert).values("subscription__email")
    return (
        Subscription.objects.filter(to, confirmed_at__lte=alert.recorded_at)
        .exclude(notifications__alert=alert)
        .exclude(email__in=told)
        .order_by("pk")
    )


def deliver(alert_pk: int) -> int:
    """Email `alert` to each of its subscribers not yet told; how many were sent."""
    alert = Alert.objects.select_related("year", "area", "revision").filter(pk=alert_pk).first()
    if alert is None or not alert.email_subscribers:
        return 0
    sent = 0
    seen: set[str] = set()
    for subscription in subscribers(alert):
        if subscription.email.lower() in seen:
            continue
        seen.add(subscription.email.lower())
        try:
            with transaction.atomic():
                Notification.objects.create(subscription=subscription, alert=alert)
                subscriptions.message(subscription, title(alert), email_body(alert)).send()
        except IntegrityError:
            continue  # told already, by a retry or another worker
        except Exception:  # a mail server failure: no row, so the next run tries again
            logger.warning("Alert %s not sent to subscription %s.", alert, subscription.pk)
            continue
        sent += 1
    return sent


def deliver_pending(now: datetime.datetime | None = None) -> int:
    """Send what recent alerts still owe (after a failed send); how many emails."""
    since = (now or timezone.now()) - CATCH_UP
    recent = Alert.objects.filter(email_subscribers=True, recorded_at__gte=since)
    return sum(deliver(pk) for pk in recent.values_list("pk", flat=True))


def title(alert: Alert) -> str:
    """The alert in a line: an email's subject, a feed entry's title."""
    year = f"MAPPA annual reports {alert.year}"
    report = f"{alert.area} MAPPA annual report {alert.year}"
    return {
        Kind.RELEASE_CONFIRMED: f"Release confirmed: {year}",
        Kind.RELEASE_MOVED: f"Release moved: {year}",
        Kind.RELEASE_CANCELLED: f"Release cancelled: {year}",
        Kind.RELEASED: f"Released: {year}",
        Kind.PUBLISHED: f"Published: {report}",
        Kind.CORRECTED: f"Corrected: {report}",
    }[Kind(alert.kind)]


def summary(alert: Alert) -> str:
    """What happened, in a sentence or two (no links)."""
    year = f"The MAPPA annual reports for {alert.year}"
    reason = f" Reason: {alert.reason}" if alert.reason else ""
    if alert.kind == Kind.RELEASE_CONFIRMED:
        return f"{year} will be published on {_when(alert.release_at)}.{reason}"
    if alert.kind == Kind.RELEASE_MOVED:
        return (
            f"The release of {year[4:]} has moved from {_when(alert.previous_release_at)} to "
            f"{_when(alert.release_at)}.{reason}"
        )
    if alert.kind == Kind.RELEASE_CANCELLED:
        return (
            f"The release of {year[4:]}, announced for {_when(alert.previous_release_at)}, "
            f"is cancelled: a new date will be announced.{reason}"
        )
    if alert.kind == Kind.RELEASED:
        return f"{year} were published on {_when(alert.at)}."
    if alert.kind == Kind.PUBLISHED:
        return (
            f"The {alert.area} MAPPA annual report for {alert.year} was published on "
            f"{_when(alert.at)}."
        )
    number = alert.revision.number if alert.revision else ""
    return (
        f"The {alert.area} MAPPA annual report for {alert.year} was corrected on "
        f"{_when(alert.at)} (revision {number}). What changed and why: {alert.reason}"
    )


def link(alert: Alert) -> str:
    """Where the alert's subject can be read (a path)."""
    if alert.kind in {Kind.PUBLISHED, Kind.CORRECTED} and alert.area is not None:
        return reverse("reports:report", kwargs={"year": alert.year.label, "area": alert.area.slug})
    if alert.kind == Kind.RELEASED:
        return reverse("reports:national", kwargs={"year": alert.year.label})
    return reverse("reports:releases")


def email_body(alert: Alert) -> str:
    """An alert's email, before the unsubscribe paragraph."""
    body = f"{summary(alert)}\n\n{settings.SITE_URL}{link(alert)}"
    if alert.kind == Kind.CORRECTED and alert.revision is not None:
        body += (
            "\n\nEarlier versions, and their figures, stay available at the addresses listed "
            "on the report's page."
        )
    return body
