"""Forms for coordinators. Input validation lives here; the rules come from `validation.py`."""

from __future__ import annotations

from typing import Any, cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Size
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.utils import timezone

from .models import AnnualReport, Area, ReportingYear, Signatory
from .returns import CellRef, CellValue, ReturnTemplate, Table
from .sections import sections_for
from .validation import MAX_POPULATION, check_figures, number_kind, parse_cell
from .workflow import Pointer

MAX_TEXT = 20_000
NUMERIC = {"inputmode": "numeric", "spellcheck": "false", "autocomplete": "off"}


def normalise_text(text: str) -> str:
    """Text as stored: browsers send line breaks as \r\n; store \n, so that saving text
    unchanged records no change."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def cell_field_name(ref: CellRef) -> str:
    return f"cell__{ref.row}__{ref.column}"


def cell_input_text(value: CellValue | None, decimals: int = 0) -> str:
    """How a stored cell is shown in an input: the number at its precision, a code, or blank."""
    if value is None:
        return ""
    return value.text(decimals)


class GovukForm(forms.Form):
    """A form rendered with the GOV.UK template pack, fields only (templates own <form>)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.label_size = Size.SMALL


class VersionedForm(GovukForm):
    """Carries the report version the person started from, to refuse lost updates."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            key: "This page is out of date. Go back to the report, open this page again and "
            "re-enter your changes."
            for key in ("required", "invalid", "min_value")
        },
    )


class CellField(forms.CharField):
    """A number at the cell's declared precision, `[x]` or `[c]`; blank means not entered yet."""

    def __init__(self, label: str, decimals: int = 0) -> None:
        # Decimal figures need the full keyboard's point on phones.
        mode = {"inputmode": "decimal"} if decimals else {}
        super().__init__(
            label=label,
            required=False,
            max_length=20,
            widget=forms.TextInput(
                attrs={**NUMERIC, **mode, "class": "govuk-input govuk-input--width-5"}
            ),
        )
        self.decimals = decimals

    def clean(self, value: Any) -> CellValue | None:
        text = super().clean(value)
        try:
            return parse_cell(text, decimals=self.decimals, allow_not_applicable=False)
        except ValueError as error:
            raise forms.ValidationError(
                f"{self.label}: {error}. Enter {number_kind(self.decimals)}, [x] if not "
                "available or [c] if withheld."
            ) from None


