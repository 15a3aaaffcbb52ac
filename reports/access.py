"""Who may see and change what. Every non-public view starts with one of these helpers.

A coordinator sees and edits the reports of the areas they are bound to; a national admin
(the `reports.review_report` permission) sees every report, and with `reports.manage_accounts`
invites coordinators and manages their accounts. Anything else is a 404, so that guessing URLs
reveals nothing.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as SignedInUser
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from .models import AnnualReport, Area, ReportingYear

User = SignedInUser | AnonymousUser
REVIEW_PERMISSION = "reports.review_report"
ACCOUNTS_PERMISSION = "reports.manage_accounts"


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind @login_required, whose user is always signed in."""

    user: SignedInUser


def is_national_admin(user: User) -> bool:
    """Whether `user` belongs to the national team that reviews and publishes reports."""
    return user.is_active and user.has_perm(REVIEW_PERMISSION)


def can_manage_accounts(user: User) -> bool:
    """Whether `user` may invite coordinators, change their areas and deactivate accounts."""
    return user.is_active and user.has_perm(ACCOUNTS_PERMISSION)


def require_account_manager(user: User) -> None:
    """404 unless `user` manages accounts, as every back-office page others may not use is."""
    if not can_manage_accounts(user):
        raise Http404("Not found.")


def get_account_for_manager(user: User, pk: int) -> SignedInUser:
    """An account `user` may manage (any account, for the national team), or 404."""
    require_account_manager(user)
    account = SignedInUser.objects.filter(pk=pk).first()
    if account is None:
        raise Http404("No such account.")
    return account


def coordinated_areas(user: User) -> QuerySet[Area]:
    """The areas `user` coordinates (none for anonymous or inactive users)."""
    if not user.is_authenticated or not user.is_active:
        return Area.objects.none()
    return Area.objects.filter(coordinators__user=user)


def can_view_area(user: User, area: Area) -> bool:
    return is_national_admin(user) or coordinated_areas(user).filter(pk=area.pk).exists()


def can_edit_area(user: User, area: Area) -> bool:
    return coordinated_areas(user).filter(pk=area.pk).exists()


def get_year(label: str) -> ReportingYear:
    """The reporting year labelled `label` (with its release, read in the same query), or 404."""
    try:
        return ReportingYear.objects.select_related("release").by_label(label)
    except ReportingYear.DoesNotExist:
        raise Http404("No such reporting year.") from None


def get_area_for_coordinator(user: User, slug: str) -> Area:
    """An area `user` coordinates, or 404."""
    area = coordinated_areas(user).filter(slug=slug).first()
    if area is None:
        raise Http404("No such area among yours.")
    return area


def get_report_for_viewing(user: User, year_label: str, area_slug: str) -> AnnualReport:
    """A report `user` may read in the back office, or 404."""
    if is_national_admin(user):
        return _get_report(AnnualReport.objects.all(), year_label, area_slug)
    return get_report_for_coordinator(user, year_label, area_slug)


def get_report_for_coordinator(user: User, year_label: str, area_slug: str) -> AnnualReport:
    """A report of an area `user` coordinates, or 404. Whether it is editable is separate."""
    return _get_report(
        AnnualReport.objects.filter(area__in=coordinated_areas(user)), year_label, area_slug
    )


def _get_report(reports: QuerySet[AnnualReport], year_label: str, area_slug: str) -> AnnualReport:
    # Looked up only among `reports`, those the person may see, in one query: another area's
    # report is refused with the same queries, and the same 404, whether or not it exists.
    start = ReportingYear.start_year_from_label(year_label)
    if start is None:
        raise Http404("No such report among yours.")
    try:
        return reports.select_related("area", "year", "last_edited_by").get(
            year__start_year=start, area__slug=area_slug
        )
    except AnnualReport.DoesNotExist:
        raise Http404("No such report among yours.") from None
