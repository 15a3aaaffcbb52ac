"""The national team's page for a year's collection: its dates, and areas' extensions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from .. import access, windows
from ..access import AuthenticatedHttpRequest
from ..models import Extension, ReportingYear, long_date
from ..window_forms import CollectionDatesForm, ExtensionForm


def _require_admin(request: HttpRequest) -> None:
    if not access.is_national_admin(request.user):
        raise Http404("Not found.")


@login_required
@require_http_methods(["GET", "POST"])
def collection(request: AuthenticatedHttpRequest, year: str) -> HttpResponse:
    """A year's deadline and closing dates (POST saves them), and its extensions."""
    _require_admin(request)
    year_obj = access.get_year(year)
    form = CollectionDatesForm(
        request.POST if request.method == "POST" else None, instance=year_obj
    )
    if request.method == "POST" and form.is_valid():
        if form.has_changed():
            form.save()
            messages.success(request, f"The {year_obj} collection dates are saved.")
        else:
            messages.info(request, "Nothing had changed, so nothing was saved.")
        return redirect("manage:collection", year=year_obj.label)
    if form.errors:
        year_obj.refresh_from_db()  # the page describes the dates in force, not those refused
    return _page(request, year_obj, dates_form=form)


@login_required
@require_POST
def grant_extension(request: AuthenticatedHttpRequest, year: str) -> HttpResponse:
    """Give an area more time; an extension it already has is replaced (and kept, withdrawn)."""
    _require_admin(request)
    year_obj = access.get_year(year)
    form = ExtensionForm(request.POST, year=year_obj, prefix="extension")
    if not form.is_valid():
        return _page(request, year_obj, extension_form=form)
    area = form.cleaned_data["area"]
    until = form.cleaned_data["until"]
    windows.grant_extension(year_obj, area, until, form.cleaned_data["reason"], request.user)
    messages.success(request, f"{area} has an extension until {long_date(until)}.")
    return redirect("manage:collection", year=year_obj.label)


@login_required
@require_POST
def withdraw_extension(request: AuthenticatedHttpRequest, year: str, id: int) -> HttpResponse:
    """Withdraw an extension at once; it stays listed, with who withdrew it and when."""
    _require_admin(request)
    year_obj = access.get_year(year)
    extension = Extension.objects.filter(year=year_obj, pk=id).select_related("area").first()
    if extension is None:
        raise Http404("No such extension.")
    if windows.withdraw_extension(extension, request.user):
        messages.success(request, f"{extension.area}’s extension is withdrawn.")
    else:
        messages.info(request, f"{extension.area}’s extension had already been withdrawn.")
    return redirect("manage:collection", year=year_obj.label)


def _page(
    request: HttpRequest,
    year: ReportingYear,
    dates_form: CollectionDatesForm | None = None,
    extension_form: ExtensionForm | None = None,
) -> HttpResponse:
    today = windows.today()
    extensions = (
        Extension.objects.filter(year=year)
        .select_related("area", "granted_by", "withdrawn_by")
        .order_by("area__name", "-granted_at", "-pk")
    )
    context = {
        "year": year,
        "window": windows.describe(year),
        "dates_form": dates_form or CollectionDatesForm(instance=year),
        "extension_form": extension_form or ExtensionForm(year=year, prefix="extension"),
        "extensions": [
            {"extension": e, "state": windows.extension_state(e, today)} for e in extensions
        ],
    }
    return render(request, "manage/collection.html", context)
