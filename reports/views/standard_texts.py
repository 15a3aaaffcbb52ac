"""The national team's pages for each year's standard text ("What is MAPPA?", commentary)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_safe

from .. import access, standard_text
from ..access import AuthenticatedHttpRequest
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
def edit(request: AuthenticatedHttpRequest, year: str) -> HttpResponse:
    """Write a year's standard text, starting from the text it shows today."""
    _require_admin(request)
    year_obj = access.get_year(year)
    current = standard_text.text_for(year_obj)
    own = StandardText.objects.filter(year=year_obj).first()
    form = StandardTextForm(
        request.POST if request.method == "POST" else None,
        initial={
            "what_is_mappa": current.what_is_mappa,
            "commentary": current.commentary,
            "based_on": _stamp(own),
        },
    )
    if request.method == "POST" and form.is_valid():
        words = {k: form.cleaned_data[k] for k in ("what_is_mappa", "commentary")}
        with transaction.atomic():
            text = StandardText.objects.select_for_update().filter(year=year_obj).first()
            if _stamp(text) != form.cleaned_data["based_on"]:
                form.add_error(None, _conflict(text))
                form.data = cast(QueryDict, form.data).copy()  # bound to request.POST
                form.data["based_on"] = _stamp(text)  # told now: saving again is deliberate
            elif text is None:
                StandardText.objects.create(year=year_obj, updated_by=request.user, **words)
                changed = True
            else:
                changed = any(getattr(text, name) != value for name, value in words.items())
                if changed:
                    for name, value in words.items():
                        setattr(text, name, value)
                    text.updated_by = request.user
                    text.save()
        if not form.errors:
            if changed:
                messages.success(request, f"The {year_obj} standard text is saved.")
            else:
                messages.info(request, "Nothing had changed, so nothing was saved.")
            return redirect("manage:standard-text", year=year_obj.label)
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


def _stamp(text: StandardText | None) -> str:
    return text.updated_at.isoformat() if text is not None else ""


def _conflict(text: StandardText | None) -> str:
    if text is None:
        return "This text was removed after you opened the page. Check it and save again."
    who = (
        text.updated_by.get_full_name() or text.updated_by.get_username()
        if text.updated_by
        else "someone else"
    )
    when = timezone.localtime(text.updated_at)
    return (
        f"Your changes have not been saved because {who} changed this text on "
        f"{date_format(when, 'j F Y')} at {date_format(when, 'g:i a')}, after you opened this "
        "page. What you wrote is below: compare it with theirs (in the preview) and save again."
    )
