"""Plain-text mails rendered from templates.

The mail templates render with `{% autoescape off %}` (a mail must say <, not &lt;), so what
Django returns is a SafeString: shown on a page, it would go out unescaped. `render_mail_text`
hands back a plain str, which a page escapes like any other user text.
"""
from django.template.loader import render_to_string


def render_mail_text(template_name: str, context: dict) -> str:
    """The text of `template_name` rendered with `context`, as a plain (not HTML-safe) str."""
    return str.__str__(render_to_string(template_name, context))  # a copy of the str, without the safe mark
