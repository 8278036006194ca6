"""The forms of a generic-layout filing page, built from its form template.

One definition of each form (STYLE.md 14): the header fields, the tables with
their columns, fixed rows and free slots, the narrative sections and, for a
template whose points are `officer_total`, the officer's total and grade all
come from the `FormTemplate`; nothing here names a province.

The forms parse and render single values only, as the Hunan forms do: a
number typed the way people type it (validators.typed_number), a text within
the template's `max_length`, at most `max_rows` free rows in a slot. Every
rule a draft may break for a while (a required cell, a score above its row's
points, 不适用 without a reason) is a finding of core.generic and never
refuses a save.

They read and write the document in its `perfeval-filing/2` JSON form
(docs/form-templates.md): `GenericPageForms.document_json()` returns the
document the page was built from with every value of the page replaced by the
posted one, so what the page does not show (the department, cells of columns
nobody types) passes through unchanged. Every fixed row is written, so the
n-th row of a table is the n-th row of `core.generic`'s document, and the
findings' paths (`tables.<key>[n]`) name the form of the page that holds it
(`GenericPageForms.row_forms`).

Who edits what: the officer edits the "officer" columns, the header, the
narrative, 不适用, the free rows and the total while the filing is a draft or
returned; a reviewer edits the "reviewer" columns (评定分数) while it is under
review. Every other field is `disabled`: Django keeps its saved value
whatever is posted.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms

from .core.template import (
    DEFAULT_CELL_LENGTH,
    DEFAULT_HEADER_LENGTH,
    DEFAULT_NARRATIVE_LENGTH,
    LABEL_CELL,
    Column,
    FormTemplate,
    Group,
    HeaderField,
    Table,
    TableEntry,
)
from .forms import MONEY, SCORE, TEXT_ERRORS, WEIGHT, AmountField, PeopleField, Quantity
from .validators import MAX_YEAR, MIN_YEAR

OFFICER = "officer"
REVIEWER = "reviewer"

PERCENT = Quantity("百分比", "%", "95.50", units=("%",))
NUMBER = Quantity("数值", "整数", "36", units=("个", "人", "项", "次"))
# A text that may be longer than this is typed in a box of several lines.
LONG_TEXT = 200
# The 填报信息 of a generic document (`contact`): who signs the form.
CONTACT_FIELDS = (
    ("preparer", "填表人", 50),
    ("phone", "联系电话", 50),
    ("date", "填报日期", None),
    ("head", "单位负责人", 50),
)
NOT_APPLICABLE = "not_applicable"
REASON = "reason"
CELL_PREFIX = "c_"
_LEVEL_KEY = re.compile(r"level([1-5])")


def value_field(
    *, kind: str, label: str, max_length=None, choices=(), allow_negative=False, role=None
):
    """A form field for one value of a template type ("text", "amount",
    "percent", "points", "integer", "enum", "date"); never required (a missing
    value is a finding, not a refusal)."""
    if kind in ("amount", "percent", "points"):
        quantity = {"amount": MONEY, "percent": PERCENT}.get(kind)
        if quantity is None:
            quantity = WEIGHT if role == "max_points" else SCORE
        return AmountField(
            label=label, required=False, quantity=quantity, allow_negative=allow_negative
        )
    if kind == "integer":
        return PeopleField(
            label=label,
            required=False,
            quantity=NUMBER,
            min_value=None if allow_negative else 0,
            widget=forms.TextInput(
                attrs={"inputmode": "numeric", "class": "form-control form-control-sm text-end"}
            ),
        )
    if kind == "enum":
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[("", "—")] + [(choice, choice) for choice in choices],
            error_messages={"invalid_choice": "请从列表中选择：" + "、".join(choices) + "。"},
            widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        )
    if kind == "date":
        return DateValueField(label=label)
    return text_field(label=label, max_length=max_length or DEFAULT_CELL_LENGTH)


def text_field(*, label: str, max_length: int, rows: int = 2, css="form-control form-control-sm"):
    attrs = {"class": css, "maxlength": max_length}
    widget = (
        forms.Textarea(attrs={**attrs, "rows": rows})
        if max_length > LONG_TEXT
        else forms.TextInput(attrs=attrs)
    )
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        error_messages=TEXT_ERRORS,
        widget=widget,
    )


class DateValueField(forms.DateField):
    """A date typed or picked (YYYY-MM-DD) in the years a filing may name."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.DateInput(
                attrs={"type": "date", "class": "form-control form-control-sm"},
                format="%Y-%m-%d",
            ),
        )
        super().__init__(**kwargs)
        self.error_messages["invalid"] = "请输入日期，格式如 2024-07-30。"

    def validate(self, value):
        super().validate(value)
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            raise forms.ValidationError(f"年份须在 {MIN_YEAR} 至 {MAX_YEAR} 之间。")