class TableForm(VersionedForm):
    """One statistics table as a grid of cells, checked with the rules of the whole return.

    `stored` are the report's current figures: rules between tables compare this table's new
    figures with the others as saved.
    """

    def __init__(
        self,
        *args: Any,
        template: ReturnTemplate,
        table: Table,
        stored: dict[CellRef, CellValue],
        population: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.template, self.table, self.stored = template, table, stored
        self.population = population
        self.cell_fields: dict[CellRef, str] = {}
        for ref, row, column in table.cell_refs():
            if not table.is_applicable(row, column):
                continue
            name = cell_field_name(ref)
            decimals = table.decimals_of(row, column)
            self.fields[name] = CellField(label=template.label_of(ref), decimals=decimals)
            self.initial.setdefault(name, cell_input_text(stored.get(ref), decimals))
            self.cell_fields[ref] = name
        if template.rate_rule and template.rate_rule.rate.table == table.key:
            self.fields["population_estimate"] = forms.IntegerField(
                label="Population estimate (optional)",
                help_text=(
                    "The population aged 10 and over that the rate was calculated from. If you "
                    "give it, the rate is checked against it."
                ),
                required=False,
                min_value=1,
                max_value=MAX_POPULATION,
                widget=forms.TextInput(attrs={**NUMERIC, "class": "govuk-input--width-10"}),
                error_messages={
                    "invalid": "Enter the population estimate as a whole number, like 1492000.",
                    "min_value": "The population estimate must be 1 or more.",
                    "max_value": "The population estimate must be at most 100,000,000.",
                },
            )
            self.fields["population_source"] = forms.CharField(
                label="How the rate was calculated",
                help_text="Printed under the rate, e.g. which population estimate was used.",
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    @property
    def number_kind(self) -> str:
        """What this table's cells take: "whole numbers", or with up to n decimal places."""
        places = max(
            (f.decimals for f in self.fields.values() if isinstance(f, CellField)), default=0
        )
        kind = number_kind(places).removeprefix("a ").replace("number", "numbers", 1)
        return kind + (", like 125.2" if places else "")

    def clean_population_source(self) -> str:
        return normalise_text(self.cleaned_data["population_source"])

    def rows_with_fields(self) -> list[dict]:
        """The grid for the template: rows of bound fields, `None` where not applicable."""
        groups = []
        for group in self.table.groups:
            rows = []
            for row in group.rows:
                cells = []
                for column in self.table.columns:
                    ref = CellRef(self.table.key, row.key, column.key)
                    name = self.cell_fields.get(ref)
                    cells.append(
                        {
                            "ref": str(ref),
                            "field": self[name] if name else None,
                            "is_total": row.is_total or column.is_total,
                        }
                    )
                rows.append({"row": row, "cells": cells})
            groups.append({"label": group.label, "rows": rows})
        return groups

    def changes(self) -> dict[CellRef, CellValue | None]:
        return {ref: self.cleaned_data.get(name) for ref, name in self.cell_fields.items()}

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean() returns (its stubs allow None)
        if any(name in self.errors for name in self.cell_fields.values()):
            return cleaned  # check the rules once every cell reads as a figure
        values = dict(self.stored)
        for ref, value in self.changes().items():
            if value is None:
                values.pop(ref, None)
            else:
                values[ref] = value
        population = cleaned.get("population_estimate", self.population)
        for problem in check_figures(self.template, values, complete=False, population=population):
            field = next(
                (self.cell_fields[c] for c in problem.cells if c in self.cell_fields), None
            )
            if field is not None:
                self.add_error(field, problem.message)
        return cleaned


class TextSectionForm(VersionedForm):
    """A titled piece of plain text (foreword or local page); paragraphs split by blank lines."""

    title = forms.CharField(label="Heading (optional)", required=False, max_length=200)
    text = forms.CharField(
        label="Text",
        required=False,
        max_length=MAX_TEXT,
        help_text="Plain text. Leave a blank line between paragraphs.",
        widget=forms.Textarea(attrs={"rows": 16}),
    )

    def clean_text(self) -> str:
        return normalise_text(self.cleaned_data["text"])


class SignatoryForm(GovukForm):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label="Name", max_length=200)
    # Two-line boxes: a title or organisation breaks where the printed report breaks it.
    job_title = forms.CharField(
        label="Job title",
        max_length=200,
        help_text="Put each line on its own line, as printed.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    organisation = forms.CharField(
        label="Organisation",
        max_length=200,
        required=False,
        help_text="Put each line on its own line, as printed.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    section = forms.ChoiceField(
        label="Signs",
        choices=[
            (Signatory.Section.FOREWORD, "The introduction"),
            (Signatory.Section.LOCAL_PAGE, "The local page"),
        ],
        widget=forms.RadioSelect,
        initial=Signatory.Section.FOREWORD,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("name", "job_title"):
            label = str(self.fields[name].label).lower()
            self.fields[name].error_messages["required"] = f"Enter the signatory's {label}."

    def clean_job_title(self) -> str:
        return _lines(self.cleaned_data["job_title"])

    def clean_organisation(self) -> str:
        return _lines(self.cleaned_data["organisation"])


def _lines(text: str) -> str:
    """Lines as printed: \n between them (browsers send \r\n), none blank, none padded."""
    return "\n".join(line.strip() for line in normalise_text(text).splitlines() if line.strip())


class BaseSignatoryFormSet(forms.BaseFormSet):
    """Signatories in order; blank extra rows are ignored, `DELETE` removes one."""

    #: The error summary links the formset's own errors (too many signatories) to the list.
    error_anchor = "signatories"

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        form.fields["ORDER"] = forms.IntegerField(
            label="Position",
            help_text="1 signs first.",
            required=False,
            min_value=1,
            max_value=99,
            widget=forms.TextInput(attrs={**NUMERIC, "class": "govuk-input--width-2"}),
            error_messages={"invalid": "Enter the position as a whole number, like 1."},
        )
        form.fields["DELETE"] = forms.BooleanField(label="Remove this signatory", required=False)

    def cleaned_signatories(self) -> list[dict]:
        rows = [
            form.cleaned_data
            for form in self.ordered_forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        return rows


# formset_factory's stubs say it makes a BaseFormSet; it subclasses the `formset` given.
SignatoryFormSet = cast(
    type[BaseSignatoryFormSet],
    forms.formset_factory(
        SignatoryForm,
        formset=BaseSignatoryFormSet,
        extra=1,
        can_delete=True,
        can_order=True,
        max_num=12,
        validate_max=True,
    ),
)


class StartReportForm(GovukForm):
    copy_previous = forms.TypedChoiceField(
        label="Start from last year's text and signatories?",
        choices=[("yes", "Yes, copy them to edit"), ("no", "No, start with a blank report")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        initial="yes",
    )


class SubmitForm(VersionedForm):
    """Submitting the report as checked (each flagged figure is explained on its own page)."""


class AcknowledgementForm(VersionedForm):
    """The coordinator's explanation of one figure flagged by the change checks."""

    explanation = forms.CharField(
        label="Why did this figure change like this?",
        help_text="Say what happened, in a sentence or two. Reviewers read it beside the figure.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Explain why this figure changed like this.",
            "max_length": "Keep the explanation to 2,000 characters or fewer.",
        },
    )

    def clean_explanation(self) -> str:
        return normalise_text(self.cleaned_data["explanation"])


class DashboardFilterForm(GovukForm):
    """The national team's dashboard filters: a year (or all), a status, an area."""

    STATUSES = [
        ("", "Any status"),
        ("not_started", "Not started"),
        ("draft", "Draft"),
        ("submitted", "Submitted"),
        ("returned", "Returned to coordinator"),
        ("approved", "Approved"),
        ("scheduled", "Approved, scheduled for release"),
        ("published", "Published"),
    ]

    year = forms.ChoiceField(label="Year", required=False)
    status = forms.ChoiceField(label="Status", required=False, choices=STATUSES)
    area = forms.ChoiceField(label="Area", required=False)

    def __init__(
        self, *args: Any, years: list[ReportingYear], areas: list[Area], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        year = cast(forms.ChoiceField, self.fields["year"])
        year.choices = [(y.label, y.label) for y in years] + [("", "All years")]
        area = cast(forms.ChoiceField, self.fields["area"])
        area.choices = [("", "All areas")] + [(a.slug, a.name) for a in areas]


class SignInForm(AuthenticationForm):
    """Django's sign-in form with GOV.UK wording."""

    error_messages = {
        "invalid_login": "Enter a correct email address and password. The password is "
        "case-sensitive.",
        "inactive": "This account has been deactivated. If you still need it, ask the national "
        "MAPPA team to reactivate it.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email address"
        self.fields["username"].error_messages["required"] = "Enter your email address."
        self.fields["password"].error_messages["required"] = "Enter your password."
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_username(self) -> str:
        """The account's own spelling of the address: email addresses are not case-sensitive,
        so "Dee@Derbyshire.gov.uk" signs in as dee@derbyshire.gov.uk."""
        typed = self.cleaned_data["username"].strip()
        spellings = list(User.objects.filter(username__iexact=typed).values_list("username")[:2])
        # Two accounts spelt differently (made before addresses were kept in lower case):
        # only the exact spelling can tell them apart.
        return spellings[0][0] if len(spellings) == 1 else typed

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login" and self._is_deactivated_account():
                # Said only to whoever gives the right password, as Django's own "inactive"
                # message is: anyone else learns nothing about which accounts exist.
                raise forms.ValidationError(
                    self.error_messages["inactive"], code="inactive"
                ) from None
            raise

    def _is_deactivated_account(self) -> bool:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password") or ""
        account = User.objects.filter(username=username, is_active=False).first()
        if account is None:
            User().set_password(password)  # the same work either way: the time tells nothing
            return False
        return account.check_password(password)


def report_text_initial(report: AnnualReport, section: str) -> dict[str, Any]:
    """Initial values of a text section form."""
    if section == "foreword":
        return {"title": report.foreword_title, "text": report.foreword, "version": report.version}
    return {
        "title": report.local_page_title,
        "text": report.local_narrative,
        "version": report.version,
    }


class ActionForm(VersionedForm):
    """A workflow move with an optional (or, for return and reopen, required) comment.

    Reopening for a correction may name the sections reopened; the others stay as published.
    """

    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    sections = forms.MultipleChoiceField(
        label="Sections to reopen",
        help_text="Choose only the sections that need correcting: the others stay as "
        "published and cannot be changed. Choose none to reopen every section.",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    #: Label, hint and the error when missing, for the actions that need a comment.
    COMMENT_TEXT = {
        "return": (
            "What should the coordinator put right?",
            "The coordinator sees this with the report.",
            "Say what the coordinator should put right.",
        ),
        "reopen": (
            "Reason for the correction",
            # Help text is rendered as HTML: no angle-bracketed placeholders that would vanish.
            "Shown on the public report once the correction is published, as "
            "“Revised on {today}: ” followed by this reason.",
            "Enter the reason for the correction.",
        ),
    }

    def __init__(
        self,
        *args: Any,
        template: ReturnTemplate,
        comment_required: bool,
        action: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        self.comment_required = comment_required
        self.missing_comment = "Enter a comment."
        if action in self.COMMENT_TEXT:
            label, hint, self.missing_comment = self.COMMENT_TEXT[action]
            today = timezone.localdate()
            hint = hint.format(today=f"{today.day} {today:%B %Y}")
            self.fields["comment"].label, self.fields["comment"].help_text = label, hint
        if action == "reopen":
            cast(forms.MultipleChoiceField, self.fields["sections"]).choices = [
                (section.slug, section.title) for section in sections_for(template)
            ]
        else:
            del self.fields["sections"]

    def clean_comment(self) -> str:
        text = normalise_text(self.cleaned_data["comment"])
        if self.comment_required and not text:
            raise forms.ValidationError(self.missing_comment)
        return text


def pointer_choices(template: ReturnTemplate) -> list[tuple[str, Any]]:
    """What a return can point at: each section as a whole, or one cell of a table."""
    choices: list[tuple[str, Any]] = [("", "Choose a section or a cell")]
    choices.append(
        (
            "Whole sections",
            [(s.slug, s.title) for s in sections_for(template)],
        )
    )
    for table in template.tables:
        choices.append(
            (
                table.short_name,
                [
                    (str(ref), template.describe(ref))
                    for ref, row, column in table.cell_refs()
                    if table.is_applicable(row, column)
                ],
            )
        )
    return choices


class PointerForm(GovukForm):
    """One thing a return points the coordinator at, with what to look at there."""

    target = forms.ChoiceField(label="Section or cell", required=False)
    comment = forms.CharField(
        label="What to look at",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, template: ReturnTemplate, number: int = 1, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        target = cast(forms.ChoiceField, self.fields["target"])
        target.choices = pointer_choices(template)
        # Each row's labels say which point they are, so that every label is unique.
        target.label = f"Point {number}: section or cell"
        self.fields["comment"].label = f"Point {number}: what to look at"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        target, comment = cleaned.get("target"), normalise_text(cleaned.get("comment") or "")
        cleaned["comment"] = comment
        if target and not comment and "comment" not in self.errors:
            self.add_error("comment", "Say what the coordinator should look at there.")
        if comment and not target and "target" not in self.errors:
            self.add_error("target", "Choose the section or cell the comment is about.")
        return cleaned

    def pointer(self) -> Pointer | None:
        """The pointer asked for, or None for a row left blank."""
        target = self.cleaned_data.get("target")
        if not target:
            return None
        comment = self.cleaned_data["comment"]
        if "." in target:  # a cell: its section is its table
            ref = CellRef.parse(target)
            return Pointer(section=ref.table, comment=comment, cell=ref)
        return Pointer(section=target, comment=comment)


class BasePointerFormSet(forms.BaseFormSet):
    """A return's pointers; rows left blank are ignored."""

    def __init__(self, *args: Any, template: ReturnTemplate, **kwargs: Any) -> None:
        self.template = template
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        number = (index or 0) + 1
        return {**super().get_form_kwargs(index), "template": self.template, "number": number}

    @property
    def empty_form(self) -> forms.Form:  # never rendered: rows are added by posting
        raise NotImplementedError

    def pointers(self) -> list[Pointer]:
        found = (form.pointer() for form in self.forms if form.cleaned_data)
        return [p for p in found if p is not None]


# As SignatoryFormSet: formset_factory makes a subclass of the `formset` given.
PointerFormSet = cast(
    type[BasePointerFormSet],
    forms.formset_factory(
        PointerForm, formset=BasePointerFormSet, extra=2, max_num=30, validate_max=True
    ),
)


class StandardTextForm(GovukForm):
    """A year's "What is MAPPA?" and commentary, in Markdown with the year's placeholders."""

    PLACEHOLDER_HINT = (
        "Markdown: a blank line between paragraphs, ### for a heading, - for a bullet, "
        "**bold**. Write {year}, {period_start} and {period_end} for the year's dates."
    )

    #: When the text was last saved as the person opened the page ("" if never): a save based
    #: on an older text is refused rather than overwrite someone else's words.
    based_on = forms.CharField(widget=forms.HiddenInput, required=False)
    what_is_mappa = forms.CharField(
        label="What is MAPPA?",
        max_length=MAX_TEXT,
        help_text=PLACEHOLDER_HINT,
        widget=forms.Textarea(attrs={"rows": 20}),
        error_messages={"required": "Enter the “What is MAPPA?” text."},
    )
    commentary = forms.CharField(
        label="Explanatory commentary on statistical tables",
        max_length=MAX_TEXT,
        help_text=PLACEHOLDER_HINT + " Check every figure it quotes (such as the share managed "
        "at Level 1): it is this year's to set.",
        widget=forms.Textarea(attrs={"rows": 20}),
        error_messages={"required": "Enter the explanatory commentary."},
    )

    def _clean_text(self, name: str) -> str:
        from .standard_text import PLACEHOLDERS, unknown_placeholders

        text = normalise_text(self.cleaned_data[name])
        unknown = unknown_placeholders(text)
        if unknown:
            known = ", ".join(f"{{{key}}}" for key in PLACEHOLDERS)
            raise forms.ValidationError(
                f"{self.fields[name].label}: {{{unknown[0]}}} is not a date this page can fill "
                f"in. Use {known}, or remove the braces."
            )
        return text

    def clean_what_is_mappa(self) -> str:
        return self._clean_text("what_is_mappa")

    def clean_commentary(self) -> str:
        return self._clean_text("commentary")


class CorrectionNoteForm(GovukForm):
    """At a correction's publication: its public note, and whether subscribers are told."""

    note = forms.CharField(
        label="Public note: what changed and why",
        help_text="Shown with the correction on the report's page and its year's page, in the "
        "feed and in any email to subscribers. It starts as the reason given when the report "
        "was reopened.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter a public note saying what changed in the correction and why.",
            "max_length": "The public note must be 2,000 characters or fewer.",
        },
    )
    tell_subscribers = forms.TypedChoiceField(
        label="Email subscribers about this correction?",
        help_text="People subscribed to this year's release or to this area's reports.",
        choices=[
            ("yes", "Yes, email them"),
            ("no", "No, list it on the site and in the feed only"),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to email subscribers about this correction."},
    )

    def clean_note(self) -> str:
        note = normalise_text(self.cleaned_data["note"])
        if not note:
            raise forms.ValidationError(self.fields["note"].error_messages["required"])
        return note


class SubscribeForm(GovukForm):
    """An email address to send a year's or an area's updates to."""

    email = forms.EmailField(
        label="Email address",
        help_text="We use it only to send you these updates, and for nothing else. Every "
        "email has a link to unsubscribe, which deletes your address.",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address in the correct format, like name@example.com.",
        },
    )
