"""The national team's forms for a year's collection window and areas' extensions.

Dates are GOV.UK date inputs (day, month, year). Which dates go together is the model's rule
(`ReportingYear.clean`); these forms turn what was typed into dates, with messages that say
which part is wrong.
"""

from __future__ import annotations

import datetime
from typing import Any

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Size
from django import forms
from django.core.exceptions import ValidationError

from . import windows
from .forms import GovukForm
from .models import Area, ReportingYear, long_date

MAX_REASON = 2_000


class DayField(DateInputField):
    """A date typed as day, month and year, each refused in words if it is not a number."""

    def __init__(self, what: str, **kwargs: Any) -> None:
        # Each part is required once any is given: a half-typed date is an error, not a blank.
        super().__init__(require_all_fields=False, **kwargs)
        self.what = what
        message = f"Enter {what} as a day, month and year, for example 30 6 2026"
        self.error_messages.update({"required": message, "incomplete": message})
        for part, name in zip(self.fields, ("day", "month", "year"), strict=True):
            part.error_messages["incomplete"] = f"Enter the {name} of {what}"
            part.validators = [
                validator for validator in part.validators if not getattr(validator, "regex", None)
            ]
            part.validators.append(_digits(f"The {name} of {what} must be a number"))

    def compress(self, data_list: Any) -> datetime.date | None:
        day, month, year = data_list
        if not (day and month and year):
            return None
        try:
            return datetime.date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(f"{self.what.capitalize()} must be a real date") from None


def _digits(message: str) -> Any:
    from django.core.validators import RegexValidator

    return RegexValidator(r"^[0-9]{1,4}$", message)


class CollectionDatesForm(forms.ModelForm):
    """A year's deadline and the days new reports and edits close."""

    deadline = DayField("the deadline", required=False, label="Deadline")
    starts_close_on = DayField(
        "the day new reports close", required=False, label="New reports close on"
    )
    edits_close_on = DayField("the day edits close", required=False, label="Edits close on")

    class Meta:
        model = ReportingYear
        fields = ["deadline", "starts_close_on", "edits_close_on"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.label_size = Size.SMALL
        self.fields["deadline"].help_text = (
            "The day by which areas should submit. It is shown to them, and reminders count "
            "down to it; nothing closes on it."
        )
        self.fields["starts_close_on"].help_text = (
            "After the end of this day (London time), areas without an extension cannot start "
            "their report. Leave blank for no such date."
        )
        self.fields["edits_close_on"].help_text = (
            "After the end of this day (London time), areas without an extension cannot change "
            "or submit a draft report. Returned reports can still be changed. Leave blank for "
            "no such date."
        )


class ExtensionForm(GovukForm):
    """More time for one area, until the end of a day, with the reason."""

    area = forms.ModelChoiceField(
        queryset=Area.objects.all(),
        empty_label="Choose an area",
        error_messages={
            "required": "Choose the area to give more time",
            "invalid_choice": "Choose one of the 42 MAPPA areas",
        },
    )
    until = DayField(
        "the day the extension ends",
        label="Extension until",
        help_text="The area can start and change its report until the end of this day.",
    )
    reason = forms.CharField(
        label="Why the area needs more time",
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Say why the area needs more time",
            "max_length": f"Keep the reason to {MAX_REASON:,} characters or fewer",
        },
    )

    def __init__(self, *args: Any, year: ReportingYear, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.year = year

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Say why the area needs more time")
        return reason

    def clean_until(self) -> datetime.date:
        until: datetime.date = self.cleaned_data["until"]
        year = self.year
        closes = year.starts_close_on or year.edits_close_on
        if closes is None:
            raise ValidationError(
                f"Set the day new reports or edits close for {year} first: until then nothing "
                "is closed, so there is nothing to extend"
            )
        if until <= closes:
            raise ValidationError(
                f"The extension must end after {long_date(closes)}, when the collection closes "
                "to new reports"
            )
        if until < windows.today():
            raise ValidationError("The extension must end today or later")
        latest = year.collection_date_bounds[1]
        if until > latest:
            raise ValidationError(f"The extension must end on or before {long_date(latest)}")
        return until
