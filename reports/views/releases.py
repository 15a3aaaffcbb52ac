"""The national team's release pages, and pre-release reading for the people they name.

Pre-release pages are for signed-in recipients only, inside the 24 hours before a confirmed
release: anywhere else they are a 404, as for the public. They live under /manage/, which the
public cache never looks up, and say `Cache-Control: private, no-store` besides.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import access, accounts, hexmap, releases, statistics
from ..access import AuthenticatedHttpRequest
from ..models import AnnualReport, PreReleaseRecipient, PreReleaseView, ReportingYear
from ..release_forms import CancelForm, ContactForm, ProvisionalForm, RecipientForm, ReleaseDateForm
from .public import render_revision

State = releases.State


def _require_admin(request: HttpRequest) -> None:
    if not access.is_national_admin(request.user):
        raise Http404("Not found.")


@login_required
@require_safe
def release_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every year's release as the calendar shows it, each linking to its page."""
    _require_admin(request)
    upcoming, past = releases.calendar()
    on_calendar = {e.year.pk for e in upcoming + past}
    others = ReportingYear.objects.exclude(pk__in=on_calendar)
    context = {"upcoming": upcoming, "past": past, "others": others}
    return render(request, "manage/releases.html", context)


@login_required
@require_safe
def release(request: AuthenticatedHttpRequest, year: str) -> HttpResponse:
    """A year's release: its state and history, and the forms that change it."""
    _require_admin(request)
    return _release_page(request, access.get_year(year))


@login_required
@require_POST
def release_change(request: AuthenticatedHttpRequest, year: str, change: str) -> HttpResponse:
    """Announce, confirm, move or cancel a year's release, or name who to ask about it."""
    _require_admin(request)
    year_obj = access.get_year(year)
    entry = releases.release_of(year_obj)
    state = releases.state_of(year_obj, entry)
    form: ProvisionalForm | ReleaseDateForm | CancelForm | ContactForm
    if change == "provisional":
        form = ProvisionalForm(request.POST, prefix="provisional")
    elif change == "date":
        form = ReleaseDateForm(request.POST, prefix="date", moving=state == State.CONFIRMED)
    elif change == "cancel":
        form = CancelForm(request.POST, prefix="cancel")
    elif change == "contact":
        form = ContactForm(request.POST, prefix="contact")
    else:
        raise Http404("No such change.")
    if hidden := _not_offered(year_obj, change, state):
        # The page does not show this form now: say why above the page, not on a hidden field.
        messages.error(request, hidden)
        return redirect("manage:release", year=year_obj.label)
    if not form.is_valid():
        return _release_page(request, year_obj, {change: form})
    data = form.cleaned_data
    try:
        if change == "provisional":
            releases.announce(year_obj, data["first_day"], request.user)
            done = f"The {year_obj} release is announced for {data['first_day']:%B %Y}."
        elif change == "date":
            at = releases.confirmed_time(data["day"])
            if state == State.CONFIRMED:
                releases.move(year_obj, at, data["reason"], request.user)
                done = f"The {year_obj} release is moved to {releases.describe_time(at)}."
            else:
                releases.confirm(year_obj, at, request.user)
                done = f"The {year_obj} release is confirmed for {releases.describe_time(at)}."
        elif change == "cancel":
            releases.cancel(year_obj, data["reason"], request.user)
            done = f"The {year_obj} release is cancelled."
        else:
            releases.set_contact(
                year_obj,
                data["statistician"],
                data["contact_email"],
                data["provisional_figures"],
                request.user,
            )
            done = f"Who to ask about the {year_obj} release is saved."
    except releases.ReleaseRefused as refused:
        form.add_error(None, str(refused))
        year_obj.refresh_from_db()
        return _release_page(request, year_obj, {change: form})
    messages.success(request, done)
    return redirect("manage:release", year=year_obj.label)


def _not_offered(year: ReportingYear, change: str, state: str | None) -> str:
    """Why the release page does not offer `change` now ("" if it does): the page shows only
    the forms offered, and a change posted to one it does not show is refused."""
    released = year.release_at is not None and year.release_at <= timezone.now()
    if change in ("provisional", "date", "cancel") and released:
        return f"The {year} release has happened: it cannot change."
    if change == "provisional" and state == State.CONFIRMED:
        return (
            f"The {year} release is confirmed: move it, with a reason, rather than announce "
            "a month."
        )
    if change == "cancel" and state == State.CANCELLED:
        return f"The {year} release is cancelled already."
    if change == "contact" and not state:
        return f"Announce the {year} release before naming who to ask about it."
    return ""


