"""Forms for the national team's account pages, and for setting a password from an invitation."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import User
from django.db.models import Q

from .accounts import ALREADY_HAS_ACCOUNT
from .forms import GovukForm
from .models import Area

NO_AREA = "Select at least one area. To take away all access, deactivate the account instead."


def areas_field(label: str) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=label,
        queryset=Area.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": NO_AREA, "invalid_choice": NO_AREA},
    )


class InviteForm(GovukForm):
    """Who to invite, and the areas they will coordinate."""

    first_name = forms.CharField(
        label="First name",
        max_length=150,
        error_messages={"required": "Enter their first name."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        error_messages={"required": "Enter their last name."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    # 150: the address is also the username they sign in with.
    email = forms.EmailField(
        label="Email address",
        max_length=150,
        help_text="They sign in with this address. The invitation is sent to it.",
        error_messages={
            "required": "Enter their email address.",
            "invalid": "Enter an email address in the correct format, like name@example.gov.uk.",
            "max_length": "Enter an email address of 150 characters or fewer.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    areas = areas_field("Areas they will coordinate")

    def clean_email(self) -> str:
        # Addresses are compared, and stored, in lower case: one person, one account.
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
            raise forms.ValidationError(ALREADY_HAS_ACCOUNT)
        return email


class AreasForm(GovukForm):
    """The areas an account coordinates, all of them at once."""

    areas = areas_field("Areas they coordinate")


class InvitationPasswordForm(SetPasswordForm):
    """Django's set-password form (with the password validators) in GOV.UK words."""

    error_messages = {
        "password_mismatch": "The passwords do not match. Enter the same password twice.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Create a password"
        self.fields["new_password1"].error_messages["required"] = "Enter a password."
        self.fields["new_password2"].label = "Confirm your password"
        self.fields["new_password2"].help_text = ""
        self.fields["new_password2"].error_messages["required"] = "Enter the password again."
        self.helper = FormHelper()
        self.helper.form_tag = False
