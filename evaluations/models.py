from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from departments.models import Department, Jurisdiction

from .core.hunan import ADVISORY_LEVEL1_ATTRIBUTES, BASIC_ROW_LABELS, SIGNED_BASIC_ROWS
from .core.limits import (
    MAX_DEVIATION_LENGTH,
    MAX_GOAL_LENGTH,
    MAX_INDICATOR_CELL_LENGTH,
    MAX_LEVEL_LENGTH,
    MAX_TEXT_LENGTH,
)
from .validators import (
    TextLengthValidator,
    validate_non_negative,
    validate_text_length,
)


def money_field(verbose_name, *, allow_negative=False, **kwargs):
    """An amount in 万元 (or a weight, score or area): Decimal, 2 places, may be empty."""
    validators = [] if allow_negative else [validate_non_negative]
    kwargs.setdefault("null", True)
    kwargs.setdefault("blank", True)
    return models.DecimalField(
        verbose_name, max_digits=14, decimal_places=2, validators=validators, **kwargs
    )


def text_field(verbose_name, *, max_length=MAX_TEXT_LENGTH):
    """A text of at most `max_length` characters (bounds: services/limits.py)."""
    validator = (
        validate_text_length if max_length == MAX_TEXT_LENGTH else TextLengthValidator(max_length)
    )
    return models.TextField(verbose_name, blank=True, max_length=max_length, validators=[validator])


