"""The report data model: areas, reporting years, annual reports, their figures and signatories.

The shape of the statistics lives in `returns.py`; a `Figure` is one cell of it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from . import change_checks
from .returns import (
    CellRef,
    CellStatus,
    CellValue,
    ReturnTemplate,
    get_template,
    start_year,
    template_choices,
    template_for_year,
)

#: Official statistics are released at 09:30.
RELEASE_TIME = datetime.time(9, 30)


def long_date(day: datetime.date) -> str:
    """A date as people write it: 7 July 2026."""
    return f"{day.day} {day:%B %Y}"


def release_time_on(day: datetime.date) -> datetime.datetime:
    """09:30 on `day`, local (London) time."""
    return timezone.make_aware(datetime.datetime.combine(day, RELEASE_TIME))


class Nation(models.TextChoices):
    ENGLAND = "england", "England"
    WALES = "wales", "Wales"


class Area(models.Model):
    """One of the 42 MAPPA areas of England and Wales."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    nation = models.CharField(max_length=10, choices=Nation.choices)
    # Text fields, so that the lines break where the printed report breaks them.
    strapline = models.TextField(
        max_length=200,
        blank=True,
        help_text="Printed at the end of the report, one line as printed on each line, e.g. "
        "“Creating a safer” and “Cambridgeshire”.",
    )
    strapline_in_italics = models.BooleanField(
        default=False, help_text="Whether the printed report sets the strapline in italics."
    )
    sign_off = models.TextField(
        max_length=100,
        blank=True,
        help_text="Printed in bold at the very end of the report, one line as printed on each "
        "line, e.g. “Kent” and “Police”.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReportingYearQuerySet(models.QuerySet):
    def by_label(self, label: str) -> ReportingYear:
        """The year labelled like `2010-11`; DoesNotExist for anything else."""
        start = ReportingYear.start_year_from_label(label)
        if start is None:
            raise ReportingYear.DoesNotExist(f"{label!r} is not a reporting year label.")
        return self.get(start_year=start)


class ReportingYear(models.Model):
    """A reporting year, 1 April to 31 March, labelled like `2010-11`."""

    start_year = models.PositiveSmallIntegerField(
        unique=True,
        validators=[MinValueValidator(2001), MaxValueValidator(2098)],
        help_text="The calendar year in which the reporting year starts (1 April).",
    )
    return_template = models.CharField(
        max_length=20,
        choices=template_choices,
        blank=True,
        help_text=(
            "Which tables this year's reports hold. Left blank, the template in force for the "
            "year is chosen (the latest whose first year is not after it)."
        ),
    )
    is_open = models.BooleanField(
        "open for submissions",
        default=False,
        help_text="Coordinators can start and edit this year's reports only while it is open.",
    )
    deadline = models.DateField(
        null=True,
        blank=True,
        help_text="The day by which areas should submit their report (nothing happens on it).",
    )
    starts_close_on = models.DateField(
        "new reports close on",
        null=True,
        blank=True,
        help_text=(
            "The last day (London time) on which an area can start its report, unless it has an "
            "extension. Blank: no date."
        ),
    )
    edits_close_on = models.DateField(
        "edits close on",
        null=True,
        blank=True,
        help_text=(
            "The last day (London time) on which draft reports can be changed and submitted, "
            "unless the area has an extension. Blank: no date."
        ),
    )
    release_at = models.DateTimeField(
        "release date and time",
        null=True,
        blank=True,
        help_text=(
            "When this year's approved reports go public, together (official statistics are "
            "released at 09:30). Announced on the release calendar beforehand."
        ),
    )

    objects = ReportingYearQuerySet.as_manager()

    class Meta:
        ordering = ["-start_year"]
        constraints = [
            # A comparison with a blank date is NULL, which a check constraint lets through.
            models.CheckConstraint(
                condition=Q(starts_close_on__lte=F("edits_close_on")),
                name="starts_close_before_edits_close",
                violation_error_message="New reports must close on or before the day edits close.",
            ),
            models.CheckConstraint(
                condition=Q(deadline__lte=F("edits_close_on")),
                name="deadline_before_edits_close",
                violation_error_message="The deadline must be on or before the day edits close.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.return_template:
            self.return_template = template_for_year(self.start_year).key
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self._clean_collection_dates()
        # Figures are cells of the year's template: changing it would orphan them.
        if self.pk and self.reports.exists():
            stored = ReportingYear.objects.filter(pk=self.pk).values_list(
                "return_template", flat=True
            )
            chosen = self.return_template or template_for_year(self.start_year).key
            if chosen not in stored:
                raise ValidationError(
                    {
                        "return_template": f"{self.label} already has reports, whose figures are "
                        f"cells of the {stored[0]} return: its template cannot change now."
                    }
                )

    def _clean_collection_dates(self) -> None:
        errors: dict[str, str] = {}
        earliest, latest = self.collection_date_bounds
        names = {
            "deadline": "The deadline",
            "starts_close_on": "The day new reports close",
            "edits_close_on": "The day edits close",
        }
        for name, what in names.items():
            day = getattr(self, name)
            if day is not None and not earliest <= day <= latest:
                errors[name] = (
                    f"{what} must be between {long_date(earliest)} and {long_date(latest)}: "
                    f"{self.label} reports are collected after the year starts and within two "
                    "years of its end."
                )
        edits = self.edits_close_on
        if edits is not None and "edits_close_on" not in errors:
            if self.starts_close_on is not None and self.starts_close_on > edits:
                errors.setdefault(
                    "starts_close_on",
                    "New reports must close on or before the day edits close "
                    f"({long_date(edits)}).",
                )
            if self.deadline is not None and self.deadline > edits:
                errors.setdefault(
                    "deadline",
                    f"The deadline must be on or before the day edits close ({long_date(edits)}).",
                )
        if errors:
            raise ValidationError(errors)

    @property
    def collection_date_bounds(self) -> tuple[datetime.date, datetime.date]:
        """The earliest and latest dates a deadline or closing date of this year may take."""
        return self.period_start, datetime.date(self.start_year + 3, 3, 31)

    @property
    def label(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @staticmethod
    def start_year_from_label(label: str) -> int | None:
        """2010 for `2010-11`; None if the label is malformed or its halves disagree."""
        return start_year(label)

    @property
    def period_start(self) -> datetime.date:
        return datetime.date(self.start_year, 4, 1)

    @property
    def period_end(self) -> datetime.date:
        return datetime.date(self.start_year + 1, 3, 31)

    @property
    def snapshot_date(self) -> datetime.date:
        """The date of the 'on 31 March' counts: the last day of the period."""
        return self.period_end

    @property
    def template(self) -> ReturnTemplate:
        return get_template(self.return_template)


class AreaCoordinator(models.Model):
    """Binds a user to an area they coordinate. A user may coordinate several areas."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordinated_areas"
    )
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="coordinators")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "area"], name="one_role_per_user_and_area")
        ]

    def __str__(self) -> str:
        return f"{self.user} coordinates {self.area}"


class ExtensionQuerySet(models.QuerySet):
    def live(self) -> ExtensionQuerySet:
        """Extensions not withdrawn (whether or not their date has passed)."""
        return self.filter(withdrawn_at__isnull=True)


class Extension(models.Model):
    """More time for one area to start and change its report for a year: until a date.

    It ends by itself: `windows.py` compares `until` with today's date (London) at each check,
    so no job runs when it expires. Rows are never deleted: a withdrawn or replaced extension
    stays, with who withdrew it and when.
    """

    year = models.ForeignKey(ReportingYear, on_delete=models.CASCADE, related_name="extensions")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="extensions")
    until = models.DateField(help_text="The last day (London time) the extension covers.")
    reason = models.TextField(help_text="Why the area was given more time.")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ExtensionQuerySet.as_manager()

    class Meta:
        ordering = ["year", "area", "-granted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "area"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_live_extension_per_area_and_year",
            )
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.year}: extension until {long_date(self.until)}"


class AccountEvent(models.Model):
    """One change to an account: who made it, to whose account, when, and what it was.

    Written by `accounts.py` in the same transaction as the change. Accounts are deactivated,
    never deleted, so the record outlives nothing it describes.
    """

    class Action(models.TextChoices):
        INVITED = "invited", "Invited"
        INVITED_AGAIN = "invited_again", "Sent a new invitation"
        PASSWORD_SET = "password_set", "Set a password from the invitation"
        AREAS_CHANGED = "areas_changed", "Changed area access"
        DEACTIVATED = "deactivated", "Deactivated the account"
        REACTIVATED = "reactivated", "Reactivated the account"

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account_events"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20, choices=Action.choices)
    detail = models.TextField(blank=True, help_text="What changed, e.g. the areas added.")

    class Meta:
        ordering = ["-at", "-pk"]
        permissions = [
            ("manage_accounts", "Can invite coordinators, change their areas and deactivate them")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.by}: {self.get_action_display()} ({self.account})"


class AnnualReportQuerySet(models.QuerySet):
    def published(self) -> AnnualReportQuerySet:
        """Reports the public may see: with a published revision whose release time has come."""
        return self.filter(pk__in=PublishedRevision.objects.public().values("report_id"))

    def for_coordinator(self, user: models.Model) -> AnnualReportQuerySet:
        """Reports of the areas `user` coordinates."""
        return self.filter(area__coordinators__user=user)

    def with_release_times(self) -> AnnualReportQuerySet:
        """Annotated with their latest revision's public time, for `status_summary()`."""
        return self.annotate(latest_published_at=models.Max("revisions__published_at"))


class AnnualReport(models.Model):
    """One area's annual report for one reporting year."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        RETURNED = "returned", "Returned to coordinator"
        APPROVED = "approved", "Approved"
        PUBLISHED = "published", "Published"

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="reports")
    year = models.ForeignKey(ReportingYear, on_delete=models.PROTECT, related_name="reports")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)

    foreword_title = models.CharField(max_length=200, blank=True)
    foreword = models.TextField(
        blank=True, help_text="Plain text; a blank line starts a paragraph."
    )
    local_page_title = models.CharField(max_length=200, blank=True)
    local_narrative = models.TextField(
        blank=True, help_text="Plain text; a blank line starts a paragraph."
    )
    population_estimate = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Population (aged 10 and over) behind the rate per 100,000, where known.",
    )
    population_source = models.TextField(
        blank=True, help_text="How the rate per 100,000 was calculated, printed under it."
    )
    #: Before each change warning was explained on its own (`ChangeAcknowledgement`), one
    #: explanation covered them all: kept, and shown to reviewers, for the reports that have one.
    change_explanation = models.TextField(
        blank=True,
        help_text=(
            "The coordinator's one explanation of every figure that moved a lot, from before "
            "each warning was explained on its own. No longer written."
        ),
    )
    is_past_publication = models.BooleanField(
        default=False,
        help_text=(
            "Figures loaded by the national team from a report published before the portal, "
            "published at once; cells not given are [x] not available."
        ),
    )
    source_note = models.TextField(
        blank=True, help_text="Where a past publication's figures were taken from."
    )
    #: Sections (`sections.py` slugs) whose text was copied from the previous year's report
    #: and not yet opened and saved: they read "Check before submitting".
    copied_sections = models.JSONField(default=list, blank=True)

    #: Bumped by every save through the service; a save based on an older version is refused.
    version = models.PositiveIntegerField(default=1)
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AnnualReportQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["version", "updated_at", "copied_sections"])

    class Meta:
        ordering = ["-year__start_year", "area__name"]
        permissions = [("review_report", "Can review, return, approve and publish reports")]
        constraints = [
            models.UniqueConstraint(fields=["area", "year"], name="one_report_per_area_and_year"),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("reports:report", kwargs={"year": self.year.label, "area": self.area.slug})

    @property
    def template(self) -> ReturnTemplate:
        return self.year.template

    def cell_values(self) -> dict[CellRef, CellValue]:
        """Every recorded cell of this report, by address (one query)."""
        return {figure.ref: figure.cell_value for figure in self.figures.all()}

    def latest_public_revision(self) -> PublishedRevision | None:
        return self.revisions.public().order_by("-number").first()

    def release_pending_at(self, now: datetime.datetime | None = None) -> datetime.datetime | None:
        """When this approved (or published but not yet public) report goes public, if later
        than `now`: the year's release time, or a waiting revision's. None once it is public,
        and for a report not approved."""
        now = now or timezone.now()
        if self.status == self.Status.APPROVED:
            release = self.year.release_at
            return release if release is not None and release > now else None
        if self.status == self.Status.PUBLISHED:
            # A queryset annotated by `with_release_times()` saves a query per report.
            latest = getattr(self, "latest_published_at", None)
            if latest is None:
                latest = self.revisions.aggregate(at=models.Max("published_at"))["at"]
            return latest if latest is not None and latest > now else None
        return None

    def status_summary(self, now: datetime.datetime | None = None) -> StatusSummary:
        """The status as staff read it, saying what happens next.

        A report whose publication waits for the release time never reads "Published".
        """
        now = now or timezone.now()
        pending = self.release_pending_at(now)
        if pending is not None:
            when = timezone.localtime(pending)
            return StatusSummary(
                "scheduled",
                f"Approved, scheduled for release on {when.day} {when:%B %Y} at {when:%H:%M}",
            )
        if self.status == self.Status.APPROVED:
            if self.year.release_at is None:
                return StatusSummary("approved", "Approved, waiting for a release date")
            return StatusSummary("approved", "Approved, ready to publish")
        return StatusSummary(self.status, self.get_status_display())


@dataclass(frozen=True)
class StatusSummary:
    """A report's status for people: `key` is a status, or "scheduled" for one waiting for
    its release; `label` says it in words."""

    key: str
    label: str

    #: The GOV.UK tag colour of each key.
    TAGS: ClassVar[dict[str, str]] = {
        "not_started": "govuk-tag--grey",
        "draft": "govuk-tag--grey",
        "submitted": "govuk-tag--blue",
        "returned": "govuk-tag--orange",
        "approved": "govuk-tag--turquoise",
        "scheduled": "govuk-tag--purple",
        "published": "govuk-tag--green",
    }

    @property
    def tag_class(self) -> str:
        return self.TAGS.get(self.key, "govuk-tag--grey")


def _cell_constraints(prefix: str, owner: str) -> list[models.BaseConstraint]:
    return [
        models.UniqueConstraint(
            fields=[owner, "table", "row", "column"], name=f"{prefix}_one_per_cell"
        ),
        # A number exactly when the status says there is one: never a blank meaning 0.
        models.CheckConstraint(
            condition=(Q(status="value") & Q(value__isnull=False))
            | (~Q(status="value") & Q(value__isnull=True)),
            name=f"{prefix}_value_matches_status",
        ),
        models.CheckConstraint(
            condition=Q(status__in=[s.value for s in CellStatus]),
            name=f"{prefix}_status_is_known",
        ),
        models.CheckConstraint(
            condition=Q(value__isnull=True) | Q(value__gte=0), name=f"{prefix}_value_not_negative"
        ),
    ]


class CellFields(models.Model):
    """One cell of the statistics: its address in the return, its status and its value."""

    table = models.CharField(max_length=50)
    row = models.CharField(max_length=50)
    column = models.CharField(max_length=50)
    status = models.CharField(max_length=5, choices=CellStatus.choices)
    #: Exact: a rate of 125.2 is 125.2, never a float. The template declares the places shown.
    value = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.ref} = {self.cell_value.shorthand}"

    @property
    def ref(self) -> CellRef:
        return CellRef(self.table, self.row, self.column)

    @property
    def cell_value(self) -> CellValue:
        return CellValue(CellStatus(self.status), self.value)

    def cell_fields(self) -> dict[str, object]:
        """The cell's own fields, to copy it (into a published revision, say)."""
        return {name: getattr(self, name) for name in ("table", "row", "column", "status", "value")}


class Figure(CellFields):
    """One cell of a report's statistics tables, as being worked on."""

    report = models.ForeignKey(AnnualReport, on_delete=models.CASCADE, related_name="figures")

    history = HistoricalRecords()

    class Meta:
        constraints = _cell_constraints("figure", "report")
        permissions = [("import_figures", "Can import figures in bulk")]

    def clean(self) -> None:
        template = self.report.template
        if not template.has_cell(self.ref):
            raise ValidationError(f"{self.ref} is not a cell of the {template.key} return.")
        applicable = self.ref not in template.not_applicable_cells()
        if applicable == (self.status == CellStatus.NOT_APPLICABLE):
            raise ValidationError(
                f"{template.label_of(self.ref)} is "
                + ("applicable: give a figure, [x] or [c]." if applicable else "not applicable.")
            )


class ChangeAcknowledgement(models.Model):
    """A coordinator's explanation of one change warning (`change_checks.py`) on one cell.

    One per report, cell and rule. It explains the figure as it was (`figure`): if the figure
    changes, the warning needs explaining again.
    """

    report = models.ForeignKey(
        AnnualReport, on_delete=models.CASCADE, related_name="change_acknowledgements"
    )
    table = models.CharField(max_length=50)
    row = models.CharField(max_length=50)
    column = models.CharField(max_length=50)
    rule = models.CharField(max_length=10, choices=change_checks.Rule.choices)
    figure = models.CharField(max_length=30, help_text="The figure explained, e.g. 1374.")
    explanation = models.TextField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["report", "table", "row", "column", "rule"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "table", "row", "column", "rule"],
                name="one_acknowledgement_per_cell_and_rule",
            )
        ]

    def __str__(self) -> str:
        return f"{self.report}: {self.ref} ({self.rule})"

    @property
    def ref(self) -> CellRef:
        return CellRef(self.table, self.row, self.column)

    @property
    def key(self) -> tuple[CellRef, str]:
        return (self.ref, self.rule)


class Signatory(models.Model):
    """A person who signs the report's foreword (or its local page)."""

    class Section(models.TextChoices):
        FOREWORD = "foreword", "Foreword"
        LOCAL_PAGE = "local_page", "Local page"

    report = models.ForeignKey(AnnualReport, on_delete=models.CASCADE, related_name="signatories")
    section = models.CharField(max_length=20, choices=Section.choices, default=Section.FOREWORD)
    name = models.CharField(max_length=200)
    job_title = models.CharField(max_length=200)
    organisation = models.CharField(max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["section", "order", "pk"]
        verbose_name_plural = "signatories"

    def __str__(self) -> str:
        return f"{self.name}, {self.job_title}"


class ReportEvent(models.Model):
    """One move of a report through the workflow: who, when, from what, to what and why."""

    report = models.ForeignKey(AnnualReport, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=20, choices=AnnualReport.Status.choices)
    to_status = models.CharField(max_length=20, choices=AnnualReport.Status.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)
    #: Cells a return comment points at, as "table.row.column".
    cells = models.JSONField(default=list, blank=True)
    #: On submission: every figure as submitted ("table.row.column" → shorthand), so that
    #: reviewers can see what changed since the previous submission.
    figures = models.JSONField(null=True, blank=True)
    #: On reopening for a correction: the sections (`sections.py` slugs) reopened; empty for
    #: every section. The others stay as published until the correction is published.
    sections = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.report}: {self.action} by {self.user} at {self.at:%Y-%m-%d %H:%M}"


class ReturnPointer(models.Model):
    """What a return points the coordinator at: one cell, or a whole section, with a comment.

    Open until the coordinator resubmits; then kept, resolved by that submission, with whether
    the coordinator changed what it points at.
    """

    event = models.ForeignKey(ReportEvent, on_delete=models.CASCADE, related_name="pointers")
    report = models.ForeignKey(AnnualReport, on_delete=models.CASCADE, related_name="pointers")
    #: The section (`sections.py` slug: a table's key, "introduction", …) it points into.
    section = models.CharField(max_length=50)
    #: The cell, as "table.row.column"; blank when it points at the whole section.
    cell = models.CharField(max_length=160, blank=True)
    comment = models.TextField()
    #: What it pointed at held when returned (`sections.py`), to tell whether it changed.
    was = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        ReportEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resolved_pointers",
    )
    #: Set on resolution: whether what it points at had changed since the return.
    changed = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["event", "pk"]

    def __str__(self) -> str:
        return f"{self.report}: {self.cell or self.section}: {self.comment}"

    @property
    def ref(self) -> CellRef | None:
        return CellRef.parse(self.cell) if self.cell else None


class PublishedRevisionQuerySet(models.QuerySet):
    def public(self, at: datetime.datetime | None = None) -> PublishedRevisionQuerySet:
        """Revisions whose time has come: the only thing public pages read.

        Never before the year's announced release time, whatever the revision says. `at`
        asks what will be public then (pre-release reads the release time's view).
        """
        now = at or timezone.now()
        return self.filter(published_at__lte=now).filter(
            Q(report__year__release_at__isnull=True) | Q(report__year__release_at__lte=now)
        )

    def as_at(self, at: datetime.datetime) -> PublishedRevisionQuerySet:
        """Each report's revision that was current at `at`: the latest published by then."""
        later = PublishedRevision.objects.filter(
            report=OuterRef("report"), number__gt=OuterRef("number"), published_at__lte=at
        )
        return self.filter(published_at__lte=at).exclude(Exists(later))


class PublishedRevision(models.Model):
    """What was published, frozen: one per publication of a report (1, then corrections).

    Public pages read only these, so a report being corrected stays public as last published,
    and nothing in progress can leak.
    """

    report = models.ForeignKey(AnnualReport, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveSmallIntegerField()
    published_at = models.DateTimeField(help_text="When this revision is (or was) made public.")
    reason = models.TextField(
        blank=True,
        help_text="A correction's public note: what changed and why (required from revision 2).",
    )
    #: Whether the approver chose to tell subscribers of this correction.
    tell_subscribers = models.BooleanField(default=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    foreword_title = models.CharField(max_length=200, blank=True)
    foreword = models.TextField(blank=True)
    local_page_title = models.CharField(max_length=200, blank=True)
    local_narrative = models.TextField(blank=True)
    population_estimate = models.PositiveIntegerField(null=True, blank=True)
    population_source = models.TextField(blank=True)
    #: For a past publication: where its figures were taken from.
    source_note = models.TextField(blank=True)
    #: [{"section", "name", "job_title", "organisation"}] in order.
    signatories = models.JSONField(default=list)
    #: Published while the year's release was marked as provisional figures: its figures are
    #: `[p]` until a later revision, published after the figures are marked final.
    provisional = models.BooleanField(default=False)

    objects = PublishedRevisionQuerySet.as_manager()

    class Meta:
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="one_revision_number"),
            # A correction is never published without saying what changed and why.
            models.CheckConstraint(
                condition=Q(number=1) | ~Q(reason=""), name="correction_has_a_note"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} revision {self.number}"

    def get_absolute_url(self) -> str:
        report = self.report
        return reverse(
            "reports:revision",
            kwargs={"year": report.year.label, "area": report.area.slug, "number": self.number},
        )

    @property
    def public_at(self) -> datetime.datetime:
        """When the public could first read this revision: its publication, or the year's
        release time if that came later (the date the report gives as "Published")."""
        release = self.report.year.release_at
        return max(self.published_at, release) if release is not None else self.published_at

    def cell_values(self) -> dict[CellRef, CellValue]:
        """Every cell of this revision, by address (one query, no model objects)."""
        figures = self.figures.values_list("table", "row", "column", "status", "value")
        return {
            CellRef(table, row, column): CellValue(CellStatus(status), value)
            for table, row, column, status, value in figures
        }


class PublishedFigure(CellFields):
    """One cell of a published revision."""

    revision = models.ForeignKey(
        PublishedRevision, on_delete=models.CASCADE, related_name="figures"
    )

    class Meta:
        constraints = _cell_constraints("published_figure", "revision")


class StandardText(models.Model):
    """A year's standard national text: "What is MAPPA?" and the explanatory commentary.

    Written by the national team in Markdown (`standard_text.py` renders it), starting from the
    previous year's. `{year}`, `{period_start}` and `{period_end}` are filled in with the year's
    own dates, so copied text never carries last year's.
    """

    year = models.OneToOneField(
        ReportingYear, on_delete=models.CASCADE, related_name="standard_text"
    )
    what_is_mappa = models.TextField("What is MAPPA?")
    commentary = models.TextField("Explanatory commentary on statistical tables")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-year__start_year"]

    def __str__(self) -> str:
        return f"Standard text {self.year}"


class PublicState(models.Model):
    """What the public can see, as one row: its generation, bumped by every change to it.

    Public pages and downloads are cached under `token` (`caching.py`); `public_state.py` bumps
    it inside every transaction that changes what the public sees, and when `next_change_at`
    (the next scheduled release) passes. `changed_at` is the public responses' Last-Modified.
    """

    generation = models.PositiveBigIntegerField(default=1)
    #: Random per bump, so that a cache never mistakes one database's generation for another's.
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()
    #: The next moment a release or scheduled publication makes more public, if any.
    next_change_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="public_state_one_row")]

    def __str__(self) -> str:
        return f"Public state {self.generation} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


