"""The Hunan family (hunan-overall) read from its form template instead of constants.

The Hunan pages, workbook and PDF are hand-made, but what they show — the 附件1
rows and their labels, the report sections and the scoring constants — is
declared once in `evaluations/form_templates/hunan-overall@2023.json`. These
functions read it from the loaded `FormTemplate`:

- `advisory_points` of the 附件2 groups 产出/效益/满意度指标: the suggested
  一级 weights (50/30/10), a warning, not a rule;
- `allow_negative` on the 附件1 row that may be negative (部门基本支出预算调整);
- `heading` of a narrative section that is a part of a numbered section
  (二（一）…: number "二", heading "一般公共预算支出情况");
- `indent` of a 附件1 row: how far the paper indents its label (公车运行维护
  sits under 其中：公车购置, one step further in);
- `checks`: the finding codes of `core.validation` the family applies.

`HUNAN_TEMPLATE` is the shipped file, read once; the constants at the end of
this module (BASIC_ROW_KEYS, BASIC_ROW_LABELS, …) are what the models, the
document, validation, interchange, forms, workbook and PDF use, so that no
label, order or sign rule of the Hunan forms is written anywhere else.

Pure: the standard library, other core modules and the shipped template files
(evaluations.form_templates, which reads files and nothing else).
"""

from decimal import Decimal

from ..form_templates import shipped_template_bytes
from .params import ScoringParams
from .template import (
    FormTemplate,
    Narrative,
    Table,
    TemplateError,
    TemplateProblem,
    template_from_bytes,
)

HUNAN_IDENTITY = "hunan-overall@2023"

BASIC_TABLE = "basic_data"
INDICATOR_TABLE = "indicators"
# 附件2 group key → the ScoringParams attribute of its advisory 一级 weight.
ADVISORY_GROUPS = {
    "output": "output_weight",
    "benefit": "benefit_weight",
    "satisfaction": "satisfaction_weight",
}
# Grade name → the ScoringParams attribute holding its lower bound.
GRADE_BOUNDS = {"优": "grade_excellent", "良": "grade_good", "中": "grade_pass"}
# Section 一、部门（单位）基本情况 is built from the filing's profile, not the report.
PROFILE_NUMBER = "一"

# Findings, the help page and docs/filing-format.md name 二（一） by a shorter name
# than its printed title "（一）预算执行、使用、管理总体情况".
SECTION_SHORT_NAMES = {"budget_overview": "预算执行总体情况"}


def hunan_params(template: FormTemplate) -> ScoringParams:
    """The scoring constants of a Hunan-layout template as a `ScoringParams`.

    Execution weight from `scoring.execution`; advisory 一级 weights from the
    `advisory_points` of the 附件2 groups output/benefit/satisfaction; grade
    bounds from the bands 优, 良, 中; the reverse formula from the rules of the
    附件2 free slots (they must agree); deviation required when `checks` lists
    deviation_missing; normalization allowed when `scoring.normalization` is
    applicable_maximum. Raises TemplateError (every problem with its path) when
    the template is not of the hunan layout or lacks one of them.
    """
    indicators = _hunan_table(template, INDICATOR_TABLE)
    problems: list[TemplateProblem] = []
    execution = template.scoring.execution
    if execution is None:
        problems.append(TemplateProblem("scoring.execution", "湖南表式须有预算执行率计分。"))
    weights = _advisory_weights(template, indicators, problems)
    bounds = {band.grade: band.min for band in template.scoring.grades}
    for grade in GRADE_BOUNDS:
        if grade not in bounds:
            problems.append(TemplateProblem("scoring.grades", f"湖南表式须有等次“{grade}”。"))
    formulas = {
        entry.free.rule.reverse_formula
        for entry in indicators.entries()
        if entry.free is not None and entry.free.rule is not None
    }
    if len(formulas) != 1:
        problems.append(
            TemplateProblem(
                _table_path(template, INDICATOR_TABLE),
                "附件2各自填行的计分规则须使用同一个反向指标公式（reverse_formula）。",
            )
        )
    if problems:
        raise TemplateError(problems)
    return ScoringParams(
        execution_weight=execution.weight,
        **{ADVISORY_GROUPS[key]: weight for key, weight in weights.items()},
        **{name: bounds[grade] for grade, name in GRADE_BOUNDS.items()},
        reverse_formula=formulas.pop(),
        deviation_required=template.checks_on("deviation_missing"),
        allow_normalization=template.scoring.normalization == "applicable_maximum",
    )


def advisory_level1_weights(template: FormTemplate) -> dict[str, Decimal]:
    """The suggested 一级 weights of 附件2 by group label ("产出指标" → 50), as
    `ScoringParams.advisory_level1_weights`. Raises TemplateError when a group
    output/benefit/satisfaction or its `advisory_points` is missing."""
    indicators = _hunan_table(template, INDICATOR_TABLE)
    problems: list[TemplateProblem] = []
    weights = _advisory_weights(template, indicators, problems)
    if problems:
        raise TemplateError(problems)
    return {indicators.group(key)[-1].label: weight for key, weight in weights.items()}


