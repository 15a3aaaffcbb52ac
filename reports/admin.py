"""The back office for the national team (Django admin).

Workflow moves made here go through `workflow.perform`, with the same rules as the review page.
Figures, revisions, the timeline and the history are read-only here: figures change only
through the checked return or the checked import. Nobody, superusers included, deletes a report,
a revision or a figure here. Accounts are invited, given areas and deactivated on the accounts
page (/manage/accounts/), which records every change: here they are read, and superusers set
who is in the national team.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import model_format_dict
from django.contrib.admin.widgets import AdminDateWidget, AdminTimeWidget
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from import_export.formats.base_formats import CSV, XLSX
from simple_history.admin import SimpleHistoryAdmin

from . import access, drafts, releases, workflow
from .admin_imports import CheckedImportMixin
from .models import (
    RELEASE_TIME,
    AnnualReport,
    Area,
    AreaCoordinator,
    Extension,
    Figure,
    PublishedRevision,
    ReportEvent,
    ReportingYear,
    Signatory,
    StandardText,
)
from .resources import FigureResource, PastPublicationResource

if TYPE_CHECKING:  # what the mixin below is mixed into, for the type checker only
    _ModelAdmin = admin.ModelAdmin
else:
    _ModelAdmin = object


class RefuseUnpermittedActions(_ModelAdmin):
    """Each action is offered only to those with the permission it names; one posted anyway is
    refused with a 403 that says so (Django would say only "No action selected")."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        name = request.POST.get("action") if request.method == "POST" else None
        declared = self._declared_actions()
        if name in declared and name not in self.get_actions(request):
            description = getattr(declared[name], "short_description", name.replace("_", " "))
            description = str(description) % model_format_dict(self.opts)
            raise PermissionDenied(f"You do not have permission to do this: “{description}”.")
        return super().changelist_view(request, extra_context)

    def _declared_actions(self) -> dict[str, Any]:
        """Every action of this page (the site's too), whoever may run it."""
        declared: dict[str, Any] = dict(self.admin_site.actions)
        for action in self.actions or []:
            func = getattr(self, action) if isinstance(action, str) else action
            declared[func.__name__] = func
        return declared


class ReadOnlyAdminMixin:
    """Shown in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Area)
class AreaAdmin(RefuseUnpermittedActions, admin.ModelAdmin):
    list_display = ["name", "nation", "strapline"]
    list_filter = ["nation"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class ReportingYearForm(forms.ModelForm):
    """A year, with its release given as a date and a time that defaults to 09:30."""

    release_date = forms.DateField(
        required=False,
        widget=AdminDateWidget,
        help_text="When this year's approved reports go public, together.",
    )
    release_time = forms.TimeField(
        required=False,
        initial=RELEASE_TIME,
        widget=AdminTimeWidget,
        help_text="Official statistics are released at 09:30.",
    )

    class Meta:
        model = ReportingYear
        fields = [
            "start_year",
            "return_template",
            "is_open",
            "deadline",
            "starts_close_on",
            "edits_close_on",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.release_at:
            local = timezone.localtime(self.instance.release_at)
            self.initial["release_date"], self.initial["release_time"] = local.date(), local.time()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean() returns (its stubs allow None)
        day, time = cleaned.get("release_date"), cleaned.get("release_time") or RELEASE_TIME
        self.release_at = timezone.make_aware(datetime.datetime.combine(day, time)) if day else None
        waiting = self.instance.pk and PublishedRevision.objects.filter(
            report__year=self.instance, published_at__gt=timezone.now()
        )
        if self.release_at is None and waiting and waiting.exists():
            self.add_error(
                "release_date",
                "Some of this year's reports are published and waiting for the release: "
                "give a new release date rather than none.",
            )
        return cleaned

    def save(self, commit: bool = True) -> ReportingYear:
        year = super().save(commit=commit)
        if commit:
            workflow.set_release_time(year, self.release_at)
        else:
            year.release_at = self.release_at
        return year


@admin.register(ReportingYear)
class ReportingYearAdmin(RefuseUnpermittedActions, admin.ModelAdmin):
    form = ReportingYearForm

    def save_model(self, request: HttpRequest, obj: ReportingYear, form: Any, change: bool) -> None:
        if change:  # the release time changes through the calendar, which records it
            obj.release_at = ReportingYear.objects.get(pk=obj.pk).release_at
        else:
            obj.release_at = None
        obj.save()
        # Moving the release moves the reports already published and waiting for it.
        releases.set_in_back_office(obj, form.release_at, request.user)

    list_display = [
        "label",
        "return_template",
        "is_open",
        "deadline",
        "starts_close_on",
        "edits_close_on",
        "release_at",
    ]
    list_filter = ["is_open"]
    actions = ["open_years", "close_years"]

    @admin.action(description="Open the selected years for reports", permissions=["change"])
    def open_years(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(is_open=True)
        self.message_user(request, f"{count} year{'s' if count != 1 else ''} opened.")

    @admin.action(description="Close the selected years for reports", permissions=["change"])
    def close_years(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(is_open=False)
        self.message_user(request, f"{count} year{'s' if count != 1 else ''} closed.")


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every extension given, as recorded: they are given and withdrawn on the collection page
    (`manage:collection`), which keeps who did it, when and why."""

    list_display = ["area", "year", "until", "granted_by", "granted_at", "withdrawn_at"]
    list_filter = ["year", "area"]
    list_select_related = ["area", "year", "granted_by"]
    fields = readonly_fields = (
        "year",
        "area",
        "until",
        "reason",
        "granted_by",
        "granted_at",
        "withdrawn_by",
        "withdrawn_at",
    )