class ScoringTemplate(models.Model):
    """评分模板: provinces differ, so the scoring constants are data."""

    class ReverseFormula(models.TextChoices):
        # DOMAIN.md: A < B < 2A → (1 − (B − A)/A) × w; B ≥ 2A → 0.
        LINEAR = "linear", _("线性扣分：(1 − (B − A)/A) × 分值")
        # Some provinces use A/B × w instead.
        RATIO = "ratio", _("比例：A/B × 分值")

    name = models.CharField(_("模板名称"), max_length=100, unique=True)
    execution_weight = money_field(
        _("预算执行率分值"), null=False, blank=False, default=Decimal("10")
    )
    output_weight = money_field(
        _("产出指标建议分值"), null=False, blank=False, default=Decimal("50")
    )
    benefit_weight = money_field(
        _("效益指标建议分值"), null=False, blank=False, default=Decimal("30")
    )
    satisfaction_weight = money_field(
        _("满意度指标建议分值"), null=False, blank=False, default=Decimal("10")
    )
    grade_excellent = money_field(_("“优”下限"), null=False, blank=False, default=Decimal("90"))
    grade_good = money_field(_("“良”下限"), null=False, blank=False, default=Decimal("80"))
    grade_pass = money_field(_("“中”下限"), null=False, blank=False, default=Decimal("60"))
    reverse_formula = models.CharField(
        _("反向指标计分公式"),
        max_length=20,
        choices=ReverseFormula.choices,
        default=ReverseFormula.LINEAR,
    )
    deviation_required = models.BooleanField(_("未得满分须填写偏差原因"), default=True)
    allow_normalization = models.BooleanField(
        _("允许不适用指标按满分折算"),
        default=False,
        help_text=_("开启后满分不等于100不再作为错误，总分按换算得分评定等次。"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("评分模板")
        verbose_name_plural = _("评分模板")

    def __str__(self):
        return self.name

    @property
    def advisory_level1_weights(self):
        return {
            label: getattr(self, attribute)
            for label, attribute in ADVISORY_LEVEL1_ATTRIBUTES.items()
        }


class FiscalYear(models.Model):
    """年度: the year evaluated, its filing deadline and default template."""

    year = models.PositiveIntegerField(
        _("年度"), unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    deadline = models.DateField(_("报送截止日期"), null=True, blank=True)
    is_open = models.BooleanField(_("开放填报"), default=True)
    default_template = models.ForeignKey(
        ScoringTemplate,
        on_delete=models.PROTECT,
        related_name="fiscal_years",
        verbose_name=_("默认评分模板"),
    )
    # The forms the year's filings are made on, unless their jurisdiction names
    # others for the year (JurisdictionYearTemplate). Empty: the default
    # template, hunan-overall@2023 (services.form_templates.form_template_for).
    form_template = models.ForeignKey(
        "FormTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fiscal_years",
        verbose_name=_("表式模板"),
        help_text=_("本年度新建自评使用的表式；为空时使用湖南表式 hunan-overall@2023。"),
    )

    class Meta:
        ordering = ["-year"]
        verbose_name = _("年度")
        verbose_name_plural = _("年度")

    def __str__(self):
        return f"{self.year}年度"


# What lists and pages show instead of a 等次 while parts of a filing are missing.
GRADE_INCOMPLETE = "未完成"


class FormLayout(models.TextChoices):
    """How a form template's filings are shown, stored and printed."""

    GENERIC = "generic", _("按模板通用渲染")
    HUNAN = "hunan", _("湖南表式（专用页面）")


class Filing(models.Model):
    """部门整体支出绩效自评: one per department and fiscal year.

    The status is changed only by the workflow service.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已报送")
        RETURNED = "returned", _("已退回")
        APPROVED = "approved", _("已审核")
        PUBLISHED = "published", _("已公开")
        # Instead of a deletion: the filing, its history and its frozen report
        # stay, read-only and off 信息公开, until an administrator restores it.
        WITHDRAWN = "withdrawn", _("已撤销")

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="filings", verbose_name=_("预算部门")
    )
    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.PROTECT, related_name="filings", verbose_name=_("年度")
    )
    template = models.ForeignKey(
        ScoringTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="filings",
        verbose_name=_("评分模板"),
        help_text=_("为空时使用年度默认模板。"),
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # Figures of the last save, kept so that lists and the dashboard need no
    # scoring per row; written only by services.summary.filing_summary_refresh.
    total_score = money_field(_("总分"), editable=False)
    grade = models.CharField(_("等次"), max_length=2, blank=True, editable=False)
    execution_rate = money_field(_("预算执行率"), editable=False)
    error_count = models.PositiveIntegerField(_("错误数"), default=0, editable=False)
    warning_count = models.PositiveIntegerField(_("警告数"), default=0, editable=False)
    # Parts still missing (services.summary.document_missing_parts): while any
    # is, lists show 未完成 instead of the 等次.
    missing_count = models.PositiveIntegerField(_("未填部分数"), default=0, editable=False)

    # The report frozen at approval (DOMAIN.md): rendered once by a background
    # task, downloads return exactly these bytes; reopening discards them.
    report_pdf = models.FileField(
        _("审核版报告"), upload_to="reports/%Y/", blank=True, editable=False
    )
    report_sha256 = models.CharField(_("报告 SHA-256"), max_length=64, blank=True, editable=False)
    report_size = models.PositiveIntegerField(
        _("报告字节数"), null=True, blank=True, editable=False
    )
    report_rendered_at = models.DateTimeField(
        _("报告生成时间"), null=True, blank=True, editable=False
    )

    # 附件2 年度总体目标
    goal_expected = text_field(_("预期目标"), max_length=MAX_GOAL_LENGTH)
    goal_actual = text_field(_("实际完成情况"), max_length=MAX_GOAL_LENGTH)
    # 附件1 厉行节约保障措施
    austerity_measures = text_field(_("厉行节约保障措施"))
    # 填报信息
    preparer = models.CharField(_("填表人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=50, blank=True)
    filled_on = models.DateField(_("填报日期"), null=True, blank=True)
    head = models.CharField(_("单位负责人"), max_length=50, blank=True)
    # The year whose filing this one was pre-filled from (services.filings); the
    # pages ask the officer to check every copied row until the first submission.
    prefilled_from_year = models.PositiveSmallIntegerField(
        _("预填来源年度"), null=True, blank=True, editable=False
    )
    # The forms this filing is made on: set when it is created
    # (services.form_templates.form_template_for) and never changed, so its
    # rows always mean what they meant. Empty only on a row made outside the
    # services, read as the default template hunan-overall@2023.
    form_template = models.ForeignKey(
        "FormTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="filings",
        verbose_name=_("表式模板"),
    )
    # Of a filing on a generic-layout template: everything outside its table
    # rows (FilingRow), as {"header": {key: value}, "narrative": {key: text},
    # "officer_total": {"score": "…", "grade": "…"} or null}, values as the
    # perfeval-filing/2 document writes them; the contact lines use the
    # columns above (preparer, phone, filled_on, head). Empty for Hunan filings.
    values = models.JSONField(_("表式填报内容"), default=dict, blank=True, editable=False)
    # The layout of form_template, copied when the filing is made (a filing
    # never changes template): every page asks for it, and reading it here
    # costs no query and no decoding of the template's content.
    layout = models.CharField(
        _("版式"),
        max_length=20,
        choices=FormLayout.choices,
        default=FormLayout.HUNAN,
        editable=False,
    )

    class Meta:
        ordering = ["-fiscal_year__year", "department__name"]
        verbose_name = _("部门整体支出绩效自评")
        verbose_name_plural = _("部门整体支出绩效自评")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "fiscal_year"], name="filing_unique_per_department_year"
            ),
        ]

    def __str__(self):
        return f"{self.department} {self.fiscal_year.year}年度"

    def save(self, *args, **kwargs):
        if self._state.adding and self.form_template_id:
            self.layout = self.form_template.layout
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("evaluations:filing_part", args=[self.pk, "overview"])

    @property
    def grade_shown(self) -> str:
        """等次 as lists show it: 未完成 while parts are missing (missing_count,
        stored with the other figures of the last save)."""
        return GRADE_INCOMPLETE if self.missing_count else self.grade

    @property
    def scoring_template(self):
        return self.template or self.fiscal_year.default_template

    @property
    def is_editable(self):
        return self.status in {self.Status.DRAFT, self.Status.RETURNED}

    def get_additional_data(self):
        # django-auditlog stores this on each entry; see FilingPart.
        return {"filing_id": self.pk}


class FilingPart:
    """A model whose rows belong to one filing.

    django-auditlog stores `get_additional_data()` on every entry it writes, so
    the filing's history finds the entries of all its parts, rows deleted since
    included, with one query on `additional_data__filing_id`.
    """

    def get_additional_data(self):
        return {"filing_id": self.filing_id}


class Profile(FilingPart, models.Model):
    """部门基本情况 and 人员编制 (财政供养人员)."""

    filing = models.OneToOneField(
        Filing, on_delete=models.CASCADE, related_name="profile", verbose_name=_("填报")
    )
    organization = text_field(_("机构设置"))
    functions = text_field(_("主要职能职责"))
    goal_setting = text_field(_("绩效目标设定情况"))
    authorized = models.PositiveIntegerField(_("编制数"), null=True, blank=True)
    actual = models.PositiveIntegerField(_("实际在职人数"), null=True, blank=True)
    retired = models.PositiveIntegerField(_("退休人员"), null=True, blank=True)
    survivor_subsidy = models.PositiveIntegerField(_("遗属补助人数"), null=True, blank=True)

    class Meta:
        verbose_name = _("部门基本情况")
        verbose_name_plural = _("部门基本情况")

    def __str__(self):
        return f"{self.filing} 基本情况"


class Funds(FilingPart, models.Model):
    """年度资金: budget and execution, by source and by nature (万元)."""

    filing = models.OneToOneField(
        Filing, on_delete=models.CASCADE, related_name="funds", verbose_name=_("填报")
    )
    initial_budget = money_field(_("年初预算数"))
    full_year_budget = money_field(_("全年预算数"))
    executed = money_field(_("全年执行数"))
    weight = money_field(_("执行率分值"))
    general_budget = money_field(_("一般公共预算"))
    government_fund = money_field(_("政府性基金拨款"))
    special_account = money_field(_("纳入专户管理的非税收入拨款"))
    other = money_field(_("其他资金"))
    basic = money_field(_("基本支出"))
    project = money_field(_("项目支出"))
    personnel = money_field(_("人员经费"))
    public = money_field(_("公用经费"))

    class Meta:
        verbose_name = _("年度资金")
        verbose_name_plural = _("年度资金")

    def __str__(self):
        return f"{self.filing} 年度资金"


class BasicDataRow(FilingPart, models.Model):
    """One fixed row of 附件1 基础数据表, with its three columns (万元)."""

    # The rows and their labels are the Hunan template's (core.hunan).
    Key = models.TextChoices(
        "Key", [(key.upper(), (key, label)) for key, label in BASIC_ROW_LABELS.items()]
    )

    filing = models.ForeignKey(
        Filing, on_delete=models.CASCADE, related_name="basic_rows", verbose_name=_("填报")
    )
    key = models.CharField(_("项目"), max_length=40, choices=Key.choices)
    position = models.PositiveSmallIntegerField(_("顺序"))
    prior_final = money_field(_("上年决算数"), allow_negative=True)
    budget = money_field(_("本年预算数"), allow_negative=True)
    final = money_field(_("本年决算数"), allow_negative=True)

    class Meta:
        ordering = ["position"]
        verbose_name = _("基础数据行")
        verbose_name_plural = _("基础数据行")
        constraints = [
            models.UniqueConstraint(fields=["filing", "key"], name="basic_row_unique_key"),
        ]

    def __str__(self):
        return self.get_key_display()

    def clean(self):
        # Only the rows the template signs may go below zero (DOMAIN.md 附件1).
        if self.key in SIGNED_BASIC_ROWS:
            return
        errors = {}
        for field in ("prior_final", "budget", "final"):
            try:
                validate_non_negative(getattr(self, field))
            except ValidationError as error:
                errors[field] = error
        if errors:
            raise ValidationError(errors)


class ProjectItem(FilingPart, models.Model):
    """附件1 项目支出 detail: a free list of named items (names may repeat)."""

    filing = models.ForeignKey(
        Filing, on_delete=models.CASCADE, related_name="project_items", verbose_name=_("填报")
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("项目名称"), max_length=200)
    prior_final = money_field(_("上年决算数"))
    budget = money_field(_("本年预算数"))
    final = money_field(_("本年决算数"))

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("项目支出明细")
        verbose_name_plural = _("项目支出明细")

    def __str__(self):
        return self.name


class Building(FilingPart, models.Model):
    """附件1 楼堂馆所控制情况: one row per building."""

    filing = models.ForeignKey(
        Filing, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("填报")
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("楼堂馆所名称"), max_length=200)
    approved_area = money_field(_("批复规模（㎡）"))
    actual_area = money_field(_("实际规模（㎡）"))
    budget_investment = money_field(_("预算投资（万元）"))
    actual_investment = money_field(_("实际投资（万元）"))

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("楼堂馆所")
        verbose_name_plural = _("楼堂馆所")

    def __str__(self):
        return self.name


class Project(FilingPart, models.Model):
    """附件3 项目支出绩效自评表: one per project, with its own indicators."""

    filing = models.ForeignKey(
        Filing, on_delete=models.CASCADE, related_name="projects", verbose_name=_("填报")
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("项目名称"), max_length=200)
    department_in_charge = models.CharField(_("主管部门"), max_length=200, blank=True)
    implementer = models.CharField(_("实施单位"), max_length=200, blank=True)
    weight = money_field(_("执行率分值"))
    total_initial_budget = money_field(_("年度资金总额·年初预算数"))
    total_full_year_budget = money_field(_("年度资金总额·全年预算数"))
    total_executed = money_field(_("年度资金总额·全年执行数"))
    current_initial_budget = money_field(_("当年财政拨款·年初预算数"))
    current_full_year_budget = money_field(_("当年财政拨款·全年预算数"))
    current_executed = money_field(_("当年财政拨款·全年执行数"))
    carryover_initial_budget = money_field(_("上年结转资金·年初预算数"))
    carryover_full_year_budget = money_field(_("上年结转资金·全年预算数"))
    carryover_executed = money_field(_("上年结转资金·全年执行数"))
    other_initial_budget = money_field(_("其他资金·年初预算数"))
    other_full_year_budget = money_field(_("其他资金·全年预算数"))
    other_executed = money_field(_("其他资金·全年执行数"))
    goal_expected = text_field(_("预期目标"), max_length=MAX_GOAL_LENGTH)
    goal_actual = text_field(_("实际完成情况"), max_length=MAX_GOAL_LENGTH)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("项目支出绩效自评表")
        verbose_name_plural = _("项目支出绩效自评表")

    def __str__(self):
        return self.name


class Indicator(FilingPart, models.Model):
    """绩效指标 row of 附件2 (project is empty) or of a 附件3 project table."""

    filing = models.ForeignKey(
        Filing, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("填报")
    )
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name=_("项目"),
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    level1 = models.CharField(_("一级指标"), max_length=MAX_LEVEL_LENGTH)
    level2 = models.CharField(_("二级指标"), max_length=MAX_LEVEL_LENGTH, blank=True)
    name = models.CharField(_("三级指标"), max_length=MAX_INDICATOR_CELL_LENGTH, blank=True)
    target = models.CharField(_("年度指标值"), max_length=MAX_INDICATOR_CELL_LENGTH, blank=True)
    actual = models.CharField(_("实际完成值"), max_length=MAX_INDICATOR_CELL_LENGTH, blank=True)
    weight = money_field(_("分值"))
    score = money_field(_("得分"))
    deviation = text_field(_("偏差原因分析及改进措施"), max_length=MAX_DEVIATION_LENGTH)
    applicable = models.BooleanField(_("适用"), default=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("绩效指标")
        verbose_name_plural = _("绩效指标")

    def __str__(self):
        return self.name or self.level2 or self.level1


class Report(FilingPart, models.Model):
    """自评报告 narrative sections 二 to 十 (一 is built from the profile)."""

    filing = models.OneToOneField(
        Filing, on_delete=models.CASCADE, related_name="report", verbose_name=_("填报")
    )
    budget_overview = text_field(_("（一）预算执行、使用、管理总体情况"))
    basic_expenditure = text_field(_("基本支出情况"))
    project_expenditure = text_field(_("项目支出情况"))
    government_fund = text_field(_("三、政府性基金预算支出情况"))
    state_capital = text_field(_("四、国有资本经营预算支出情况"))
    social_insurance = text_field(_("五、社会保险基金预算支出情况"))
    performance_conclusion = text_field(_("（一）综合评价结论"))
    indicator_analysis = text_field(_("（二）评价指标分析"))
    problems = text_field(_("七、存在的问题及原因分析"))
    improvements = text_field(_("八、下一步改进措施"))
    result_application = text_field(_("九、部门整体支出绩效自评结果拟应用和公开情况"))
    other = text_field(_("十、其他需要说明的情况"))

    class Meta:
        verbose_name = _("自评报告")
        verbose_name_plural = _("自评报告")

    def __str__(self):
        return f"{self.filing} 自评报告"


class FilingCache(models.Model):
    """The saved content of a filing in document form, with the keys of its
    rows, as of `version`: what the filing pages read instead of every part's
    rows. Written only by services.summary (on every content save, and by a
    page that found none of the current version); never edited, never
    audit-logged, and safe to delete (it is read anew)."""

    filing = models.OneToOneField(
        Filing,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="cache",
        verbose_name=_("填报"),
    )
    version = models.PositiveIntegerField(_("版本"))
    data = models.JSONField(_("内容"))

    class Meta:
        verbose_name = _("填报内容缓存")
        verbose_name_plural = _("填报内容缓存")

    def __str__(self):
        return f"{self.filing_id} v{self.version}"


class FilingTransition(models.Model):
    """One status change of a filing: who, when, from, to, and why.

    Written only by the workflow service. `snapshot` keeps the filing as a
    `perfeval-filing` document at the moment of a return, so the reviewer can
    see what changed when it comes back.
    """

    filing = models.ForeignKey(
        Filing, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("填报")
    )
    from_status = models.CharField(_("原状态"), max_length=20, choices=Filing.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=20, choices=Filing.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="filing_transitions",
        verbose_name=_("操作人"),
    )
    comment = models.TextField(_("意见"), blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    snapshot = models.JSONField(_("当时的填报内容"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")

    def __str__(self):
        return f"{self.filing}: {self.get_from_status_display()} → {self.get_to_status_display()}"


# Who a revision names when no user made it: a command run without --actor,
# a data migration.
SYSTEM_ACTOR_NAME = "系统"


class FilingRevision(models.Model):
    """One version of a filing's content, as a `perfeval-filing/2` document
    (`/1` for the versions migration 0011 stored), without `computed`: what
    历史记录 and 自上次退回以来的修改 compare.

    Written only by services.persistence, one per content write, labelled with
    the version the write gave the filing; a status change bumps the version
    without a revision (its row is a FilingTransition). Never edited.
    """

    class Source(models.TextChoices):
        PAGE = "page", _("网页填报")
        JSON = "json", _("导入 JSON 文件")
        EXCEL = "excel", _("导入 Excel 工作簿")
        COMMAND = "command", _("命令行导入")
        PREFILL = "prefill", _("新建并带入上年数据")
        CREATE = "create", _("新建")
        MIGRATION = "migration", _("建立版本记录")

    filing = models.ForeignKey(
        Filing, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("填报")
    )
    version = models.PositiveIntegerField(_("版本"))
    document = models.JSONField(_("填报内容"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="filing_revisions",
        verbose_name=_("操作人"),
    )
    # Kept when the account is deleted; SYSTEM_ACTOR_NAME when no user acted.
    actor_name = models.CharField(_("操作人用户名"), max_length=150)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["filing", "version"]
        verbose_name = _("填报版本")
        verbose_name_plural = _("填报版本")
        constraints = [
            models.UniqueConstraint(
                fields=["filing", "version"], name="filing_revision_unique_version"
            ),
            models.CheckConstraint(
                condition=~models.Q(actor_name=""), name="filing_revision_actor_named"
            ),
        ]

    def __str__(self):
        return f"{self.filing_id} 第{self.version}版"


class FormTemplate(models.Model):
    """表式模板: one province's paper forms as data (`perfeval-form-template/1`,
    docs/form-templates.md), installed from its JSON file by
    services.form_templates.form_template_install.

    `code` and `version` are its identity. The content is never changed once
    installed (a changed form is a new version): filings made on it must keep
    meaning what they meant, so the service refuses other content under the
    same identity and the admin shows it read-only; PROTECT keeps one in use
    from being deleted.
    """

    Layout = FormLayout

    code = models.CharField(_("代码"), max_length=60)
    version = models.CharField(_("版本"), max_length=20)
    title = models.CharField(_("表名"), max_length=200)
    region = models.CharField(_("地区"), max_length=100, blank=True)
    layout = models.CharField(_("版式"), max_length=20, choices=Layout.choices)
    # The file as loaded (json.loads of its text), what `template()` reads.
    content = models.JSONField(_("模板内容"))
    # Of `content` as canonical JSON (keys sorted, UTF-8): the same for a file
    # saved again with other spacing, different for any other content.
    sha256 = models.CharField(_("内容 SHA-256"), max_length=64)
    installed_at = models.DateTimeField(_("安装时间"), auto_now_add=True)
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="installed_form_templates",
        verbose_name=_("安装人"),
    )

    class Meta:
        ordering = ["code", "version"]
        verbose_name = _("表式模板")
        verbose_name_plural = _("表式模板")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"], name="form_template_unique_version"
            ),
        ]

    def __str__(self):
        return f"{self.identity} {self.title}"

    @property
    def identity(self) -> str:
        return f"{self.code}@{self.version}"

    def template(self):
        """The parsed template (core.template.FormTemplate), read once per
        instance: the content was checked when installed and never changes."""
        parsed = self.__dict__.get("_parsed")
        if parsed is None:
            from .core.template import template_from_json

            parsed = self.__dict__["_parsed"] = template_from_json(self.content)
        return parsed


class JurisdictionYearTemplate(models.Model):
    """The forms a jurisdiction's filings of one year are made on, in place of
    the year's (FiscalYear.form_template): the fiscal year is national, the
    forms are the province's or city's."""

    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.CASCADE,
        related_name="form_templates",
        verbose_name=_("行政区划"),
    )
    fiscal_year = models.ForeignKey(
        FiscalYear,
        on_delete=models.CASCADE,
        related_name="jurisdiction_templates",
        verbose_name=_("年度"),
    )
    form_template = models.ForeignKey(
        FormTemplate,
        on_delete=models.PROTECT,
        related_name="jurisdiction_years",
        verbose_name=_("表式模板"),
    )

    class Meta:
        ordering = ["-fiscal_year__year", "jurisdiction__name"]
        verbose_name = _("行政区划年度表式")
        verbose_name_plural = _("行政区划年度表式")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "fiscal_year"], name="jurisdiction_year_template_unique"
            ),
        ]

    def __str__(self):
        return f"{self.jurisdiction} {self.fiscal_year}：{self.form_template.identity}"


class FilingRow(FilingPart, models.Model):
    """One table row of a filing on a generic-layout form template.

    A fixed row of the template names its key in `row`; a row the officer
    added names the group of its free slot in `group` (exactly one of the two
    is set). `cells` holds the row's typed cells as the perfeval-filing/2
    document writes them ("770.84", 12, "文字"), except the reviewer's
    评定分数 (the column of role review_score), kept in `review_score`.
    `position` is the row's place in its table, as printed. Written only by
    services.generic_persistence; the rest of such a filing is in
    `Filing.values`.
    """

    filing = models.ForeignKey(
        Filing, on_delete=models.CASCADE, related_name="rows", verbose_name=_("填报")
    )
    table = models.CharField(_("表"), max_length=60)
    position = models.PositiveSmallIntegerField(_("顺序"))
    row = models.CharField(_("固定行"), max_length=60, blank=True)
    group = models.CharField(_("自填行分组"), max_length=60, blank=True)
    cells = models.JSONField(_("单元格"), default=dict, blank=True)
    not_applicable = models.BooleanField(_("不适用"), default=False)
    reason = models.TextField(_("不适用原因"), blank=True)
    review_score = money_field(_("评定分数"))

    class Meta:
        ordering = ["table", "position"]
        verbose_name = _("表式行")
        verbose_name_plural = _("表式行")
        constraints = [
            models.UniqueConstraint(
                fields=["filing", "table", "position"], name="filing_row_unique_position"
            ),
            models.CheckConstraint(
                condition=(models.Q(row="") & ~models.Q(group=""))
                | (~models.Q(row="") & models.Q(group="")),
                name="filing_row_fixed_or_free",
            ),
        ]

    def __str__(self):
        return f"{self.table}[{self.position}] {self.row or self.group}"
