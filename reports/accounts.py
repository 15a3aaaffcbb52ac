"""Accounts run by the national team: invitations, area access, deactivation, and their record.

Every change is made here, in one transaction with the `AccountEvent` that records who made it.
An invitation is a signed, timestamped link (`django.core.signing`) bound to the state of the
account's password: setting the password, or sending a newer invitation, makes it stop working,
and it expires after `INVITATION_DAYS` whatever happens.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.formats import date_format

from .access import REVIEW_PERMISSION
from .models import AccountEvent, Area, AreaCoordinator

INVITATION_DAYS = 7
INVITATION_AGE = datetime.timedelta(days=INVITATION_DAYS)
_SALT = "reports.accounts.invitation"
_INVITATIONS = [AccountEvent.Action.INVITED, AccountEvent.Action.INVITED_AGAIN]
Action = AccountEvent.Action


class AccountRefused(Exception):
    """A change to an account that cannot be made; the message says why, to the national team."""


class InvitationRefused(Exception):
    """An invitation link that cannot be used; the message says why, to the person invited."""


ALREADY_HAS_ACCOUNT = (
    "There is already an account for this email address. Find it in the list of accounts to "
    "change its areas or reactivate it."
)
INVITATION_EXPIRED = (
    f"This invitation has expired: invitations work for {INVITATION_DAYS} days. "
    "Ask the national MAPPA team to send you a new one."
)
INVITATION_USED = (
    "This invitation has already been used to set a password. Sign in with your email address "
    "and that password, or reset your password if you have forgotten it."
)
INVITATION_REPLACED = (
    "A newer invitation has been sent to you since this one. Use the link in the latest email."
)
INVITATION_NOT_VALID = (
    "This invitation link is not valid. Check that you copied the whole link from the email, "
    "or ask the national MAPPA team for a new invitation."
)


class AccountStatus(enum.Enum):
    """Where an account stands, with the GOV.UK tag colour that shows it."""

    ACTIVE = ("Active", "govuk-tag--green")
    INVITED = ("Invited", "govuk-tag--blue")
    INVITATION_EXPIRED = ("Invitation expired", "govuk-tag--yellow")
    NOT_INVITED = ("No password yet", "govuk-tag--yellow")
    DEACTIVATED = ("Deactivated", "govuk-tag--grey")

    def __init__(self, label: str, tag_class: str) -> None:
        self.label = label
        self.tag_class = tag_class


@dataclass(frozen=True)
class Account:
    """An account as the national team sees it: who, which areas, where it stands."""

    user: User
    areas: list[Area]
    is_national: bool
    #: When the latest invitation was sent, if one was.
    invited_at: datetime.datetime | None

    @property
    def name(self) -> str:
        return display_name(self.user)

    @property
    def status(self) -> AccountStatus:
        if not self.user.is_active:
            return AccountStatus.DEACTIVATED
        if self.user.has_usable_password():
            return AccountStatus.ACTIVE
        if self.invited_at is None:
            return AccountStatus.NOT_INVITED
        if self.invited_at + INVITATION_AGE < timezone.now():
            return AccountStatus.INVITATION_EXPIRED
        return AccountStatus.INVITED

    @property
    def invitation_expires_at(self) -> datetime.datetime | None:
        return self.invited_at + INVITATION_AGE if self.invited_at else None

    @property
    def can_be_invited_again(self) -> bool:
        return self.user.is_active and not self.user.has_usable_password()


def display_name(user: User) -> str:
    """The person's full name, or else their email address."""
    return user.get_full_name() or user.email or user.get_username()


def all_accounts() -> list[Account]:
    """Every account, national team first then by name, with their areas (three queries)."""
    users = (
        User.objects.annotate(
            invited_at=Max("account_events__at", filter=Q(account_events__action__in=_INVITATIONS))
        )
        .prefetch_related("coordinated_areas__area")
        .order_by("first_name", "last_name", "email")
    )
    # Deactivated members of the team too (with_perm would leave them out): who they were.
    app_label, codename = REVIEW_PERMISSION.split(".")
    reviews = Q(content_type__app_label=app_label, codename=codename)
    national = set(
        User.objects.filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=Permission.objects.filter(reviews))
            | Q(groups__permissions__in=Permission.objects.filter(reviews))
        ).values_list("pk", flat=True)
    )
    accounts = [
        Account(
            user=user,
            areas=sorted((c.area for c in user.coordinated_areas.all()), key=lambda a: a.name),
            is_national=user.pk in national,
            invited_at=user.invited_at,  # the annotation above
        )
        for user in users
    ]
    return sorted(accounts, key=lambda account: not account.is_national)