def value_text(value) -> str:
    """A cleaned value as the document holds it: "" for nothing, numbers
    without exponent ("9.5", "-12.50"), dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


# --- header, narrative, total, contact ---------------------------------------------


class KeyedForm(forms.Form):
    """A form whose fields are the keys of one object of the document."""

    def lock(self, locked: bool) -> "KeyedForm":
        for item in self.fields.values():
            item.disabled = item.disabled or locked
        return self

    def values(self) -> dict[str, str]:
        return {name: value_text(self.cleaned_data.get(name)) for name in self.fields}


def _header_field(item: HeaderField):
    field_ = value_field(
        kind=item.type,
        label=item.label,
        max_length=item.max_length or DEFAULT_HEADER_LENGTH,
        choices=item.choices,
        allow_negative=item.allow_negative,
    )
    field_.unit = item.unit
    return field_


class HeaderForm(KeyedForm):
    def __init__(self, *args, template: FormTemplate, **kwargs):
        super().__init__(*args, **kwargs)
        for item in template.header:
            self.fields[item.key] = _header_field(item)


class NarrativeForm(KeyedForm):
    def __init__(self, *args, template: FormTemplate, **kwargs):
        super().__init__(*args, **kwargs)
        for section in template.narrative:
            title = f"{section.number}、{section.title}" if section.number else section.title
            self.fields[section.key] = text_field(
                label=title,
                max_length=section.max_length or DEFAULT_NARRATIVE_LENGTH,
                rows=6,
                css="form-control",
            )
            self.fields[section.key].required_by_template = section.required


class OfficerTotalForm(KeyedForm):
    """单位自评得分 and 等次, for a template whose print has no points per row."""

    def __init__(self, *args, template: FormTemplate, **kwargs):
        super().__init__(*args, **kwargs)
        grades = [band.grade for band in template.scoring.grades]
        self.fields["score"] = AmountField(
            label="单位自评得分",
            required=False,
            quantity=SCORE,
            widget=forms.TextInput(
                attrs={"inputmode": "decimal", "class": "form-control text-end amount"}
            ),
        )
        self.fields["grade"] = forms.ChoiceField(
            label="单位自评等次",
            required=False,
            choices=[("", "—")] + [(grade, grade) for grade in grades],
            error_messages={"invalid_choice": "请从列表中选择：" + "、".join(grades) + "。"},
            widget=forms.Select(attrs={"class": "form-select"}),
        )


class ContactForm(KeyedForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label, limit in CONTACT_FIELDS:
            if key == "date":
                self.fields[key] = DateValueField(
                    label=label,
                    widget=forms.DateInput(
                        attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"
                    ),
                )
            else:
                self.fields[key] = text_field(label=label, max_length=limit, css="form-control")


# --- table rows ----------------------------------------------------------------------


def _editable(column: Column) -> bool:
    return column.editor in (OFFICER, REVIEWER)


def level_columns(table: Table) -> dict[int, Column]:
    """Level → the template column keyed level1…level5 that prints the labels
    of that level (as services.generic_render lays tables out)."""
    levels = {}
    for column in table.columns:
        match = _LEVEL_KEY.fullmatch(column.key)
        if match and column.editor == "template":
            levels[int(match[1])] = column
    return levels


def label_column(table: Table, entry: TableEntry) -> Column | None:
    """The level column that prints a row's own name (the 三级指标 column of a
    row under a 二级 group): where a free row's name is typed. None when the
    table has none; the page then prints a name column of its own."""
    return level_columns(table).get(entry.level)


def name_column(table: Table) -> tuple[int | None, str]:
    """Where the page's own name column goes (after the level columns) and its
    heading, when no level column shows the rows' names (as generic_render's
    layout); (None, "") otherwise."""
    levels = level_columns(table)
    deepest = max((entry.level for entry in table.entries()), default=1)
    if levels and max(levels) >= deepest:
        return None, ""
    return len(levels), "序号" if table.rows == "free" else "项目"


def shows_headings(table: Table) -> bool:
    """Whether group labels print as heading lines: the table has no level
    columns and more than one group level or group."""
    if level_columns(table):
        return False
    return not (len(table.groups) == 1 and not table.groups[0].groups)


@dataclass(frozen=True)
class RowSpec:
    """What one row form holds: its table and place (a fixed row or a free slot)."""

    table: Table
    entry: TableEntry

    @property
    def declared(self):
        return self.entry.row or self.entry.free

    @property
    def is_free(self) -> bool:
        return self.entry.free is not None

    @property
    def label_column(self) -> Column | None:
        return label_column(self.table, self.entry)


class RowForm(forms.Form):
    """One row of a table: a field per officer or reviewer column, 不适用 and
    its reason where the template allows them, a free row's own name."""

    def __init__(self, *args, spec: RowSpec, editor: str | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.title = spec.entry.row.label if spec.entry.row is not None else ""
        if spec.is_free:
            named = spec.label_column
            self.fields[LABEL_CELL] = text_field(
                label=named.label if named is not None else name_column(spec.table)[1],
                max_length=(named.max_length if named else None) or DEFAULT_CELL_LENGTH,
            )
            self.fields[LABEL_CELL].disabled = editor != OFFICER
        signed_row = bool(spec.entry.row and spec.entry.row.allow_negative)
        for column in spec.table.columns:
            if not _editable(column):
                continue
            item = value_field(
                kind=column.type,
                label=column.label,
                max_length=column.max_length,
                choices=column.choices,
                allow_negative=column.allow_negative or signed_row,
                role=column.role,
            )
            item.disabled = editor != column.editor
            self.fields[CELL_PREFIX + column.key] = item
        if spec.declared.not_applicable:
            self.fields[NOT_APPLICABLE] = forms.BooleanField(
                label="不适用",
                required=False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )
            self.fields[REASON] = text_field(label="不适用原因", max_length=DEFAULT_CELL_LENGTH)
            for name in (NOT_APPLICABLE, REASON):
                self.fields[name].disabled = editor != OFFICER

    def cell_field(self, column_key: str):
        """The bound field of column `column_key`, or None when it is not typed."""
        name = CELL_PREFIX + column_key
        return self[name] if name in self.fields else None

    def cells(self) -> list[dict]:
        """The row's cells in column order as the page prints them: `field`
        (a bound field) where something is typed, else `text`; `header` marks
        the cell that names the row (a <th scope="row">), `continued` a group
        label the row above printed already, `label` what a field is called
        ("公用经费控制率 自评得分")."""
        cells = []
        entry = self.spec.entry
        name = self._name()
        own = self.spec.label_column
        continued = getattr(self, "continued_levels", set())
        for column in self.spec.table.columns:
            if _editable(column):
                cells.append({"column": column, "field": self[CELL_PREFIX + column.key]})
            elif own is not None and column.key == own.key:
                cells.append(self._name_cell(column))
            else:
                text = self.spec.table.fixed_text(entry, column, name)
                cells.append({"column": column, "text": text, "continued": column.key in continued})
        name_at = name_column(self.spec.table)[0]
        if name_at is not None:
            cells.insert(name_at, self._name_cell(None))
        for cell in cells:
            if "field" in cell:
                cell["label"] = f"{self.title} {cell['field'].label}"
        return cells

    def _name_cell(self, column) -> dict:
        if self.spec.is_free:
            return {"column": column, "field": self[LABEL_CELL], "header": True}
        return {"column": column, "text": self.title, "header": True}

    def _name(self) -> str:
        if not self.spec.is_free:
            return self.title
        if self.is_bound and LABEL_CELL in self.fields:
            return value_text(self[LABEL_CELL].value())
        return value_text((self.initial or {}).get(LABEL_CELL))

    def row_values(self, base: dict) -> dict:
        """The document row of this form: `base` (the saved row) with the
        values of the form's fields."""
        row = dict(base)
        cells = dict(row.get("cells") or {})
        for name, value in self.cleaned_data.items():
            if name in (NOT_APPLICABLE, REASON, "DELETE"):
                continue
            key = LABEL_CELL if name == LABEL_CELL else name.removeprefix(CELL_PREFIX)
            text = value_text(value)
            if text:
                cells[key] = text
            else:
                cells.pop(key, None)
        row["cells"] = cells
        if NOT_APPLICABLE in self.fields:
            row["not_applicable"] = bool(self.cleaned_data.get(NOT_APPLICABLE))
            row["reason"] = value_text(self.cleaned_data.get(REASON))
        else:
            row.setdefault("not_applicable", False)
            row.setdefault("reason", "")
        return row

    def has_content(self) -> bool:
        return any(
            value_text(self.cleaned_data.get(name)) for name in self.fields if name != "DELETE"
        )


def initial_of(row: dict | None) -> dict:
    """The initial values of a row form from a document row."""
    if not row:
        return {}
    initial = {
        (LABEL_CELL if key == LABEL_CELL else CELL_PREFIX + key): value
        for key, value in (row.get("cells") or {}).items()
    }
    initial[NOT_APPLICABLE] = bool(row.get("not_applicable"))
    initial[REASON] = row.get("reason") or ""
    return initial


class FreeRowFormSet(forms.BaseFormSet):
    """The officer's own rows of one free slot: added with ＋, removed with 删除,
    at most the slot's `max_rows` (blank rows do not count)."""

    default_error_messages = {
        "too_many_forms": "此处最多 %(num)d 行，请删去多余的行后再保存。",
    }

    def __init__(self, *args, spec: RowSpec, editor: str | None, saved_rows: list, **kwargs):
        self.spec = spec
        self.editor = editor
        self.saved_rows = saved_rows
        super().__init__(
            *args,
            initial=[initial_of(row) for row in saved_rows],
            form_kwargs={"spec": spec, "editor": editor},
            **kwargs,
        )

    @property
    def slot_label(self) -> str:
        return self.spec.entry.free.label or self.spec.entry.group.label

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if index is None:
            form.title = f"{self.slot_label}新增行"
            form.continued_levels = {f"level{group.level}" for group in self.spec.entry.path}
        else:
            form.title = f"{self.slot_label}第{index + 1}行"
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "删除"
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input delete-input"

    def total_form_count(self):
        # Only the officer adds rows; anyone else posts the saved ones back.
        if self.editor != OFFICER:
            return self.initial_form_count()
        return super().total_form_count()

    def kept(self) -> list[tuple[RowForm, dict]]:
        """(form, base row) of every row the slot keeps, in page order: saved
        rows not marked 删除 and, once bound and valid, new rows holding
        something. Unbound: the saved rows."""
        kept = []
        for index, form in enumerate(self.forms):
            saved = index < len(self.saved_rows)
            if not self.is_bound:
                if saved:
                    kept.append((form, self.saved_rows[index]))
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            if saved:
                kept.append((form, self.saved_rows[index]))
            elif self.editor == OFFICER and form.has_changed() and form.has_content():
                kept.append((form, {"group": self.spec.entry.group.key}))
        return kept


def free_formset_class(max_rows: int, *, editable: bool):
    return forms.formset_factory(
        RowForm,
        formset=FreeRowFormSet,
        extra=1 if editable else 0,
        can_delete=editable,
        max_num=max_rows,
        validate_max=True,
        absolute_max=max_rows,
    )


@dataclass
class TableBlock:
    """One table of the page in print order: group headings the table's
    columns do not print (`heading`), fixed rows (`row`, a RowForm) and free
    slots (`free`, a FreeRowFormSet)."""

    table: Table
    items: list = field(default_factory=list)  # (kind, Group | RowForm | FreeRowFormSet)
    name_at: int | None = None  # the page's own name column (序号 or 项目), if any
    name_label: str = ""

    @property
    def headings(self) -> list[str]:
        """The column headings in print order."""
        labels = [column.label for column in self.table.columns]
        if self.name_at is not None:
            labels.insert(self.name_at, self.name_label)
        return labels

    @property
    def width(self) -> int:
        return len(self.headings) + bool(self.not_applicable) + bool(self.free_delete)

    @property
    def not_applicable(self) -> bool:
        return any((entry.row or entry.free).not_applicable for entry in self.table.entries())

    @property
    def free_delete(self) -> bool:
        return any(kind == "free" and item.can_delete for kind, item in self.items)

    def forms(self):
        return [item for kind, item in self.items if kind == "row"]

    def formsets(self):
        return [item for kind, item in self.items if kind == "free"]

    def row_forms(self) -> list[tuple[RowForm, dict]]:
        """(form, base row) of each row of the table as the document lists it."""
        rows = []
        for kind, item in self.items:
            if kind == "row":
                rows.append((item, item.saved_row))
            elif kind == "free":
                rows += item.kept()
        return rows


def _rows_by_key(document: dict, table: Table) -> tuple[dict, dict]:
    fixed, free = {}, {}
    for row in (document.get("tables") or {}).get(table.key) or []:
        if row.get("row"):
            fixed[row["row"]] = row
        elif row.get("group"):
            free.setdefault(row["group"], []).append(row)
    return fixed, free


def table_block(*, table: Table, document: dict, data, editor: str | None) -> TableBlock:
    fixed, free = _rows_by_key(document, table)
    name_at, name_label = name_column(table)
    block = TableBlock(table=table, name_at=name_at, name_label=name_label)
    headings = shows_headings(table)
    shown: set[str] = set()
    for entry in table.entries():
        for group in entry.path:
            if headings and group.key not in shown:
                block.items.append(("heading", group))
            shown.add(group.key)
        spec = RowSpec(table=table, entry=entry)
        if entry.row is not None:
            saved = fixed.get(entry.row.key) or {"row": entry.row.key}
            form = RowForm(
                data,
                spec=spec,
                editor=editor,
                prefix=f"r-{entry.row.key}",
                initial=initial_of(saved),
            )
            form.saved_row = saved
            block.items.append(("row", form))
        else:
            formset = free_formset_class(entry.free.max_rows, editable=editor == OFFICER)(
                data,
                spec=spec,
                editor=editor,
                saved_rows=free.get(entry.group.key, []),
                prefix=f"f-{entry.group.key}",
            )
            block.items.append(("free", formset))
    _mark_continued(block)
    return block


def _mark_continued(block: TableBlock) -> None:
    """A group label printed in a level column shows on the first row of the
    group only, as on paper (the cells below it stay empty)."""
    previous: tuple[Group, ...] = ()
    for kind, item in block.items:
        if kind == "heading":
            continue
        forms_ = [item] if kind == "row" else item.forms
        path = item.spec.entry.path
        for form in forms_:
            depth = 0
            while depth < min(len(path), len(previous)) and path[depth] is previous[depth]:
                depth += 1
            form.continued_levels = {f"level{level}" for level in range(1, depth + 1)}
            previous = path


# --- the whole page -------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """One refused value: where ("公用经费控制率 自评得分") and why, with the id
    of its field."""

    label: str
    message: str
    anchor: str


class GenericPageForms:
    """Every form of a generic filing page, bound to `data` (a POST) or not.

    `editor` is OFFICER (a draft or returned filing, its department's officer),
    REVIEWER (a submitted filing, a reviewer of its jurisdiction) or None
    (read only). `document` is the saved document as `perfeval-filing/2` JSON.
    """

    def __init__(self, *, template: FormTemplate, document: dict, data=None, editor=None):
        self.template = template
        self.document = document
        self.editor = editor
        locked = editor != OFFICER
        self.header = HeaderForm(
            data, template=template, prefix="header", initial=document.get("header") or {}
        ).lock(locked)
        self.tables = [
            table_block(table=table, document=document, data=data, editor=editor)
            for table in template.tables
        ]
        self.narrative = NarrativeForm(
            data, template=template, prefix="narrative", initial=document.get("narrative") or {}
        ).lock(locked)
        self.officer_total = None
        if template.scoring.points == "officer_total":
            self.officer_total = OfficerTotalForm(
                data,
                template=template,
                prefix="total",
                initial=document.get("officer_total") or {},
            ).lock(locked)
        self.contact = ContactForm(
            data, prefix="contact", initial=document.get("contact") or {}
        ).lock(locked)

    @property
    def editable(self) -> bool:
        return self.editor is not None

    def _forms(self):
        yield self.header
        for block in self.tables:
            yield from block.forms()
        yield self.narrative
        if self.officer_total is not None:
            yield self.officer_total
        yield self.contact

    def _formsets(self):
        for block in self.tables:
            yield from block.formsets()

    def is_valid(self) -> bool:
        # Every form is validated (no short-circuit) so that every error shows.
        results = [form.is_valid() for form in self._forms()]
        results += [formset.is_valid() for formset in self._formsets()]
        return all(results)

    def error_count(self) -> int:
        count = sum(len(form.errors) for form in self._forms())
        for formset in self._formsets():
            count += len(formset.non_form_errors())
            count += sum(len(errors) for errors in formset.errors)
        return count

    def refused(self) -> list[Refused]:
        """Every error of the bound forms in page order, each naming its row
        and column, with the id of the field to jump to."""
        items = _form_refused(self.header, where="表头 ")
        for block in self.tables:
            for kind, item in block.items:
                if kind == "row":
                    items += _form_refused(item, where=f"{block.table.title} {item.title} ")
                elif kind == "free":
                    for message in item.non_form_errors():
                        items.append(Refused(label=item.slot_label, message=message, anchor=""))
                    for form in item.forms:
                        items += _form_refused(form, where=f"{block.table.title} {form.title} ")
        items += _form_refused(self.narrative, where="")
        if self.officer_total is not None:
            items += _form_refused(self.officer_total, where="")
        items += _form_refused(self.contact, where="填报信息 ")
        return items

    def row_forms(self, table_key: str) -> list[RowForm]:
        """The forms of the rows of table `table_key`, in document order."""
        block = next(block for block in self.tables if block.table.key == table_key)
        return [form for form, _base in block.row_forms()]

    def document_json(self) -> dict:
        """The saved document with the page's values (bound and valid forms only)."""
        result = dict(self.document)
        result["header"] = _merged(self.document.get("header"), self.header.values())
        tables = dict(self.document.get("tables") or {})
        for block in self.tables:
            tables[block.table.key] = [form.row_values(base) for form, base in block.row_forms()]
        result["tables"] = tables
        result["narrative"] = _merged(self.document.get("narrative"), self.narrative.values())
        if self.officer_total is not None:
            result["officer_total"] = _merged(
                self.document.get("officer_total"), self.officer_total.values()
            )
        result["contact"] = _merged(self.document.get("contact"), self.contact.values())
        return result


def _merged(saved, values: dict) -> dict:
    """`saved` with `values`, empty values left out (the document omits them)."""
    merged = {key: value for key, value in (saved or {}).items() if key not in values}
    merged.update({key: value for key, value in values.items() if value != ""})
    return merged


def _form_refused(form, *, where: str) -> list[Refused]:
    items = []
    for name, errors in form.errors.items():
        if name == "__all__" or name not in form.fields:
            items += [Refused(label=where.strip(), message=error, anchor="") for error in errors]
            continue
        bound = form[name]
        items += [
            Refused(label=f"{where}{bound.label}", message=error, anchor=bound.id_for_label)
            for error in errors
        ]
    return items
