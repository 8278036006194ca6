"""evaluations/widget_html.py writes the same HTML as Django's widget templates,
on every field of the filing pages, unbound and bound with refused values."""

import re
from contextlib import contextmanager
from unittest import mock

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe

from evaluations.forms import ImportForm, ProjectAddForm, TransitionForm
from evaluations.templatetags import perfeval
from evaluations.views.filing import PART_FORMS, _project_forms
from evaluations.widget_html import INPUT_TEMPLATES, TEXTAREA_TEMPLATE, field_html, widget_html
from tests.evaluations.pages import PageForm
from tests.factories import officer_of
from tests.helpers import import_example

pytestmark = pytest.mark.django_db

ATTRS = [
    None,
    {},
    {"class": "x is-invalid", "aria-invalid": "true", "aria-describedby": "id-error"},
    {"class": "form-control <b>\"&'", "data-on": True, "data-off": False, "data-n": 0},
    {"data-safe": mark_safe("<i>&amp;</i>"), "data-tuple": (1, "<"), "data-none": None},
    {"data-lazy": lazy(lambda: "惰性<&>", str)()},
    {"id": "custom-id", "required": False},
]

# What an officer might type: refused numbers, an over-long text, markup.
NASTY = [
    "abc",
    "1.234",
    "-5",
    "12.50",
    "",
    "<script>\"&'</script>",
    "问" * 30001,
    "  3  ",
    "1e3",
    "2023-02-30",
    "\n多行\n文字\n",
]


@pytest.fixture
def filing():
    return import_example("junshan-2023")


def page_forms(filing, data=None):
    """Every form of every filing page, bound to `data` or not."""
    pages = [build(filing, data) for build in PART_FORMS.values()]
    pages += [_project_forms(filing, data, project) for project in filing.projects.all()]
    found = []
    for page in pages:
        found += page.forms.values()
        for formset in page.formsets.values():
            found.append(formset.management_form)
            found += formset.forms
            found.append(formset.empty_form)
    found += [ProjectAddForm(data), TransitionForm(data), ImportForm(data)]
    return found


def posted_data(filing):
    """A POST of every page at once, each value replaced by one of NASTY and
    every other checkbox ticked; ids and management forms stay as rendered."""
    data = {}
    position = 0
    for form in page_forms(filing):
        for bound_field in form:
            name = bound_field.html_name
            if "__prefix__" in name:
                continue
            value = bound_field.value()
            widget = bound_field.field.widget
            if isinstance(widget, forms.CheckboxInput):
                position += 1
                if position % 2:
                    data[name] = "on" if position % 4 == 1 else "<script>"
            elif widget.is_hidden:
                data[name] = "" if value is None else str(value)
            else:
                data[name] = NASTY[position % len(NASTY)]
                position += 1
    return data


def assert_same(form):
    """widget_html == as_widget for every field of `form` and every ATTRS,
    without the template engine for the stock widgets; returns how many
    fields took the fast path."""
    fast = 0
    for bound_field in form:
        for attrs in ATTRS:
            expected = bound_field.as_widget(attrs=attrs)
            with mock.patch.object(
                DjangoTemplates, "render", autospec=True, side_effect=DjangoTemplates.render
            ) as render:
                html = widget_html(bound_field, attrs)
            assert isinstance(html, SafeString)
            assert html == expected, (bound_field.html_name, attrs)
            templates = {call.args[1] for call in render.call_args_list}
            stock = INPUT_TEMPLATES | {TEXTAREA_TEMPLATE}
            if attrs is None and not templates:
                fast += 1
            assert not templates & stock, (bound_field.html_name, templates)
        assert field_html(bound_field) == str(bound_field), bound_field.html_name
    return fast


def test_every_unbound_field_of_the_filing_pages_renders_the_same(filing):
    forms_ = page_forms(filing)
    fast = sum(assert_same(form) for form in forms_)
    # Every stock <input>/<textarea> is written without the template engine.
    assert fast > 150


def test_every_bound_field_with_refused_values_renders_the_same(filing):
    data = posted_data(filing)
    forms_ = page_forms(filing, data)
    assert any(form.errors for form in forms_)
    errors = " ".join(str(form.errors) for form in forms_)
    assert "请输入金额（万元）" in errors and "最多两位小数" in errors and "文字过长" in errors
    fast = sum(assert_same(form) for form in forms_)
    assert fast > 150


