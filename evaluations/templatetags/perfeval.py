"""Template helpers of the filing pages: figures and form cells."""

from django import template
from django.utils.html import format_html, format_html_join

from evaluations import selectors
from evaluations.core.scoring import RULE_LABELS
from evaluations.services.summary import NORMALIZED_SCORE_RULE
from evaluations.widget_html import field_html, widget_html

register = template.Library()


@register.filter
def figure(value):
    """A computed amount, score or rate; "—" when it cannot be computed."""
    if value is None or value == "":
        return "—"
    return str(value)


@register.filter
def percent(value):
    if value is None or value == "":
        return "—"
    return f"{value}%"


@register.simple_tag
def normalized_score_rule():
    """The one-line explanation shown wherever 换算得分 is."""
    return NORMALIZED_SCORE_RULE


@register.simple_tag
def user_roles(user):
    return selectors.user_role_labels(user=user)


@register.simple_tag
def is_bureau_staff(user):
    return selectors.user_is_bureau_staff(user=user)


@register.filter
def rule_label(result):
    """识别规则 of a suggested indicator score, in Chinese."""
    if not result:
        return "—"
    return RULE_LABELS.get(result.rule, result.rule)


@register.simple_tag
def cell(bound_field, label=None, *, hidden=True, css="", row=None, table=""):
    """One form field inside a table cell: its (visually hidden) label, the
    widget marked invalid when refused, and the Chinese error under it.
    `row` names the table row in the label ("第3行 得分") for screen readers."""
    widget = bound_field.field.widget
    classes = widget.attrs.get("class", "")
    if css:
        classes = f"{classes} {css}".strip()
    attrs = {}
    error_id = f"{bound_field.auto_id}-error"
    if bound_field.errors:
        classes = f"{classes} is-invalid".strip()
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = error_id
    if classes:
        attrs["class"] = classes
    label_text = label or bound_field.label
    if row in (None, ""):
        label_text = f"{table} {label_text}".strip() if table else label_text
    else:
        where = "新增行" if row == "new" else f"第{row}行"
        label_text = f"{table}{where} {label_text}"
    label_class = "visually-hidden" if hidden else "form-label"
    errors = ""
    if bound_field.errors:
        errors = format_html(
            '<div class="invalid-feedback d-block" id="{}">{}</div>',
            error_id,
            format_html_join("", "{}<br>", ((error,) for error in bound_field.errors)),
        )
    return format_html(
        '<label class="{}" for="{}">{}</label>{}{}',
        label_class,
        bound_field.id_for_label,
        label_text,
        widget_html(bound_field, attrs),
        errors,
    )


@register.filter
def widget(bound_field):
    """`{{ form.field|widget }}`: the same HTML as `{{ form.field }}`, written
    without the template engine for the stock inputs (evaluations/widget_html.py)."""
    return field_html(bound_field)


@register.filter
def lookup(mapping, key):
    return mapping.get(key) if mapping else None