@admin.register(AreaCoordinator)
class AreaCoordinatorAdmin(RefuseUnpermittedActions, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Which users coordinate which areas: read here, changed (and recorded) on the accounts
    page."""

    change_list_template = "admin/accounts_change_list.html"
    list_display = ["user", "area"]
    list_filter = ["area"]
    search_fields = ["user__username", "user__email", "area__name"]
    list_select_related = ["user", "area"]


class AreaCoordinatorInline(ReadOnlyInline):
    model = AreaCoordinator
    fields = readonly_fields = ("area",)
    verbose_name = "area this user coordinates"
    verbose_name_plural = "areas this user coordinates (changed on the accounts page)"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(RefuseUnpermittedActions, UserAdmin):
    """Users with the areas they coordinate, for those who manage accounts to read.

    "Add user" opens the invitation page; areas and deactivation change only there, where they
    are recorded. Superusers change the rest here (names, the national team's groups).
    """

    change_list_template = "admin/accounts_change_list.html"
    inlines = [AreaCoordinatorInline]
    list_display = ["username", "email", "first_name", "last_name", "is_active", "last_login"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can_manage_accounts(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return access.can_manage_accounts(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.can_manage_accounts(request.user)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Accounts are deactivated, never deleted: their record of changes stays.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "is_active", "last_login"]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """Accounts start with an invitation, sent and recorded by the accounts page."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        return redirect("manage:invite")


class SignatoryInline(ReadOnlyInline):
    model = Signatory
    fields = readonly_fields = ("section", "name", "job_title", "organisation", "order")


class FigureInline(ReadOnlyInline):
    """Figures are shown, not edited here: they change through the checked return."""

    model = Figure
    fields = readonly_fields = ("table", "row", "column", "status", "value")


class EventInline(ReadOnlyInline):
    model = ReportEvent
    fields = readonly_fields = ("at", "action", "from_status", "to_status", "user", "comment")
    verbose_name_plural = "timeline"


class RevisionInline(ReadOnlyInline):
    model = PublishedRevision
    fields = readonly_fields = ("number", "published_at", "reason", "published_by")


@admin.register(AnnualReport)
class AnnualReportAdmin(RefuseUnpermittedActions, SimpleHistoryAdmin):
    list_display = ["area", "year", "status", "is_past_publication", "updated_at", "review_link"]
    list_filter = ["year", "status", "is_past_publication", "area__nation", "area"]
    search_fields = ["area__name"]
    list_select_related = ["area", "year"]
    readonly_fields = ["status", "version", "last_edited_by", "created_at", "updated_at"]
    inlines = [SignatoryInline, EventInline, RevisionInline, FigureInline]
    actions = ["approve", "publish", "export_figures_csv", "export_figures_xlsx"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: AnnualReport | None = None
    ) -> list[str]:
        # Content changes only through the coordinators' checked forms (with their lost-update
        # protection) and the workflow; here it is read, and moved on with the actions.
        return [field.name for field in AnnualReport._meta.fields]

    def has_change_permission(self, request: HttpRequest, obj: AnnualReport | None = None) -> bool:
        # Published reports are immutable; corrections reopen them through the workflow.
        if obj is not None and obj.status == AnnualReport.Status.PUBLISHED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: AnnualReport | None = None) -> bool:
        # Not even for a superuser: a report (its figures, its timeline) ends only through the
        # workflow. This also takes away the bulk "Delete selected" action.
        return False

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        """Old versions can be read, never restored: that would bypass the workflow."""
        if request.method != "GET":
            raise PermissionDenied("Old versions of a report cannot be restored.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def has_review_permission(self, request: HttpRequest) -> bool:
        """Whether the person may make workflow moves: the national team's review permission."""
        return access.is_national_admin(request.user)

    def get_list_display(self, request: HttpRequest) -> list[str | Callable[[Any], str | bool]]:
        # The link to the review page only for those who may review: it is a 404 for the rest.
        shown = list(super().get_list_display(request))
        return (
            shown
            if self.has_review_permission(request)
            else [name for name in shown if name != "review_link"]
        )

    @admin.display(description="Review")
    def review_link(self, report: AnnualReport) -> str:
        url = reverse("manage:review", kwargs={"year": report.year.label, "area": report.area.slug})
        return format_html('<a href="{}">Review, return or reopen</a>', url)

    @admin.action(description="Approve the selected submitted reports", permissions=["review"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._confirm_then_perform(request, queryset, "approve")

    @admin.action(description="Publish the selected approved reports", permissions=["review"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._confirm_then_perform(request, queryset, "publish")

    @admin.action(description="Export the selected reports' figures (CSV)")
    def export_figures_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return export_figures(queryset, CSV())

    @admin.action(description="Export the selected reports' figures (XLSX)")
    def export_figures_xlsx(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return export_figures(queryset, XLSX())

    def _confirm_then_perform(
        self, request: HttpRequest, queryset: QuerySet, action: str
    ) -> HttpResponse | None:
        """Approving and publishing are asked about first, as on the review page: the page
        lists the reports and what will happen to each; only "Yes" makes the moves."""
        if not request.user.is_authenticated:  # the admin site lets only signed-in staff in
            raise PermissionDenied
        if request.POST.get("confirm") == "yes":
            self._perform(request, queryset, action)
            return None
        reports = list(queryset.select_related("area", "year").order_by("year", "area__name"))
        rows = [
            {"report": report, "refusal": workflow.refusal(report, action, request.user)}
            for report in reports
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Are you sure you want to {action} these reports?",
            "opts": self.model._meta,
            "action": action,
            "action_label": workflow.TRANSITIONS[action].label.lower(),
            "rows": rows,
            "movable": sum(row["refusal"] is None for row in rows),
            "selected": [report.pk for report in reports],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/reports/annualreport/confirm_action.html", context)

    def _perform(self, request: HttpRequest, queryset: QuerySet, action: str) -> None:
        if not request.user.is_authenticated:  # the admin site lets only signed-in staff in
            raise PermissionDenied
        done, refused = 0, []
        for report in queryset.select_related("area", "year"):
            try:
                workflow.perform(report, action, request.user, report.version)
                done += 1
            except (workflow.TransitionRefused, drafts.EditConflict) as error:
                refused.append(f"{report}: {error}")
        if done:
            self.message_user(request, f"{done} report{'s' if done != 1 else ''}: done.")
        for message in refused:
            self.message_user(request, message, level=messages.WARNING)


@admin.register(PublishedRevision)
class PublishedRevisionAdmin(RefuseUnpermittedActions, ReadOnlyAdminMixin, admin.ModelAdmin):
    """What was published: read-only."""

    list_display = ["report", "number", "published_at", "reason"]
    list_filter = ["report__year"]
    list_select_related = ["report__area", "report__year"]


def export_figures(reports: QuerySet, file_format: CSV | XLSX) -> HttpResponse:
    """The figures of `reports` in the tidy format, as a download."""
    figures = FigureResource().get_queryset().filter(report__in=reports)
    dataset = FigureResource().export(queryset=figures)
    response = HttpResponse(
        file_format.export_data(dataset), content_type=file_format.get_content_type()
    )
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    name = f"mappa-figures-{stamp}.{file_format.get_extension()}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@admin.register(Figure)
# types-django-import-export and django-stubs disagree on `model` and `change_list_template`.
class FigureAdmin(  # type: ignore[misc]
    RefuseUnpermittedActions, ReadOnlyAdminMixin, CheckedImportMixin, admin.ModelAdmin
):
    """Every figure, read-only, with bulk import (checked, previewed, all or nothing) and export."""

    # The import page offers both: figures for drafts, or past publications (published at once).
    resource_classes = [FigureResource, PastPublicationResource]
    formats = [CSV, XLSX]
    list_display = ["report", "table", "row", "column", "status", "value"]
    list_filter = ["report__year", "table", "status", "report__area"]
    list_select_related = ["report__area", "report__year"]
    search_fields = ["report__area__name"]

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        # All or nothing at the confirmation step too, not only in the preview.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("reports.import_figures")

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("reports.view_figure")


@admin.register(StandardText)
class StandardTextAdmin(RefuseUnpermittedActions, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Each year's standard text, read-only here: it is written, with its checks, on its own
    page (/manage/standard-text/)."""

    list_display = ["year", "updated_at", "updated_by"]