def account_of(user: User) -> Account:
    """One account as the national team sees it."""
    invited_at = user.account_events.filter(action__in=_INVITATIONS).aggregate(at=Max("at"))["at"]
    return Account(
        user=user,
        areas=list(Area.objects.filter(coordinators__user=user)),
        is_national=user.has_perm(REVIEW_PERMISSION),
        invited_at=invited_at,
    )


def history_of(user: User) -> list[AccountEvent]:
    """Every change to `user`'s account, newest first."""
    return list(user.account_events.select_related("by"))


def list_of_names(areas: Iterable[Area]) -> str:
    """'Derbyshire', 'Derbyshire and Kent', 'Derbyshire, Essex and Kent'."""
    names = sorted(area.name for area in areas)
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


# --- Changes, each recorded ----------------------------------------------------------------


def invite(
    *,
    email: str,
    first_name: str,
    last_name: str,
    areas: Iterable[Area],
    by: User,
    purpose: str = "",
) -> User:
    """Create the account of a coordinator of `areas` and email them an invitation.

    `purpose` says what the account is for when it is not coordinating areas (pre-release
    access, `releases.py`), e.g. "to read the 2025-26 MAPPA statistics before their release".

    The account has no password until they set one from the link; the email goes once the
    account is committed. Raises AccountRefused if the address already has an account.
    """
    areas = list(areas)
    try:
        with transaction.atomic():
            # No password: the account cannot be signed in to until the invitation is used.
            user = User.objects.create_user(
                username=email, email=email, first_name=first_name, last_name=last_name
            )
            AreaCoordinator.objects.bulk_create(
                AreaCoordinator(user=user, area=area) for area in areas
            )
            detail = f"{purpose[0].upper()}{purpose[1:]}." if purpose else ""
            _record(user, by, Action.INVITED, detail or f"To coordinate {list_of_names(areas)}.")
            _send_invitation_on_commit(user, by, areas, purpose)
    except IntegrityError:  # the same address invited at the same moment by someone else
        raise AccountRefused(ALREADY_HAS_ACCOUNT) from None
    return user


def invite_again(account: User, by: User) -> None:
    """Send a new invitation to someone who has not set a password; earlier links stop working."""
    with transaction.atomic():
        account = _locked(account)
        if not account.is_active:
            raise AccountRefused(
                f"{display_name(account)}'s account is deactivated: reactivate it first."
            )
        if account.has_usable_password():
            raise AccountRefused(
                f"{display_name(account)} has already set a password. If they have forgotten "
                "it, they can reset it from the sign-in page."
            )
        account.set_unusable_password()  # a new password state: earlier links no longer match
        account.save(update_fields=["password"])
        areas = list(Area.objects.filter(coordinators__user=account))
        _record(account, by, Action.INVITED_AGAIN, "Earlier invitation links no longer work.")
        _send_invitation_on_commit(account, by, areas)


def change_areas(account: User, areas: Iterable[Area], by: User) -> str:
    """Give `account` exactly `areas`, at once; returns what changed ('' if nothing did)."""
    wanted = {area.pk: area for area in areas}
    with transaction.atomic():
        account = _locked(account)
        current = {c.area_id: c.area for c in account.coordinated_areas.select_related("area")}
        added = [wanted[pk] for pk in wanted.keys() - current.keys()]
        removed = [current[pk] for pk in current.keys() - wanted.keys()]
        if not added and not removed:
            return ""
        AreaCoordinator.objects.filter(user=account, area__in=removed).delete()
        AreaCoordinator.objects.bulk_create(
            AreaCoordinator(user=account, area=area) for area in added
        )
        detail = " ".join(
            part
            for part in (
                f"Added {list_of_names(added)}." if added else "",
                f"Removed {list_of_names(removed)}." if removed else "",
            )
            if part
        )
        _record(account, by, Action.AREAS_CHANGED, detail)
    return detail