def test_a_value_needing_escaping_is_escaped_like_the_template():
    form = TransitionForm({"comment": "<script>\"&'</script>", "status": '"><b>'})
    assert widget_html(form["comment"]) == form["comment"].as_widget()
    assert "&lt;script&gt;&quot;&amp;&#x27;&lt;/script&gt;" in widget_html(form["comment"])
    assert widget_html(form["status"]) == form["status"].as_widget()
    assert 'value="&quot;&gt;&lt;b&gt;"' in widget_html(form["status"])


class ChoiceForm(forms.Form):
    level = forms.ChoiceField(choices=[("a", "<一>"), ("b", "二")])
    custom = forms.CharField(widget=forms.TextInput())
    shown_initial = forms.CharField(show_hidden_initial=True, initial="x<")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["custom"].widget.template_name = "django/forms/widgets/select.html"


@pytest.mark.parametrize("data", [None, {"level": "b", "custom": "<z>", "shown_initial": "y"}])
def test_widgets_outside_the_fast_path_fall_back_to_the_template(data):
    form = ChoiceForm(data)
    for name in ("level", "custom"):
        with mock.patch.object(
            DjangoTemplates, "render", autospec=True, side_effect=DjangoTemplates.render
        ) as render:
            html = widget_html(form[name], {"class": "x"})
        assert render.called, name
        assert html == form[name].as_widget(attrs={"class": "x"})
    assert "<select" in widget_html(form["level"])
    # {{ field }} also renders the hidden initial value.
    assert field_html(form["shown_initial"]) == str(form["shown_initial"])
    assert 'name="initial-shown_initial"' in field_html(form["shown_initial"])


def test_a_form_with_another_renderer_falls_back():
    class Other(DjangoTemplates):
        pass

    form = TransitionForm({"comment": "意见"}, renderer=Other())
    with mock.patch.object(Other, "render", autospec=True, side_effect=Other.render) as render:
        html = widget_html(form["comment"])
    assert render.called
    assert html == form["comment"].as_widget()


@contextmanager
def through_the_templates():
    """The cell tag and the widget filter as they were: Django's templates."""
    with (
        mock.patch.object(
            perfeval, "widget_html", lambda bf, attrs=None: bf.as_widget(attrs=attrs)
        ),
        mock.patch.object(perfeval, "field_html", lambda bf: mark_safe(str(bf))),
    ):
        yield


def _normalized(html):
    """The page without what changes between two GETs: the CSRF token and the
    timestamped signature of the rendered version (_version_fields.html)."""
    return re.sub(r'name="(csrfmiddlewaretoken|rendered)" value="[^"]*"', "", html)


@pytest.mark.parametrize("part", ["scores", "basic", "profile", "report", "contact"])
def test_filing_pages_are_unchanged_by_the_fast_widgets(client, filing, part):
    client.force_login(officer_of(filing.department))
    url = reverse("evaluations:filing_part", args=[filing.pk, part])
    fast = client.get(url).content.decode()
    with through_the_templates():
        slow = client.get(url).content.decode()
    assert _normalized(fast) == _normalized(slow)
    page = PageForm(fast)
    if part == "scores":
        assert page.total("indicators") == filing.indicators.filter(project=None).count() + 2
        assert 'name="indicators-0-score"' in fast and 'name="indicators-0-DELETE"' in fast
        assert 'name="indicators-0-id" value="' in fast
        assert '<textarea name="goal-goal_expected"' in fast
    if part == "basic":
        assert 'name="rows-0-id"' in fast and 'name="items-0-ORDER"' in fast


def test_project_page_is_unchanged_by_the_fast_widgets(client, filing):
    client.force_login(officer_of(filing.department))
    project = filing.projects.first()
    url = reverse("evaluations:project_edit", args=[filing.pk, project.pk])
    fast = client.get(url).content.decode()
    with through_the_templates():
        slow = client.get(url).content.decode()
    assert _normalized(fast) == _normalized(slow)
    assert 'name="project-name"' in fast


def test_a_refused_post_shows_the_same_page(client, filing):
    client.force_login(officer_of(filing.department))
    url = reverse("evaluations:filing_part", args=[filing.pk, "scores"])
    form = PageForm(client.get(url).content.decode())
    form.fill("indicators", 0, score="abc", actual="<script>\"&'")
    form.fill("indicators", 1, DELETE=True, weight="1.234")
    fast = client.post(url, form.data)
    assert fast.status_code == 200
    with through_the_templates():
        slow = client.post(url, form.data)
    fast, slow = fast.content.decode(), slow.content.decode()
    assert _normalized(fast) == _normalized(slow)
    assert 'value="&lt;script&gt;&quot;&amp;&#x27;"' in fast
    assert 'aria-describedby="id_indicators-0-score-error"' in fast