def basic_row_labels(template: FormTemplate) -> dict[str, str]:
    """附件1's fixed rows in print order: key → label as the paper prints it.
    Raises TemplateError when the template is not of the hunan layout."""
    return {row.key: row.label for row in _basic_rows(template)}


def basic_row_indent(template: FormTemplate) -> dict[str, int]:
    """附件1's fixed rows in print order: key → how many steps the paper
    indents the label (0 for 三公经费, 3 for 公车运行维护)."""
    return {row.key: row.indent for row in _basic_rows(template)}


def signed_basic_rows(template: FormTemplate) -> frozenset[str]:
    """The keys of the 附件1 rows whose amounts may be negative (`allow_negative`)."""
    return frozenset(row.key for row in _basic_rows(template) if row.allow_negative)


def report_sections(template: FormTemplate) -> tuple[Narrative, ...]:
    """The sections 二 to 十 of the report (the fields of the filing's Report), in order."""
    _hunan_table(template, BASIC_TABLE)
    return tuple(s for s in template.narrative if s.number != PROFILE_NUMBER)


def profile_sections(template: FormTemplate) -> tuple[Narrative, ...]:
    """The parts of section 一 (the fields of the filing's Profile), in order."""
    _hunan_table(template, BASIC_TABLE)
    return tuple(s for s in template.narrative if s.number == PROFILE_NUMBER)


def required_section_label(section: Narrative) -> str:
    """How a finding names a report section: "自评报告“七、存在的问题及原因分析”",
    or for a part of a numbered section "自评报告“六、部门整体支出绩效情况”的综合评价结论"
    (the part's title without its "（一）"). A part may name itself shorter
    than its printed title through SECTION_SHORT_NAMES."""
    if not section.heading:
        return f"自评报告“{section.number}、{section.title}”"
    name = SECTION_SHORT_NAMES.get(section.key) or section.title.split("）", 1)[-1]
    return f"自评报告“{section.number}、{section.heading}”的{name}"


def _basic_rows(template: FormTemplate):
    table = _hunan_table(template, BASIC_TABLE)
    return [entry.row for entry in table.entries() if entry.row is not None]


def _hunan_table(template: FormTemplate, key: str) -> Table:
    """Table `key` of a hunan-layout template; TemplateError for another layout
    or when the template lacks 附件1 or 附件2."""
    problems = []
    if template.layout != "hunan":
        problems.append(
            TemplateProblem("layout", f"应为湖南表式（hunan），实际为“{template.layout}”。")
        )
    for required in (BASIC_TABLE, INDICATOR_TABLE):
        if template.table(required) is None:
            problems.append(TemplateProblem("tables", f"湖南表式须有键为“{required}”的表。"))
    if problems:
        raise TemplateError(problems)
    return template.table(key)


def _advisory_weights(template: FormTemplate, indicators: Table, problems: list) -> dict:
    """Group key → advisory_points of the 附件2 groups of ADVISORY_GROUPS; a
    problem for each group (or weight) that is missing."""
    weights = {}
    for key in ADVISORY_GROUPS:
        group = next((g for g in indicators.groups if g.key == key), None)
        if group is None or group.advisory_points is None:
            problems.append(
                TemplateProblem(
                    f"{_table_path(template, INDICATOR_TABLE)}.groups",
                    f"附件2须有键为“{key}”的一级分组，并以 advisory_points 给出参考分值。",
                )
            )
            continue
        weights[key] = group.advisory_points
    return weights


def _table_path(template: FormTemplate, key: str) -> str:
    index = next(index for index, table in enumerate(template.tables) if table.key == key)
    return f"tables[{index}]"


# --- the shipped Hunan template and what the hand-made Hunan code reads from it ---

HUNAN_TEMPLATE = template_from_bytes(shipped_template_bytes(HUNAN_IDENTITY))

# 附件1 fixed rows, print order: key → label, key → indent; the keys that may be negative.
BASIC_ROW_LABELS = basic_row_labels(HUNAN_TEMPLATE)
BASIC_ROW_KEYS = tuple(BASIC_ROW_LABELS)
BASIC_ROW_INDENT = basic_row_indent(HUNAN_TEMPLATE)
SIGNED_BASIC_ROWS = signed_basic_rows(HUNAN_TEMPLATE)

# 自评报告 二 to 十 (the Report's fields), in order; the required ones as (key, finding label).
REPORT_SECTIONS = report_sections(HUNAN_TEMPLATE)
REPORT_KEYS = tuple(section.key for section in REPORT_SECTIONS)
REQUIRED_REPORT_SECTIONS = tuple(
    (section.key, required_section_label(section))
    for section in REPORT_SECTIONS
    if section.required
)

# 附件2 一级 label → its suggested weight (产出指标 50, 效益指标 30, 满意度指标 10), and
# the ScoringParams / ScoringTemplate attribute holding each.
ADVISORY_LEVEL1_WEIGHTS = advisory_level1_weights(HUNAN_TEMPLATE)
ADVISORY_LEVEL1_ATTRIBUTES = {
    HUNAN_TEMPLATE.table(INDICATOR_TABLE).group(key)[-1].label: attribute
    for key, attribute in ADVISORY_GROUPS.items()
}
