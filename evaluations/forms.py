"""Forms of the filing pages: they parse and render single values, nothing more.

Single-value rules (a number, at most two decimals, not negative, a text within
its length limit, 得分 not above 分值 on its own row) refuse the value on its
field; every rule that spans rows or parts is a finding of the validation
service and never refuses a draft.
"""

from dataclasses import dataclass

from django import forms
from django.db import models
from django.forms import BaseModelFormSet, modelformset_factory

from .core.hunan import BASIC_ROW_INDENT, REPORT_KEYS
from .core.limits import (
    MAX_BUILDINGS,
    MAX_DEVIATION_LENGTH,
    MAX_INDICATOR_ROWS,
    MAX_PROJECT_ITEMS,
)
from .models import (
    BasicDataRow,
    Building,
    Filing,
    Funds,
    Indicator,
    Profile,
    Project,
    ProjectItem,
    Report,
)
from .validators import (
    MAX_TEXT_LENGTH,
    MAX_YEAR,
    MIN_YEAR,
    typed_number,
    validate_non_negative,
)


@dataclass(frozen=True)
class Quantity:
    """What a number field holds: the word its messages use ("得分不能为负数"),
    the form it expects ("万元", "整数"), an example, and the units an officer
    may type after the number."""

    noun: str
    expects: str
    example: str
    units: tuple[str, ...] = ()
    # A unit that looks right but means another magnitude: 元 where 万元 is meant.
    wrong_units: tuple[str, ...] = ()

    def messages(self) -> dict[str, str]:
        return {
            "invalid": f"请输入{self.noun}（{self.expects}），如 {self.example}。",
            "wrong_unit": (
                f"{self.noun}的单位是{self.expects}，请换算为{self.expects}后填写，"
                f"如 {self.example}。"
            ),
            "negative": f"{self.noun}不能为负数。",
            "min_value": f"{self.noun}不能为负数。",
            "max_value": f"{self.noun}过大。",
            "max_digits": f"{self.noun}数字过长：最多 14 位。",
            "max_decimal_places": f"{self.noun}最多两位小数。",
            "max_whole_digits": f"{self.noun}整数部分最多 12 位。",
            "required": "此项为必填项。",
        }


MONEY = Quantity("金额", "万元", "1380.50", units=("万元", "万"), wrong_units=("元",))
AREA = Quantity("面积", "㎡", "1200.00", units=("㎡", "m2", "m²", "平方米"))
WEIGHT = Quantity("分值", "分", "10", units=("分",))
SCORE = Quantity("得分", "分", "9.50", units=("分",))
PEOPLE = Quantity("人数", "整数", "36", units=("人",))
# Every other DecimalField of a filing is an amount in 万元, every
# PositiveIntegerField a number of people.
QUANTITY_OF_FIELD = {
    "weight": WEIGHT,
    "score": SCORE,
    "approved_area": AREA,
    "actual_area": AREA,
}

TEXT_ERRORS = {
    "max_length": "文字过长：最多 %(limit_value)d 个字符，当前 %(show_value)d 个。",
    "required": "此项为必填项。",
}


def _typed(field, value):
    """`value` as plain numerals, or the field's own message saying what it expects."""
    if value in field.empty_values:
        return None
    text = str(value)
    numeral = typed_number(text, units=field.quantity.units)
    if numeral is not None:
        return numeral
    stripped = text.translate({0x3000: " "}).strip()
    if any(stripped.endswith(unit) for unit in field.quantity.wrong_units) and not any(
        stripped.endswith(unit) for unit in field.quantity.units
    ):
        raise forms.ValidationError(field.error_messages["wrong_unit"], code="wrong_unit")
    raise forms.ValidationError(field.error_messages["invalid"], code="invalid")


