"""`{% js_enabled_script %}`: the inline script the Content Security Policy allows by hash."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from mappa_portal.inline_scripts import JS_ENABLED

register = template.Library()


@register.simple_tag
def js_enabled_script() -> SafeString:
    """GOV.UK Frontend's js-enabled script, exactly as hashed in the policy."""
    return format_html("<script>{}</script>", mark_safe(JS_ENABLED))  # noqa: S308
