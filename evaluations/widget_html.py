"""Form widgets rendered in Python, byte for byte as Django's templates would.

The filing pages show up to ~170 inputs, and rendering each one through the
form renderer (`BoundField.as_widget` → `Widget.render` → template engine, with
its includes of input.html and attrs.html) took about half of the page's time.
`widget_html` does what `BoundField.as_widget` does in Django 5.2 — the same
attrs, the same `Widget.get_context` — and then writes the HTML of the stock
`<input>` and `<textarea>` templates directly, with the escaping of the
template engine's autoescape. Anything else (Select, MultiWidget, a custom
template, renderer or `render`, a value the templates would treat specially)
falls back to `BoundField.as_widget`, so the output is always the same.
tests/evaluations/test_widget_html.py compares the two on every field of the
filing pages.
"""

import html

from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.forms.widgets import Widget
from django.utils.safestring import SafeData, SafeString, mark_safe

# The stock templates that are just {% include "django/forms/widgets/input.html" %}.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "color",
        "search",
        "tel",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "checkbox",
    )
)
TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"


class _Fallback(Exception):
    """A value the template engine would treat in a way not mirrored here."""


def _plain(value):
    """A value the template engine would resolve as is (it calls callables)."""
    if callable(value) and not getattr(value, "do_not_call_in_templates", False):
        raise _Fallback
    return value


def _stringformat_s(value):
    """`{{ value|stringformat:'s' }}` under autoescape: the filter is is_safe,
    so a safe value stays unescaped, anything else is escaped."""
    value = _plain(value)
    try:
        text = str(value)  # What "%s" % value gives, tuples included.
    except (ValueError, TypeError):
        return ""
    if isinstance(value, SafeData):
        return text
    return html.escape(text)  # django.utils.html.escape without its lazy wrapper.


def _text(value):
    """`{{ value }}` of a string under autoescape (no localization to do)."""
    value = _plain(value)
    if not isinstance(value, str):
        raise _Fallback
    # conditional_escape, without the lazy wrapper of escape.
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(value)


def _attrs(attrs) -> str:
    """django/forms/widgets/attrs.html."""
    if not isinstance(attrs, dict) or "items" in attrs:
        raise _Fallback  # {{ widget.attrs.items }} would look up the key "items".
    parts = []
    for name, value in attrs.items():
        value = _plain(value)
        if value is False:
            continue
        if value is True:
            parts.append(f" {_text(name)}")
        else:
            parts.append(f' {_text(name)}="{_stringformat_s(value)}"')
    return "".join(parts)


def _input(widget) -> str:
    """django/forms/widgets/input.html."""
    value = _plain(widget["value"])
    html = f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
    if value != None:  # noqa: E711 — the template's own comparison.
        html += f' value="{_stringformat_s(value)}"'
    return f"{html}{_attrs(widget['attrs'])}>"


def _textarea(widget) -> str:
    """django/forms/widgets/textarea.html."""
    value = _plain(widget["value"])
    content = _text(value) if value else ""
    return (
        f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{content}</textarea>'
    )


def _fast_path(bound_field, widget) -> bool:
    template_name = widget.template_name
    return (
        (template_name in INPUT_TEMPLATES or template_name == TEXTAREA_TEMPLATE)
        and type(widget).render is Widget.render
        and type(widget)._render is Widget._render
        and type(bound_field).as_widget is BoundField.as_widget
        and type(bound_field.form.renderer) is DjangoTemplates
    )


def widget_html(bound_field, attrs=None) -> SafeString:
    """The HTML of `bound_field.as_widget(attrs=attrs)`, without the template
    engine for the stock <input> and <textarea> widgets."""
    widget = bound_field.field.widget
    if not _fast_path(bound_field, widget):
        return bound_field.as_widget(attrs=attrs)
    # BoundField.as_widget, Django 5.2 (no only_initial here).
    if bound_field.field.localize:
        widget.is_localized = True
    built = bound_field.build_widget_attrs(attrs or {}, widget)
    auto_id = bound_field.auto_id
    if auto_id and "id" not in widget.attrs:
        built.setdefault("id", auto_id)
    value = bound_field.value()
    context = widget.get_context(bound_field.html_name, value, built)["widget"]
    render = _textarea if widget.template_name == TEXTAREA_TEMPLATE else _input
    try:
        html = render(context)
    except (_Fallback, KeyError):
        return bound_field.as_widget(attrs=attrs)
    return mark_safe(html)


def field_html(bound_field) -> SafeString:
    """`{{ bound_field }}` (BoundField.__str__) through `widget_html`."""
    if bound_field.field.show_hidden_initial or type(bound_field).__str__ is not BoundField.__str__:
        return mark_safe(str(bound_field))
    return widget_html(bound_field)
