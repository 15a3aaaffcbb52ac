"""Template helpers for GOV.UK Design System patterns."""

from __future__ import annotations

from django import forms, template

register = template.Library()


@register.simple_tag
def error_items(
    *forms_or_formsets: forms.BaseForm | forms.BaseFormSet | None,
) -> list[tuple[str, str]]:
    """(link, message) for every error of the given forms, for the GOV.UK error summary."""
    items: list[tuple[str, str]] = []
    for item in forms_or_formsets:
        if not isinstance(item, forms.BaseForm | forms.BaseFormSet):  # ModelForms too
            continue  # a template variable that is not set
        if isinstance(item, forms.BaseFormSet):
            # A formset's own errors point at its `error_anchor`, else its first input.
            anchor = getattr(item, "error_anchor", "")
            if not anchor:
                fields = [f for form in item.forms for f in form.visible_fields()]
                anchor = fields[0].id_for_label if fields else "main-content"
            for message in item.non_form_errors():
                items.append((f"#{anchor}", str(message)))
            for form in item.forms:
                items += _form_errors(form)
        else:
            items += _form_errors(item)
    return items


def _form_errors(form: forms.BaseForm) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    if not form.is_bound:
        return items
    first = next(iter(form.visible_fields()), None)
    for message in form.non_field_errors():
        items.append((f"#{first.id_for_label}" if first else "#main-content", str(message)))
    for name, errors in form.errors.items():
        if name == "__all__" or name not in form.fields:
            continue
        field = form[name]
        target = field.id_for_label or field.auto_id
        # Radios and date inputs: the first of their inputs, as the Design System asks.
        if isinstance(field.field.widget, forms.RadioSelect | forms.MultiWidget):
            target = f"{field.auto_id}_0"
        for message in errors:
            items.append((f"#{target}", str(message)))
    return items


@register.filter
def lookup(mapping: dict | None, key: object) -> object:
    """`mapping[key]`, or None: for dictionaries keyed by something the template computes."""
    return (mapping or {}).get(key)


@register.filter
def status_tag_class(status: str) -> str:
    """The GOV.UK tag colour for a report status."""
    return {
        "draft": "govuk-tag--grey",
        "submitted": "govuk-tag--blue",
        "returned": "govuk-tag--orange",
        "approved": "govuk-tag--turquoise",
        "published": "govuk-tag--green",
    }.get(status, "govuk-tag--grey")


@register.filter
def severity_tag_class(severity: str) -> str:
    """The GOV.UK tag colour for a change warning's severity (`change_checks.Severity`)."""
    return {"check": "govuk-tag--yellow", "unusual": "govuk-tag--red"}.get(severity, "")