class AmountField(forms.DecimalField):
    """An amount in 万元, a weight, a score or an area: a decimal with at most
    two places, typed the way people type it (validators.typed_number), with
    messages that name what the field holds.

    Plain text input (not type=number) so that what the officer typed comes
    back unchanged when the page is shown again with an error.
    """

    def __init__(self, *, quantity=MONEY, allow_negative=False, **kwargs):
        self.quantity = quantity
        self.allow_negative = allow_negative
        kwargs["error_messages"] = {**quantity.messages(), **kwargs.get("error_messages", {})}
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs["localize"] = False
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "inputmode": "decimal",
                    "class": "form-control form-control-sm text-end amount",
                    "autocomplete": "off",
                }
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(_typed(self, value))

    def validate(self, value):
        super().validate(value)
        # Checked here rather than left to the model's validate_non_negative,
        # whose message can only say 金额: the field knows what it holds.
        if not self.allow_negative and value is not None and value < 0:
            raise forms.ValidationError(self.error_messages["negative"], code="negative")


class PeopleField(forms.IntegerField):
    """A number of people, typed as people type it ("36", "３６", "1,200人")."""

    def __init__(self, *, quantity=PEOPLE, **kwargs):
        self.quantity = quantity
        kwargs["error_messages"] = {**quantity.messages(), **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(_typed(self, value))


def formfield_for(model_field, **kwargs):
    """Chinese messages and compact widgets for every model field of a form."""
    if isinstance(model_field, models.DecimalField):
        return model_field.formfield(
            form_class=AmountField,
            quantity=QUANTITY_OF_FIELD.get(model_field.name, MONEY),
            # Which rows may go below zero is the model's rule (money_field,
            # BasicDataRow.clean); the form refuses only what it never allows.
            allow_negative=validate_non_negative not in model_field.validators,
            **kwargs,
        )
    if isinstance(model_field, models.PositiveIntegerField):
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"inputmode": "numeric", "class": "form-control form-control-sm text-end"}
            ),
        )
        return model_field.formfield(form_class=PeopleField, **kwargs)
    if isinstance(model_field, models.TextField):
        kwargs.setdefault(
            "widget",
            forms.Textarea(
                attrs={"rows": 4, "class": "form-control", "maxlength": model_field.max_length}
            ),
        )
        field = model_field.formfield(**kwargs)
        field.error_messages.update(TEXT_ERRORS)
        return field
    if isinstance(model_field, models.DateField):
        kwargs.setdefault(
            "widget",
            forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        )
        field = model_field.formfield(**kwargs)
        field.error_messages.update({"invalid": "请输入日期，格式如 2024-07-30。"})
        return field
    if isinstance(model_field, models.BooleanField):
        return model_field.formfield(**kwargs)
    field = model_field.formfield(**kwargs)
    if field is not None:
        field.error_messages.update(TEXT_ERRORS)
        field.widget.attrs.setdefault("class", "form-control")
    return field


class PartForm(forms.ModelForm):
    """Base of every filing form: Chinese messages, Bootstrap classes."""

    class Meta:
        formfield_callback = formfield_for


class ProfileForm(PartForm):
    class Meta(PartForm.Meta):
        model = Profile
        fields = [
            "organization",
            "functions",
            "goal_setting",
            "authorized",
            "actual",
            "retired",
            "survivor_subsidy",
        ]


class FundsForm(PartForm):
    class Meta(PartForm.Meta):
        model = Funds
        fields = [
            "initial_budget",
            "full_year_budget",
            "executed",
            "weight",
            "general_budget",
            "government_fund",
            "special_account",
            "other",
            "basic",
            "project",
            "personnel",
            "public",
        ]


class GoalForm(PartForm):
    """附件2 年度总体目标."""

    class Meta(PartForm.Meta):
        model = Filing
        fields = ["goal_expected", "goal_actual"]


class AusterityForm(PartForm):
    """附件1 厉行节约保障措施."""

    class Meta(PartForm.Meta):
        model = Filing
        fields = ["austerity_measures"]


class ContactForm(PartForm):
    class Meta(PartForm.Meta):
        model = Filing
        fields = ["preparer", "filled_on", "phone", "head"]

    def clean_filled_on(self):
        filled_on = self.cleaned_data.get("filled_on")
        if filled_on is not None and not MIN_YEAR <= filled_on.year <= MAX_YEAR:
            raise forms.ValidationError(f"年份须在 {MIN_YEAR} 至 {MAX_YEAR} 之间。")
        return filled_on


