"""`{% url %}` with its reverses kept: Django's tag, each URL reversed once per process.

A builtin library (config/settings/base.py, TEMPLATES' "builtins"), so it replaces Django's `url`
tag in every template without a `{% load %}`. Reversing a URL walks the URLconf's patterns and
costs ~40 µs; a page draws 10–35 of them (the menu, breadcrumbs, forms), most with the same
arguments on every request. The URL a name and arguments give is fixed for a URLconf and script
prefix (the deployment's), so it is kept, keyed on those, the arguments only when each is a str
or an int (a template's literal string too; anything else, e.g. a model instance whose str() could change, is reversed each
time, as by Django's tag). Every process and web node reverses the same URLs from the same code:
nothing is shared or needs invalidating. At most KEPT_MAX entries (then emptied and filled again).
"""
from django import template
from django.conf import settings
from django.template.defaulttags import URLNode, url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

register = template.Library()

KEPT_MAX = 4096
_KEPT: dict[tuple, str] = {}
# The argument types kept, and the kind each counts as in the key (a template's literal is a SafeString).
_PLAIN = {str: str, SafeString: str, int: int}


class KeptURLNode(URLNode):
    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        key = None
        if _PLAIN.get(type(view_name)) is str and all(type(a) in _PLAIN for a in args) \
                and all(type(v) in _PLAIN for v in kwargs.values()):
            key = (str(view_name), *((_PLAIN[type(a)], a) for a in args), "|",
                   *((k, _PLAIN[type(v)], v) for k, v in sorted(kwargs.items())), "|", current_app,
                   get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
        found = _KEPT.get(key) if key is not None else None
        if found is None:
            try:
                found = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
            except NoReverseMatch:
                if self.asvar is None:
                    raise
                found = ""
            else:
                if key is not None:
                    if len(_KEPT) >= KEPT_MAX:
                        _KEPT.clear()
                    _KEPT[key] = found
        if self.asvar:
            context[self.asvar] = found
            return ""
        return conditional_escape(found) if context.autoescape else found


@register.tag(name="url")
def kept_url(parser, token):
    """Django's `{% url %}` (same syntax and output), its reverses kept (see the module)."""
    node = url(parser, token)
    return KeptURLNode(node.view_name, node.args, node.kwargs, node.asvar)
