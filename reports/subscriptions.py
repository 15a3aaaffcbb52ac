"""Email subscriptions to a year's release or an area's reports: double opt-in, one-click out.

Someone gives an address; a confirmation email carries a signed link (valid for
`CONFIRM_DAYS`); only a confirmed subscription is ever sent anything else. Every email carries
a signed unsubscribe link (and a List-Unsubscribe header): using it deletes the subscription.
What a request answers never depends on whether the address is subscribed already.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .models import Area, ReportingYear, Subscription

CONFIRM_DAYS = 7
_CONFIRM_SALT = "reports.subscriptions.confirm"
_UNSUBSCRIBE_SALT = "reports.subscriptions.unsubscribe"


class LinkRefused(Exception):
    """A confirmation or unsubscribe link that is not (or no longer) valid."""


def _token(subscription: Subscription, salt: str) -> str:
    # The address too: a link names one person's subscription, never a reused id.
    return signing.dumps({"id": subscription.pk, "email": subscription.email}, salt=salt)


def confirm_url(subscription: Subscription) -> str:
    """The signed link that confirms `subscription`."""
    token = _token(subscription, _CONFIRM_SALT)
    return settings.SITE_URL + reverse("reports:subscription-confirm", kwargs={"token": token})


def unsubscribe_url(subscription: Subscription) -> str:
    """The signed link that ends `subscription` (it never expires)."""
    token = _token(subscription, _UNSUBSCRIBE_SALT)
    return settings.SITE_URL + reverse("reports:unsubscribe", kwargs={"token": token})


def message(subscription: Subscription, subject: str, body: str) -> EmailMessage:
    """An email to a subscriber, with the unsubscribe link in its text and headers."""
    link = unsubscribe_url(subscription)
    body += (
        f"\n\nYou get this email because you subscribed to {subscription.subject}. "
        f"To unsubscribe, open this link: {link}\n"
    )
    return EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [subscription.email],
        headers={
            "List-Unsubscribe": f"<{link}>",
            # RFC 8058: a mail client may unsubscribe with one POST, without opening the page.
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def request(email: str, *, year: ReportingYear | None = None, area: Area | None = None) -> None:
    """Ask for a subscription: email a confirmation link (or, to a confirmed subscriber, a
    reminder that they are subscribed). The caller's answer is the same either way."""
    email = email.strip().lower()
    with transaction.atomic():
        subscription, created = Subscription.objects.get_or_create(
            email=email, year=year, area=area
        )
        if not created and subscription.confirmed_at is None:
            # A new link: kept until it expires (`forget_unconfirmed`).
            subscription.created_at = timezone.now()
            subscription.save(update_fields=["created_at"])
    if subscription.confirmed_at is None:
        subject = f"Confirm your subscription to {subscription.subject}"
        body = (
            f"Someone (we hope you) asked to be emailed about {subscription.subject}.\n\n"
            f"To confirm, open this link within {CONFIRM_DAYS} days:\n"
            f"{confirm_url(subscription)}\n\n"
            "If you did not ask, ignore this email: you will get nothing else."
        )
    else:
        subject = f"You are already subscribed to {subscription.subject}"
        body = (
            f"Someone (we hope you) asked again to be emailed about {subscription.subject}. "
            "You are subscribed already: there is nothing to do."
        )
    mail = message(subscription, subject, body)
    transaction.on_commit(lambda: mail.send(fail_silently=False), robust=True)


def _load(token: str, salt: str, max_age: datetime.timedelta | None) -> Subscription | None:
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkRefused(
            f"This link has expired: confirmation links work for {CONFIRM_DAYS} days. "
            "Subscribe again to get a new one."
        ) from None
    except signing.BadSignature:
        raise LinkRefused("This link is not valid. Check that you copied all of it.") from None
    if not isinstance(data, dict):
        raise LinkRefused("This link is not valid. Check that you copied all of it.")
    pk, email = data.get("id"), data.get("email")
    if not isinstance(pk, int) or not isinstance(email, str):
        raise LinkRefused("This link is not valid. Check that you copied all of it.")
    return Subscription.objects.filter(pk=pk, email=email).first()


def subscription_to_confirm(token: str) -> Subscription:
    """The subscription a confirmation link is for; `LinkRefused` if the link is bad, expired
    or its subscription has been ended."""
    subscription = _load(token, _CONFIRM_SALT, datetime.timedelta(days=CONFIRM_DAYS))
    if subscription is None:
        raise LinkRefused("This subscription has ended. Subscribe again if you want updates.")
    return subscription


def confirm(subscription: Subscription) -> None:
    """Confirm a subscription (again is harmless)."""
    Subscription.objects.filter(pk=subscription.pk, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now()
    )


def subscription_to_end(token: str) -> Subscription | None:
    """The subscription an unsubscribe link is for; None if it has ended already."""
    return _load(token, _UNSUBSCRIBE_SALT, None)


def unsubscribe(subscription: Subscription | None) -> None:
    """End a subscription: the address is deleted with it."""
    if subscription is not None:
        Subscription.objects.filter(pk=subscription.pk).delete()


def forget_unconfirmed(now: datetime.datetime | None = None) -> int:
    """Delete subscriptions never confirmed whose link has expired; how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=CONFIRM_DAYS)
    deleted, _ = Subscription.objects.filter(
        confirmed_at__isnull=True, created_at__lt=cutoff
    ).delete()
    return deleted
