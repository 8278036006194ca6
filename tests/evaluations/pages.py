"""Reading a rendered filing page the way a browser submits it.

Tests post back exactly the fields the page rendered (names, management forms,
pre-filled values), changing only what an officer would type, so they exercise
the templates as well as the views.
"""

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self, form_id):
        super().__init__()
        self.form_id = form_id
        self.in_form = False
        self.template_depth = 0
        self.data = {}
        self.checkboxes = set()
        self.template_names = []
        self.found = False
        self._textarea = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.in_form = self.found = True
            return
        if not self.in_form:
            return
        if tag == "template":
            self.template_depth += 1
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if self.template_depth:
                self.template_names.append(name)
            elif kind == "checkbox":
                self.checkboxes.add(name)
                if "checked" in attrs:
                    self.data[name] = attrs.get("value", "on")
            elif kind not in {"submit", "button", "file", "reset"}:
                self.data[name] = attrs.get("value", "")
        elif tag == "textarea" and name:
            if self.template_depth:
                self.template_names.append(name)
            else:
                self._textarea = name
                self._text = []

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "template" and self.in_form:
            self.template_depth -= 1
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            # Browsers drop the newline that Django writes after <textarea>.
            self.data[self._textarea] = text[1:] if text.startswith("\n") else text
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


class PageForm:
    """The fields of one <form> of a page, ready to be changed and posted."""

    def __init__(self, html, form_id="part-form"):
        parser = _FormParser(form_id)
        parser.feed(html)
        assert parser.found, f"page has no form #{form_id}"
        self.data = parser.data
        self.checkboxes = parser.checkboxes
        self.template_names = parser.template_names

    def total(self, prefix):
        return int(self.data[f"{prefix}-TOTAL_FORMS"])

    def initial(self, prefix):
        return int(self.data[f"{prefix}-INITIAL_FORMS"])

    def fill(self, prefix, index, **values):
        """Type into row `index` of formset `prefix`; True/False tick checkboxes."""
        for field, value in values.items():
            name = f"{prefix}-{index}-{field}"
            assert name in self.data or name in self.checkboxes, f"no field {name}"
            if value is True:
                self.data[name] = "on"
            elif value is False:
                self.data.pop(name, None)
            else:
                self.data[name] = str(value)

    def add_row(self, prefix):
        """What the page's “增加一行” button does: a new row from the <template>."""
        index = self.total(prefix)
        for name in self.template_names:
            if name.startswith(f"{prefix}-__prefix__-"):
                field = name.replace("__prefix__", str(index))
                if not field.endswith(("-DELETE", "-not_applicable")):
                    self.data[field] = ""
        self.data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
        return index

    def set(self, **values):
        for name, value in values.items():
            assert name in self.data or name in self.checkboxes, f"no field {name}"
            self.data[name] = str(value)


class _AccessibilityParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields = []
        self.labelled = set()
        self.tables = []
        self.template_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "template":
            self.template_depth += 1
        elif tag == "label" and attrs.get("for"):
            self.labelled.add(attrs["for"])
        elif tag in {"input", "textarea", "select"} and not self.template_depth:
            if attrs.get("type") not in {"hidden", "submit", "button"}:
                self.fields.append(attrs.get("id") or attrs.get("name"))
        elif tag == "table":
            self.tables.append(False)
        elif tag == "th" and self.tables:
            self.tables[-1] = True

    def handle_endtag(self, tag):
        if tag == "template":
            self.template_depth -= 1


def accessibility_problems(html):
    """Inputs without a <label for=…> and tables without header cells."""
    parser = _AccessibilityParser()
    parser.feed(html)
    problems = [f"no label: {field}" for field in parser.fields if field not in parser.labelled]
    problems += [f"table {index} has no <th>" for index, ok in enumerate(parser.tables) if not ok]
    return problems
