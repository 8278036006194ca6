"""Forms of 用户管理: they parse and render; the rules are in services.py.

Rendered with django-crispy-forms (Bootstrap 5 layout, labels, errors and
help texts) instead of hand-written field markup.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.contrib.auth.validators import UnicodeUsernameValidator

from .models import Department, Jurisdiction, Membership


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.jurisdiction.name} · {obj.name}"


class MembershipFields(forms.Form):
    """Role and scope: officer → 预算部门, reviewer → 行政区划, admin → neither."""

    role = forms.ChoiceField(label="角色", choices=Membership.Role.choices)
    department = DepartmentChoiceField(
        label="预算部门",
        queryset=Department.objects.select_related("jurisdiction"),
        required=False,
        empty_label="（不选）",
        help_text="单位填报人必选。",
    )
    jurisdiction = forms.ModelChoiceField(
        label="行政区划",
        queryset=Jurisdiction.objects.all(),
        required=False,
        empty_label="（不选）",
        help_text="财政局审核人必选。",
    )


class MembershipAddForm(MembershipFields):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("add", "添加角色"))


class UserCreateForm(MembershipFields):
    username = forms.CharField(
        label="用户名",
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="登录用，150 个字符以内，只能包含字母、数字和 @/./+/-/_。",
    )
    name = forms.CharField(label="姓名", max_length=150)
    email = forms.EmailField(label="电子邮箱", required=False)
    password = forms.CharField(
        label="初始密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password_confirm = forms.CharField(
        label="确认密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = [
        "username",
        "name",
        "email",
        "password",
        "password_confirm",
        "role",
        "department",
        "jurisdiction",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].required = False
        self.fields["role"].choices = [("", "暂不分配角色"), *Membership.Role.choices]
        self.helper = FormHelper()
        self.helper.add_input(Submit("create", "创建用户"))

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password and password != cleaned.get("password_confirm"):
            self.add_error("password_confirm", "两次输入的密码不一致。")
        return cleaned
