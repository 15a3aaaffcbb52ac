"""The back office for the national team."""

from django.contrib import admin

from .models import AnnualReport, Area, AreaCoordinator, Figure, ReportingYear, Signatory


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "nation", "strapline"]
    list_filter = ["nation"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ReportingYear)
class ReportingYearAdmin(admin.ModelAdmin):
    list_display = ["label", "return_template", "is_open", "deadline"]
    list_filter = ["is_open"]


@admin.register(AreaCoordinator)
class AreaCoordinatorAdmin(admin.ModelAdmin):
    """Which users coordinate which areas."""

    list_display = ["user", "area"]
    list_filter = ["area"]
    search_fields = ["user__username", "user__email", "area__name"]
    autocomplete_fields = ["area"]
    list_select_related = ["user", "area"]


class SignatoryInline(admin.TabularInline):
    model = Signatory
    extra = 0


class FigureInline(admin.TabularInline):
    """Figures are shown, not edited here: they change through the checked return."""

    model = Figure
    fields = ["table", "row", "column", "status", "value"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(AnnualReport)
class AnnualReportAdmin(admin.ModelAdmin):
    list_display = ["area", "year", "status", "updated_at", "published_at"]
    list_filter = ["year", "status", "area__nation"]
    search_fields = ["area__name"]
    list_select_related = ["area", "year"]
    readonly_fields = ["status", "created_at", "updated_at", "published_at"]
    inlines = [SignatoryInline, FigureInline]