def _release_page(
    request: HttpRequest,
    year: ReportingYear,
    bound: dict[str, forms.Form] | None = None,
) -> HttpResponse:
    bound = bound or {}
    entry = releases.release_of(year)
    state = releases.state_of(year, entry)
    contact_initial = (
        {
            "statistician": entry.statistician,
            "contact_email": entry.contact_email,
            "provisional_figures": entry.provisional_figures,
        }
        if entry
        else {}
    )
    released = year.release_at is not None and year.release_at <= timezone.now()
    page_forms: dict[str, forms.Form] = {
        "provisional": bound.get("provisional") or ProvisionalForm(prefix="provisional"),
        "date": bound.get("date")
        or ReleaseDateForm(prefix="date", moving=state == State.CONFIRMED),
        "cancel": bound.get("cancel") or CancelForm(prefix="cancel"),
        "contact": bound.get("contact") or ContactForm(prefix="contact", initial=contact_initial),
    }
    context = {
        "year": year,
        "entry": entry,
        "state": state,
        "released": released,
        # One rule for which forms the page shows and which changes it accepts.
        "offered": {change: not _not_offered(year, change, state) for change in page_forms},
        "when": releases.describe_time(year.release_at) if year.release_at else "",
        "events": year.release_events.select_related("by").order_by("-at", "-pk"),
        "forms": page_forms,
    }
    return render(request, "manage/release.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def pre_release_recipients(request: AuthenticatedHttpRequest, year: str) -> HttpResponse:
    """Who has pre-release access to a year's release and why (POST adds one), and every
    page they read."""
    _require_admin(request)
    year_obj = access.get_year(year)
    form = RecipientForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            recipient = releases.add_recipient(year_obj, by=request.user, **form.cleaned_data)
        except (releases.RecipientRefused, accounts.AccountRefused) as refused:
            where = None if isinstance(refused, releases.ReleaseNotAnnounced) else "email"
            form.add_error(where, str(refused))
        else:
            messages.success(
                request, f"{recipient.name} has pre-release access to the {year_obj} release."
            )
            return redirect("manage:pre-release-recipients", year=year_obj.label)
    window = releases.window(year_obj)
    context = {
        "year": year_obj,
        "form": form,
        "window": window,
        "recipients": PreReleaseRecipient.objects.filter(year=year_obj).select_related(
            "user", "withdrawn_by"
        ),
        "views": PreReleaseView.objects.filter(recipient__year=year_obj).select_related(
            "recipient"
        ),
        "when": releases.describe_time(year_obj.release_at) if year_obj.release_at else "",
        "opens": releases.describe_time(window[0]) if window else "",
        "scheduled": len(releases.scheduled_revisions(year_obj)),
        "approved": year_obj.reports.filter(status=AnnualReport.Status.APPROVED).count(),
    }
    return render(request, "manage/pre_release_recipients.html", context)


@login_required
@require_POST
def withdraw_recipient(request: AuthenticatedHttpRequest, year: str, id: int) -> HttpResponse:
    """End a recipient's pre-release access at once; they stay listed, with when."""
    _require_admin(request)
    year_obj = access.get_year(year)
    recipient = PreReleaseRecipient.objects.filter(year=year_obj, pk=id).first()
    if recipient is None:
        raise Http404("No such recipient.")
    if releases.withdraw_recipient(recipient, request.user):
        messages.success(request, f"{recipient.name}’s pre-release access is withdrawn.")
    else:
        messages.info(request, f"{recipient.name}’s pre-release access had already been withdrawn.")
    return redirect("manage:pre-release-recipients", year=year_obj.label)


# --- Reading under pre-release access ---------------------------------------------------------


def _recipient(request: AuthenticatedHttpRequest, year: str) -> PreReleaseRecipient:
    """The signed-in person's open pre-release access to the year, or 404."""
    year_obj = access.get_year(year)
    recipient = releases.recipient_now(request.user, year_obj)
    if recipient is None:
        raise Http404("No pre-release access now.")
    recipient.year = year_obj
    return recipient


def _watermark(year: ReportingYear) -> str:
    assert year.release_at is not None  # the window is open only for a confirmed release
    return f"Pre-release: not for publication until {releases.describe_time(year.release_at)}"


@never_cache
@login_required
@require_safe
def pre_release_index(request: AuthenticatedHttpRequest, year: str) -> HttpResponse:
    """What the recipient may read before the release: the national summary and the reports."""
    recipient = _recipient(request, year)
    year_obj = recipient.year
    releases.record_view(recipient, f"{year_obj} pre-release contents")
    context = {
        "year": year_obj,
        "watermark": _watermark(year_obj),
        "revisions": releases.scheduled_revisions(year_obj),
    }
    return render(request, "reports/pre_release_index.html", context)


@never_cache
@login_required
@require_safe
def pre_release_national(request: AuthenticatedHttpRequest, year: str) -> HttpResponse:
    """The national summary as it will be published at the release."""
    recipient = _recipient(request, year)
    year_obj = recipient.year
    releases.record_view(recipient, f"{year_obj} national summary")
    summary = statistics.national_summary(year_obj, at=year_obj.release_at)
    template = year_obj.template
    context = {
        "year": year_obj,
        "summary": summary,
        "area_count": summary.area_total,
        "tables": template.layout(summary.values, year_obj.snapshot_date, summary.notes()),
        "rate_table": template.rate_rule.rate.table if template.rate_rule else None,
        "watermark": _watermark(year_obj),
        "hexmap": hexmap.national_map(summary, "manage:pre-release-report"),
    }
    return render(request, "reports/national_summary.html", context)


@never_cache
@login_required
@require_safe
def pre_release_report(request: AuthenticatedHttpRequest, year: str, area: str) -> HttpResponse:
    """One area's report as it will be published at the release."""
    recipient = _recipient(request, year)
    year_obj = recipient.year
    revisions = [r for r in releases.scheduled_revisions(year_obj) if r.report.area.slug == area]
    if not revisions:
        raise Http404("No report scheduled for that area.")
    revision = revisions[0]
    releases.record_view(recipient, f"{revision.report.area} report {year_obj}")
    return render_revision(
        request,
        revision,
        [revision],
        watermark=_watermark(year_obj),
    )