def why_not_deactivate(account: User, by: User) -> str:
    """Why `by` may not deactivate `account` ('' if they may)."""
    if not account.is_active:
        return f"{display_name(account)}'s account is already deactivated."
    if account.pk == by.pk:
        return "You cannot deactivate your own account."
    if account.is_superuser and not by.is_superuser:
        name = display_name(account)
        return f"{name} is a superuser: only another superuser can deactivate them."
    return ""


def deactivate(account: User, by: User) -> None:
    """Stop `account` signing in; a session it has ends at its next request."""
    with transaction.atomic():
        account = _locked(account)
        refusal = why_not_deactivate(account, by)
        if refusal:
            raise AccountRefused(refusal)
        account.is_active = False
        account.save(update_fields=["is_active"])
        _record(account, by, Action.DEACTIVATED)


def reactivate(account: User, by: User) -> None:
    """Let a deactivated account sign in again, with its areas as they were."""
    with transaction.atomic():
        account = _locked(account)
        if account.is_active:
            raise AccountRefused(f"{display_name(account)}'s account is already active.")
        account.is_active = True
        account.save(update_fields=["is_active"])
        _record(account, by, Action.REACTIVATED)


def _locked(account: User) -> User:
    # One change to an account at a time: the second waits, then sees the first's result.
    return User.objects.select_for_update().get(pk=account.pk)


def _record(account: User, by: User, action: str, detail: str = "") -> None:
    AccountEvent.objects.create(account=account, by=by, action=action, detail=detail)


# --- The invitation link -------------------------------------------------------------------


def _password_state(user: User) -> str:
    # Changes whenever the password does, and a new invitation gives a new unusable one.
    return salted_hmac(_SALT, f"{user.pk}:{user.password}", algorithm="sha256").hexdigest()


def invitation_token(user: User) -> str:
    """A token that lets `user` set their password once, within INVITATION_DAYS."""
    return signing.dumps({"user": user.pk, "state": _password_state(user)}, salt=_SALT)


def invitation_link(user: User) -> str:
    return settings.SITE_URL + reverse("accounts:invitation", args=[invitation_token(user)])


def account_for_invitation(token: str, *, lock: bool = False) -> User:
    """The account whose invitation `token` is, if it can still be used.

    Raises InvitationRefused saying why not: expired, used, replaced by a newer one, or not an
    invitation at all. With `lock`, the account is locked for the rest of the transaction, so
    that two uses at the same moment cannot both set a password.
    """
    try:
        data = signing.loads(token, salt=_SALT, max_age=INVITATION_AGE)
    except signing.SignatureExpired:
        raise InvitationRefused(INVITATION_EXPIRED) from None
    except signing.BadSignature:
        raise InvitationRefused(INVITATION_NOT_VALID) from None
    users = User.objects.select_for_update() if lock else User.objects.all()
    user = users.filter(pk=data["user"], is_active=True).first()
    if user is None:
        raise InvitationRefused(INVITATION_NOT_VALID)
    if not constant_time_compare(data["state"], _password_state(user)):
        raise InvitationRefused(
            INVITATION_USED if user.has_usable_password() else INVITATION_REPLACED
        )
    return user


def accept_invitation(account: User, password: str) -> None:
    """Set the password of an account whose invitation was checked (and locked) just now."""
    account.set_password(password)
    account.save(update_fields=["password"])
    _record(account, account, Action.PASSWORD_SET)


def _send_invitation_on_commit(user: User, by: User, areas: list[Area], purpose: str = "") -> None:
    expires = timezone.localtime(timezone.now() + INVITATION_AGE)
    subject = "You have been invited to MAPPA Portal"
    body = (
        f"{display_name(by)} of the national MAPPA team has invited you to MAPPA Portal, "
        + (
            f"{purpose}."
            if purpose
            else "where you will produce the annual MAPPA report for "
            f"{list_of_names(areas) or 'your area'}."
        )
        + "\n\nSet your password with this link. It works once, until "
        f"{date_format(expires, 'j F Y')} at {date_format(expires, 'H:i')}:\n\n"
        f"{invitation_link(user)}\n\n"
        f"Then sign in with your email address, {user.email}, at:\n"
        f"{settings.SITE_URL}{reverse('accounts:sign-in')}\n\n"
        "If you did not expect this email, you can ignore it.\n"
    )
    recipients = [user.email]
    # robust: a mail server failure is logged, and never undoes the committed account.
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients), robust=True
    )
