"""Emails about reports, sent with Django's email framework once the change is committed.

Admins hear when a report is submitted; coordinators when theirs is returned, approved or
published, and when the deadline nears without a submission.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from . import windows
from .models import AnnualReport, ReportingYear

#: Reminders go out this many days before the deadline (and on the day).
REMINDER_DAYS = (14, 7, 1, 0)


def national_team_emails() -> list[str]:
    User = get_user_model()
    perm = Q(user_permissions__codename="review_report") | Q(
        groups__permissions__codename="review_report"
    )
    return sorted(
        set(
            User.objects.filter(perm, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def coordinator_emails(report: AnnualReport) -> list[str]:
    return sorted(
        set(
            report.area.coordinators.filter(user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def _link(report: AnnualReport, name: str = "manage:overview") -> str:
    path = reverse(name, kwargs={"year": report.year.label, "area": report.area.slug})
    return settings.SITE_URL + path


def after_move(report: AnnualReport, action: str, comment: str) -> None:
    """Queue the emails a workflow move calls for, to go once the transaction commits."""
    name = f"the {report.area} MAPPA report for {report.year}"
    # Not str.capitalize(), which would lower-case the area and "MAPPA".
    title = "T" + name[1:]
    messages = []
    if action == "submit":
        review = _link(report, "manage:review")
        body = f"{title} has been submitted for review.\n\n{review}\n"
        if comment:
            body += f"\nThe coordinator explained changes since last year:\n{comment}\n"
        messages.append((f"Submitted: {name}", body, national_team_emails()))
    elif action in {"return", "reopen"}:
        why = "returned to you" if action == "return" else "reopened for a correction"
        body = f"{title} has been {why}.\n\nThe national team said:\n{comment}\n\n{_link(report)}\n"
        messages.append((f"Returned: {name}", body, coordinator_emails(report)))
    elif action == "approve":
        body = f"{title} has been approved.\n\n{_link(report)}\n"
        messages.append((f"Approved: {name}", body, coordinator_emails(report)))
    elif action == "publish":
        revision = report.revisions.order_by("-number").first()
        when = revision.published_at if revision else None
        public = settings.SITE_URL + report.get_absolute_url()
        summary = report.status_summary()
        if summary.key == "scheduled":  # never "published" before it is public
            subject = f"Scheduled for release: {name}"
            body = f"{title} is a{summary.label[1:]}.\n\nIt will be at {public}\n"
        else:
            subject = f"Published: {name}"
            body = f"{title} is published"
            body += f" (public from {when:%d %B %Y %H:%M}).\n\n" if when else ".\n\n"
            body += f"{public}\n"
        messages.append((subject, body, coordinator_emails(report)))
    _send_on_commit(messages)


def _send_on_commit(messages: list[tuple[str, str, list[str]]]) -> None:
    batch = [
        (subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        for subject, body, recipients in messages
        if recipients
    ]
    if batch:
        # robust: a mail server failure is logged, and never turns a committed move into an error.
        transaction.on_commit(lambda: send_mass_mail(batch, fail_silently=False), robust=True)


def send_deadline_reminders(today: datetime.date) -> int:
    """Remind coordinators of areas that have not submitted as an open year's deadline nears.

    Returns how many emails were sent.
    """
    from .models import Area

    batch = []
    for year in ReportingYear.objects.filter(is_open=True, deadline__isnull=False):
        days = (year.deadline - today).days
        if days not in REMINDER_DAYS:
            continue
        done = AnnualReport.objects.filter(year=year).exclude(
            status__in=[AnnualReport.Status.DRAFT, AnnualReport.Status.RETURNED]
        )
        drafts = {
            r.area_id: r
            for r in AnnualReport.objects.filter(year=year).select_related("year", "area")
        }
        for area in Area.objects.exclude(reports__in=done).prefetch_related("coordinators__user"):
            draft = drafts.get(area.pk)
            verdict = windows.can_change(draft) if draft else windows.can_start(year, area)
            if not verdict.allowed:
                continue  # new reports have closed to it: a reminder would ask the impossible
            recipients = sorted(
                {c.user.email for c in area.coordinators.all() if c.user.is_active and c.user.email}
            )
            if not recipients:
                continue
            due = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
            body = (
                f"The {area} MAPPA report for {year} is due {due}, on "
                f"{year.deadline:%d %B %Y}, and has not been submitted yet.\n\n"
                f"{settings.SITE_URL}{reverse('manage:dashboard')}\n"
            )
            batch.append(
                (
                    f"Due {due}: the {area} MAPPA report for {year}",
                    body,
                    settings.DEFAULT_FROM_EMAIL,
                    recipients,
                )
            )
    if batch:
        send_mass_mail(batch, fail_silently=False)
    return len(batch)
