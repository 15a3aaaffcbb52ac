"""The national team's pages for each year's standard text ("What is MAPPA?", commentary)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from .. import access, standard_text
from ..forms import StandardTextForm
from ..models import AnnualReport, ReportingYear, StandardText


def _require_admin(request: HttpRequest) -> None:
    if not access.is_national_admin(request.user):
        raise Http404("Not found.")


@login_required
@require_safe
def year_list(request: HttpRequest) -> HttpResponse:
    """Every year and whose standard text it shows: its own, or an earlier year's."""
    _require_admin(request)
    own = {t.year_id: t for t in StandardText.objects.select_related("updated_by")}
    rows = []
    latest: StandardText | None = None
    for year in ReportingYear.objects.order_by("start_year"):
        latest = own.get(year.pk, latest)
        rows.append({"year": year, "own": own.get(year.pk), "from": latest})
    rows.reverse()
    return render(request, "manage/standard_text_list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, year: str) -> HttpResponse:
    """Write a year's standard text, starting from the text it shows today."""
    _require_admin(request)
    year_obj = access.get_year(year)
    current = standard_text.text_for(year_obj)
    form = StandardTextForm(
        request.POST if request.method == "POST" else None,
        initial={"what_is_mappa": current.what_is_mappa, "commentary": current.commentary},
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            text, created = StandardText.objects.select_for_update().get_or_create(
                year=year_obj,
                defaults={**form.cleaned_data, "updated_by": request.user},
            )
            changed = created or any(
                getattr(text, name) != value for name, value in form.cleaned_data.items()
            )
            if changed and not created:
                for name, value in form.cleaned_data.items():
                    setattr(text, name, value)
                text.updated_by = request.user
                text.save()
        if changed:
            messages.success(request, f"The {year_obj} standard text is saved.")
        else:
            messages.info(request, "Nothing had changed, so nothing was saved.")
        return redirect("manage:standard-text", year=year_obj.label)
    own = StandardText.objects.filter(year=year_obj).first()
    history = own.history.select_related("history_user")[:10] if own else []
    published = AnnualReport.objects.published().filter(year=year_obj).select_related("area")
    context = {
        "year": year_obj,
        "form": form,
        "current": current,
        "is_own": current.is_own(year_obj),
        "history": history,
        "example": published.first(),
        "preview_what_is_mappa": standard_text.render(current.what_is_mappa, year_obj),
        "preview_commentary": standard_text.render(current.commentary, year_obj),
    }
    return render(request, "manage/standard_text_form.html", context)
