"""The national team's forms for a year's release and its pre-release recipients.

They check what was typed, with GOV.UK messages (text fields are stripped, so blank means
missing); what may happen to a release in which state is
`releases.py`'s rule (its refusals are shown on the form that asked).
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from .forms import GovukForm
from .models import release_time_on
from .window_forms import DayField

MAX_REASON = 2_000
MONTHS = [(str(n), datetime.date(2000, n, 1).strftime("%B")) for n in range(1, 13)]


def _reason_field(label: str, required_message: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": required_message,
            "max_length": f"Keep the reason to {MAX_REASON:,} characters or fewer",
        },
    )


class ProvisionalForm(GovukForm):
    """The month a release is expected in, announced before its date is confirmed."""

    month = forms.ChoiceField(
        label="Release month",
        choices=[("", "Choose a month"), *MONTHS],
        error_messages={"required": "Choose the month of the release"},
    )
    year = forms.IntegerField(
        label="Release year",
        min_value=2001,
        max_value=2100,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}),
        error_messages={
            "required": "Enter the year of the release, for example 2027",
            "invalid": "The year must be a number, for example 2027",
            "min_value": "Enter a year from 2001 to 2100",
            "max_value": "Enter a year from 2001 to 2100",
        },
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        month = datetime.date(cleaned["year"], int(cleaned["month"]), 1)
        today = timezone.localdate()
        if month < today.replace(day=1):
            self.add_error("month", "The month of the release must be this month or later")
        cleaned["first_day"] = month
        return cleaned


class ReleaseDateForm(GovukForm):
    """The day a release is confirmed for (at 09:30), and why, when it moves."""

    day = DayField("the release date", label="Release date")
    reason = _reason_field("Why the release is moving", "Say why the release is moving")

    def __init__(self, *args: Any, moving: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.moving = moving
        self.fields["day"].help_text = (
            "Official statistics are released at 09:30 (London time) on this day. For example, "
            "28 1 2027."
        )
        if not moving:
            del self.fields["reason"]
        else:
            self.fields[
                "reason"
            ].help_text = "Shown on the release calendar with the previous date."

    def clean_day(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["day"]
        if release_time_on(day) <= timezone.now():
            raise ValidationError("The release date must be in the future")
        return day


class CancelForm(GovukForm):
    """Why a release is cancelled: shown on the release calendar."""

    reason = _reason_field("Why the release is cancelled", "Say why the release is cancelled")


class ContactForm(GovukForm):
    """Who to ask about the release, and whether its figures are provisional."""

    statistician = forms.CharField(
        label="Responsible statistician",
        max_length=200,
        help_text="Their full name, shown on the year's page and in the spreadsheet.",
        error_messages={
            "required": "Enter the name of the responsible statistician",
            "max_length": "Keep the name to 200 characters or fewer",
        },
    )
    contact_email = forms.EmailField(
        label="Contact email address",
        max_length=254,
        help_text="A team address people can write to with questions, for example "
        "mappa.statistics@justice.gov.uk.",
        error_messages={
            "required": "Enter the contact email address",
            "invalid": "Enter an email address in the correct format, like name@example.gov.uk",
        },
    )
    provisional_figures = forms.BooleanField(
        label="The figures are provisional",
        required=False,
        help_text="Figures published while this is ticked are marked [p] until a correction "
        "published after it is unticked replaces them.",
    )


class RecipientForm(GovukForm):
    """A person given pre-release access, and why."""

    name = forms.CharField(
        label="Full name",
        max_length=200,
        error_messages={"required": "Enter the person's full name"},
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="They sign in with it. An address without an account is sent an invitation.",
        error_messages={
            "required": "Enter the person's email address",
            "invalid": "Enter an email address in the correct format, like name@example.gov.uk",
        },
    )
    role = forms.CharField(
        label="Role",
        max_length=200,
        help_text="For example, Minister of State for Prisons. Published with the release.",
        error_messages={"required": "Enter the person's role"},
    )
    organisation = forms.CharField(
        label="Organisation",
        max_length=200,
        help_text="Published with the release.",
        error_messages={"required": "Enter the person's organisation"},
    )
    justification = _reason_field(
        "Why they need pre-release access", "Say why the person needs pre-release access"
    )