class Subscription(models.Model):
    """Someone who asked, by email, to hear of one year's release or of one area's reports.

    Double opt-in: nothing but the confirmation email is sent until `confirmed_at` is set. The
    address is used for these emails and nothing else; unsubscribing deletes the row.
    """

    email = models.EmailField()
    year = models.ForeignKey(
        ReportingYear,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subscriptions",
    )
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, null=True, blank=True, related_name="subscriptions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(year__isnull=True, area__isnull=False)
                | Q(year__isnull=False, area__isnull=True),
                name="subscription_to_a_year_or_an_area",
            ),
            models.UniqueConstraint(
                fields=["email", "year"],
                condition=Q(area__isnull=True),
                name="one_subscription_per_year",
            ),
            models.UniqueConstraint(
                fields=["email", "area"],
                condition=Q(year__isnull=True),
                name="one_subscription_per_area",
            ),
        ]

    def __str__(self) -> str:
        return f"Subscription {self.pk} to {self.subject}"

    @property
    def subject(self) -> str:
        """What the subscription is to, in words."""
        if self.year_id:
            return f"the release of the MAPPA annual reports for {self.year}"
        return f"the {self.area} MAPPA annual reports"


class Alert(models.Model):
    """One public event that subscribers may be told of and the Atom feed lists: a year's
    release confirmed, moved or cancelled, a year's reports released, one area's report
    published, a report corrected. Recorded once (`key`), only when it is public."""

    class Kind(models.TextChoices):
        RELEASE_CONFIRMED = "release_confirmed", "Release confirmed"
        RELEASE_MOVED = "release_moved", "Release moved"
        RELEASE_CANCELLED = "release_cancelled", "Release cancelled"
        RELEASED = "released", "Released"
        PUBLISHED = "published", "Published"
        CORRECTED = "corrected", "Corrected"

    #: What makes the event itself, so that recording it twice records it once.
    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    year = models.ForeignKey(ReportingYear, on_delete=models.CASCADE, related_name="alerts")
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    revision = models.ForeignKey(
        PublishedRevision,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alerts",
    )
    #: When it happened (for a publication: when it became public).
    at = models.DateTimeField()
    #: When it was recorded: subscribers confirmed after it are not told of it.
    recorded_at = models.DateTimeField(default=timezone.now)
    #: For a release confirmed or moved: the release time announced, and the one before.
    release_at = models.DateTimeField(null=True, blank=True)
    previous_release_at = models.DateTimeField(null=True, blank=True)
    #: Why: a correction's public note, a release moved's reason.
    reason = models.TextField(blank=True)
    #: Whether subscribers are emailed (a correction the approver chose not to tell, or an
    #: event found long after it happened, is listed in the feed only).
    email_subscribers = models.BooleanField(default=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return self.key


class Notification(models.Model):
    """One email sent to one subscriber about one alert: never two (the unique constraint)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="notifications"
    )
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "alert"], name="one_notification_per_alert"
            )
        ]

    def __str__(self) -> str:
        return f"{self.alert} to subscription {self.subscription_id}"


class Release(models.Model):
    """A year's entry on the release calendar: provisional (a month), confirmed, or cancelled.

    The confirmed time itself is `ReportingYear.release_at`, the one field the rest of the code
    reads; `releases.py` changes both together, recording each change as a `ReleaseEvent`.
    """

    class State(models.TextChoices):
        PROVISIONAL = "provisional", "Provisional"
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"

    year = models.OneToOneField(ReportingYear, on_delete=models.CASCADE, related_name="release")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PROVISIONAL)
    #: The first day of the month announced while the release is provisional.
    provisional_month = models.DateField(null=True, blank=True)
    cancelled_reason = models.TextField(blank=True)
    statistician = models.CharField(
        "responsible statistician", max_length=200, blank=True, help_text="Named on the release."
    )
    contact_email = models.EmailField("contact email address", blank=True)
    #: Figures published while this is set are provisional (`[p]`) until a later revision.
    provisional_figures = models.BooleanField(default=False)

    class Meta:
        ordering = ["-year__start_year"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="provisional") | Q(provisional_month__isnull=False),
                name="provisional_release_has_a_month",
            ),
            models.CheckConstraint(
                condition=~Q(state="cancelled") | ~Q(cancelled_reason=""),
                name="cancelled_release_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} release ({self.get_state_display().lower()})"


class ReleaseEvent(models.Model):
    """One change to a year's release on the calendar: who, when, what it became and why.

    Kept for ever, so the calendar can show a moved release's previous date and reason, and
    other modules (amendment notices, subscriptions) can read what changed.
    """

    class Action(models.TextChoices):
        PROVISIONAL = "provisional", "Announced provisionally"
        CONFIRMED = "confirmed", "Confirmed"
        MOVED = "moved", "Moved"
        CANCELLED = "cancelled", "Cancelled"

    year = models.ForeignKey(ReportingYear, on_delete=models.CASCADE, related_name="release_events")
    action = models.CharField(max_length=12, choices=Action.choices)
    #: The release time after the change (confirmed or moved), and before it (moved).
    release_at = models.DateTimeField(null=True, blank=True)
    previous_release_at = models.DateTimeField(null=True, blank=True)
    provisional_month = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.year}: {self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"


class PreReleaseRecipient(models.Model):
    """A person given pre-release access to a year's release, and why (published at release).

    Withdrawn, never deleted: the record of what they read outlives their access.
    """

    year = models.ForeignKey(
        ReportingYear, on_delete=models.CASCADE, related_name="pre_release_recipients"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pre_release_access"
    )
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200)
    organisation = models.CharField(max_length=200)
    justification = models.TextField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "user"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_pre_release_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.role}, {self.organisation} ({self.year})"


class PreReleaseView(models.Model):
    """One page read under pre-release access: who, what and when."""

    recipient = models.ForeignKey(
        PreReleaseRecipient, on_delete=models.PROTECT, related_name="views"
    )
    what = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.recipient.name} read {self.what} at {self.at:%Y-%m-%d %H:%M}"