class ReportForm(PartForm):
    class Meta(PartForm.Meta):
        model = Report
        fields = list(REPORT_KEYS)


class ProjectForm(PartForm):
    """附件3 header, funds grid and 年度总体目标 of one project."""

    class Meta(PartForm.Meta):
        model = Project
        fields = [
            "name",
            "department_in_charge",
            "implementer",
            "weight",
            "total_initial_budget",
            "total_full_year_budget",
            "total_executed",
            "current_initial_budget",
            "current_full_year_budget",
            "current_executed",
            "carryover_initial_budget",
            "carryover_full_year_budget",
            "carryover_executed",
            "other_initial_budget",
            "other_full_year_budget",
            "other_executed",
            "goal_expected",
            "goal_actual",
        ]

    # Rows × columns of the paper form's 项目资金 grid.
    FUND_ROWS = (
        ("total", "年度资金总额"),
        ("current", "其中：当年财政拨款"),
        ("carryover", "上年结转资金"),
        ("other", "其他资金"),
    )
    FUND_COLUMNS = (
        ("initial_budget", "年初预算数"),
        ("full_year_budget", "全年预算数"),
        ("executed", "全年执行数"),
    )

    def fund_grid(self):
        return [
            (
                row,
                label,
                [
                    (self[f"{row}_{column}"], column_label)
                    for column, column_label in self.FUND_COLUMNS
                ],
            )
            for row, label in self.FUND_ROWS
        ]


class ProjectAddForm(forms.Form):
    name = forms.CharField(
        label="项目名称",
        max_length=200,
        error_messages=TEXT_ERRORS,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "如：区委办专项"}),
    )


class BasicRowForm(PartForm):
    """One fixed row of 附件1; only the rows the Hunan template signs may be
    negative (BasicDataRow.clean)."""

    class Meta(PartForm.Meta):
        model = BasicDataRow
        fields = ["prior_final", "budget", "final"]

    @property
    def indent(self):
        return BASIC_ROW_INDENT.get(self.instance.key, 0)


class ProjectItemForm(PartForm):
    class Meta(PartForm.Meta):
        model = ProjectItem
        fields = ["name", "prior_final", "budget", "final"]
        widgets = {"name": forms.TextInput(attrs={"class": "form-control form-control-sm"})}
        error_messages = {"name": {"required": "请填写项目名称。"}}


class BuildingForm(PartForm):
    class Meta(PartForm.Meta):
        model = Building
        fields = ["name", "approved_area", "actual_area", "budget_investment", "actual_investment"]
        widgets = {"name": forms.TextInput(attrs={"class": "form-control form-control-sm"})}
        error_messages = {"name": {"required": "请填写楼堂馆所名称。"}}


class IndicatorForm(PartForm):
    """One 绩效指标 row. 得分 above 分值 is refused here because it is wrong on
    its own row whatever the rest of the table says."""

    not_applicable = forms.BooleanField(label="不适用", required=False)

    class Meta(PartForm.Meta):
        model = Indicator
        fields = ["level1", "level2", "name", "target", "actual", "weight", "score", "deviation"]
        widgets = {
            "level1": forms.TextInput(
                attrs={"class": "form-control form-control-sm", "list": "level1-options"}
            ),
            "level2": forms.TextInput(
                attrs={"class": "form-control form-control-sm", "list": "level2-options"}
            ),
            "name": forms.Textarea(attrs={"class": "form-control form-control-sm", "rows": 2}),
            "target": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            "actual": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            "deviation": forms.Textarea(
                attrs={
                    "class": "form-control form-control-sm",
                    "rows": 2,
                    "maxlength": MAX_DEVIATION_LENGTH,
                }
            ),
        }
        error_messages = {"level1": {"required": "请填写一级指标。"}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["not_applicable"].initial = not self.instance.applicable

    def clean(self):
        cleaned = super().clean()
        not_applicable = cleaned.get("not_applicable", False)
        # A 不适用 row carries no weight and no score (docs/filing-format.md).
        self.instance.applicable = not not_applicable
        if not_applicable:
            cleaned["weight"] = None
            cleaned["score"] = None
            return cleaned
        weight, score = cleaned.get("weight"), cleaned.get("score")
        if weight is not None and score is not None and score > weight:
            self.add_error("score", f"得分不能超过分值（{weight}）。")
        return cleaned


ROW_GONE = "表中有一行已不存在（可能已被删除），请刷新页面后重新填写。"


class RowChoiceField(forms.ModelChoiceField):
    """The hidden id of a saved row: one of the formset's own rows, looked up
    among those the formset has read already. (Django's own field asks the
    database once per row, and accepts a row of any filing.)"""

    def __init__(self, formset, **kwargs):
        super().__init__(queryset=formset.get_queryset(), **kwargs)
        self.formset = formset

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            pk = self.queryset.model._meta.pk.to_python(value)
        except forms.ValidationError:
            pk = None
        row = self.formset._existing_object(pk) if pk is not None else None
        if row is None:
            raise forms.ValidationError(ROW_GONE, code="invalid_choice")
        return row


class RowFormSet(BaseModelFormSet):
    """A table of saved rows of one filing."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        name = self._pk_field.name
        field = form.fields[name]
        form.fields[name] = RowChoiceField(
            self, initial=field.initial, required=False, widget=field.widget
        )

    def clean(self):
        super().clean()
        # The id is a hidden field: say so above the table. (The model's pk,
        # not self._pk_field: that is set only once a row is built, and a
        # broken management form builds none.)
        name = self.model._meta.pk.name
        if any(name in form.errors for form in self.forms):
            raise forms.ValidationError(ROW_GONE)


class OrderedFormSet(RowFormSet):
    """Rows the officer adds, removes (删除) and reorders (顺序). Without
    JavaScript the extra blank rows and the 顺序 numbers do the same job.

    Each table holds at most `max_num` rows (services/limits.py); a page
    posting more is refused as a whole, blank rows counted, deleted ones not."""

    default_error_messages = {
        "too_many_forms": "此表最多 %(num)d 行，请删去多余的行后再保存。",
    }

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "ORDER" in form.fields:
            form.fields["ORDER"].label = "顺序"
            form.fields["ORDER"].error_messages["invalid"] = "请输入整数。"
            form.fields["ORDER"].widget = forms.NumberInput(
                attrs={"class": "form-control form-control-sm order-input", "min": 0}
            )
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "删除"
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input delete-input"


class BasicRowFormSet(RowFormSet):
    pass


BasicRowFormSetFactory = modelformset_factory(
    BasicDataRow, form=BasicRowForm, formset=BasicRowFormSet, extra=0, can_delete=False
)
ProjectItemFormSet = modelformset_factory(
    ProjectItem,
    form=ProjectItemForm,
    formset=OrderedFormSet,
    extra=2,
    can_delete=True,
    can_order=True,
    max_num=MAX_PROJECT_ITEMS,
    validate_max=True,
)
BuildingFormSet = modelformset_factory(
    Building,
    form=BuildingForm,
    formset=OrderedFormSet,
    extra=1,
    can_delete=True,
    can_order=True,
    max_num=MAX_BUILDINGS,
    validate_max=True,
)
IndicatorFormSet = modelformset_factory(
    Indicator,
    form=IndicatorForm,
    formset=OrderedFormSet,
    extra=2,
    can_delete=True,
    can_order=True,
    max_num=MAX_INDICATOR_ROWS,
    validate_max=True,
)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="JSON 文件（perfeval-filing/2 或 /1）",
        error_messages={"required": "请选择要导入的文件。", "empty": "文件是空的。"},
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": ".json,application/json"}
        ),
    )
    replace = forms.BooleanField(
        label="覆盖已有填报（仅限已退回的填报）",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class TransitionForm(forms.Form):
    """The form behind a status button: the reason or comment, and the status
    the page showed (so a move decided on an outdated page is refused). Whether
    a reason is required, and how long it must be, is the workflow service's
    rule, not the form's."""

    comment = forms.CharField(
        label="意见",
        required=False,
        max_length=MAX_TEXT_LENGTH,
        error_messages=TEXT_ERRORS,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
    status = forms.CharField(required=False, widget=forms.HiddenInput)
