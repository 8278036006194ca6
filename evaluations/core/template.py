"""Form templates: one province's paper forms as data (`perfeval-form-template/1`).

A form template says which header fields, tables, columns, rows, narrative
sections, scoring and checks a family of 自评 forms has, so that a new
province is a JSON file, not code (docs/form-templates.md describes the format
for the people who write one). `template_from_json` reads and checks a template
and lists every problem with its JSON path; a template that has any problem is
refused as a whole. Pure: the standard library and other core modules only.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

FORMAT = "perfeval-form-template/1"
MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_GROUP_DEPTH = 4
# A text without its own max_length may hold this many characters (core.limits' bounds).
DEFAULT_CELL_LENGTH = 500
DEFAULT_HEADER_LENGTH = 2000
DEFAULT_NARRATIVE_LENGTH = 20000
MAX_FREE_ROWS = 200

LAYOUTS = {"generic": "按模板通用渲染", "hunan": "湖南表式（专用页面）"}
COLUMN_TYPES = {
    "text": "文本",
    "amount": "金额（万元，两位小数）",
    "percent": "百分比",
    "points": "分值",
    "integer": "整数",
    "enum": "选项",
    "date": "日期（YYYY-MM-DD）",
}
NUMBER_TYPES = ("amount", "percent", "points")
EDITORS = {
    "template": "模板给定（只读）",
    "officer": "单位填报人",
    "reviewer": "财政局审核人",
    "computed": "系统计算",
}
ROLES = {
    "score": "自评得分",
    "review_score": "评定分数",
    "max_points": "分值（可填写）",
    "target": "年初目标值（A）",
    "actual": "实际完成值（B）",
    "evidence": "佐证材料",
    "suggested": "建议得分",
}
ROW_MODES = {"fixed": "固定行", "free": "自填行", "mixed": "固定行加自填行"}
POINTS_MODES = {
    "rows": "按行计分",
    "officer_total": "单位自评填报总分",
    "none": "不计分",
}
NORMALIZATIONS = {"none": "不换算", "applicable_maximum": "按适用分值合计换算"}
RULE_KINDS = {
    "positive": "正向指标：实际完成值达到或超过目标值得满分，否则按 B÷A 比例得分",
    "reverse": "反向指标：实际完成值不超过目标值得满分，超出按比例扣减",
    "equal": "等于型指标：实际完成值等于目标值得满分",
    "qualitative": "定性指标：按实际完成值的等级（达成/部分达成/未达成）限定得分区间",
    "manual": "人工评分：不给建议得分",
    "auto": "自动：按目标值的比较符号判断正向、反向、等于、定性或人工评分",
    "bands": "分档计分：按数值所在档次给分",
    "deduct_per_unit": "按单位扣分：每超出（或低于）一个单位扣若干分，扣完为止",
}
REVERSE_FORMULAS = {"linear": "(1 − (B − A)/A) × 分值", "ratio": "A/B × 分值"}
DIRECTIONS = {"above": "高于限值时扣分", "below": "低于限值时扣分"}

ERROR = "error"
WARNING = "warning"
# The named checks a template may switch on: name → (kind, what it finds). The
# generic layout runs the first block (core.generic); the second block are the
# Hunan family's own checks (core.validation, spec/DOMAIN.md), for layout "hunan" only.
CHECK_DEFINITIONS = {
    "required_missing": (ERROR, "必填的表头字段、叙述部分或必填列未填写"),
    "score_missing": (ERROR, "适用且有分值的行未填写得分（或未填写单位自评总分、等次）"),
    "score_out_of_range": (ERROR, "得分小于0或大于该行分值"),
    "not_applicable_reason_missing": (ERROR, "标记为不适用的行未说明原因"),
    "amount_negative": (ERROR, "金额为负数（模板允许负数的字段除外）"),
    "free_rows_missing": (ERROR, "自填行少于模板要求的最少行数"),
    "actual_missing": (ERROR, "适用的行未填写实际完成值"),
    "qualitative_band": (ERROR, "定性指标的得分不在其等级对应的区间内"),
    "budget_missing": (ERROR, "有执行率计分时全年预算数未填写或为0"),
    "contact_missing": (ERROR, "填表人、联系电话或单位负责人未填写"),
    "score_differs": (WARNING, "填报得分与按规则计算的建议得分不同"),
    "actual_not_comparable": (WARNING, "目标值是数值而实际完成值不是，无法计算建议得分"),
    "grade_mismatch": (WARNING, "单位填报的等次与按总分划分的等次不一致"),
    "execution_over_100": (WARNING, "预算执行率超过100%"),
    "bonus_over_maximum": (WARNING, "加分合计超过加分上限（按上限计）"),
    "deduction_over_maximum": (WARNING, "扣分合计超过扣分上限（按上限计）"),
}
HUNAN_CHECK_DEFINITIONS = {
    "negative_amount": (ERROR, "附件1等金额为负数（部门基本支出预算调整除外）"),
    "weights_not_100": (ERROR, "满分不等于100且模板不允许按不适用换算"),
    "deviation_missing": (ERROR, "得分低于分值而未填写偏差原因"),
    "sum_mismatch": (ERROR, "三公经费、资金来源或资金性质的合计与各项之和不符"),
    "section_missing": (ERROR, "自评报告的必填部分未填写"),
    "level1_weight_mismatch": (WARNING, "一级指标分值与参考分值不同"),
    "items_mismatch": (WARNING, "项目支出明细或公用经费其中项与合计不符"),
    "project_amount_mismatch": (WARNING, "附件3项目全年执行数与附件1本年决算数不一致"),
    "score_exceeds_execution": (WARNING, "指标得分率明显高于预算执行得分率"),
}
ALL_CHECK_DEFINITIONS = {**CHECK_DEFINITIONS, **HUNAN_CHECK_DEFINITIONS}
CHECKS = {name: description for name, (_, description) in ALL_CHECK_DEFINITIONS.items()}
CHECK_KINDS = {name: kind for name, (kind, _) in ALL_CHECK_DEFINITIONS.items()}
HUNAN_ONLY_CHECKS = frozenset(HUNAN_CHECK_DEFINITIONS)

LEVEL_NAMES = ("一级", "二级", "三级", "四级", "五级")
# The free rows' own name travels in this cell; no column may take the key.
LABEL_CELL = "label"

_CODE = re.compile(r"[a-z0-9-]{3,60}")
_VERSION = re.compile(r"[A-Za-z0-9.-]{1,20}")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,59}")
_HEADER_PATH = re.compile(r"header\.(?P<key>[a-z][a-z0-9_]{0,59})")


# --- the template as values ---------------------------------------------------------


@dataclass(frozen=True)
class TemplateProblem:
    """One wrong value: its JSON path ("tables[0].groups[2].rows[1].max_points")
    and a Chinese sentence saying what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}：{self.message}"


class TemplateError(ValueError):
    """A template (or a document read against one) that cannot be used; `problems`
    lists every problem found, in the order of the file."""

    def __init__(self, problems: list[TemplateProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class HeaderField:
    key: str
    label: str
    type: str
    required: bool = False
    max_length: int | None = None
    unit: str = ""
    choices: tuple[str, ...] = ()
    allow_negative: bool = False
    per_project: bool = False  # layout hunan: one value per 附件3 project


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: str
    editor: str
    role: str | None = None
    required: bool = False
    max_length: int | None = None
    unit: str = ""
    choices: tuple[str, ...] = ()
    allow_negative: bool = False


@dataclass(frozen=True)
class RuleBand:
    """One step of a `bands` rule: a value of at least `min` earns `points`."""

    min: Decimal
    points: Decimal


@dataclass(frozen=True)
class Rule:
    """How a row's score is suggested; only the fields of its `kind` are set."""

    kind: str
    reverse_formula: str = "linear"  # reverse and auto: REVERSE_FORMULAS
    of: str | None = None  # bands and deduct_per_unit: the column read
    bands: tuple[RuleBand, ...] = ()
    limit: Decimal | None = None
    direction: str | None = None
    unit: Decimal | None = None
    points: Decimal | None = None


@dataclass(frozen=True)
class Row:
    """A fixed row: declared by the template, named in a document by `key`."""

    key: str
    label: str
    cells: dict[str, str] = field(default_factory=dict)
    max_points: Decimal | None = None
    not_applicable: bool = False
    rule: Rule | None = None
    allow_negative: bool = False  # the row's amounts may be below 0
    indent: int = 0  # how many steps the label is indented, as the paper prints it


@dataclass(frozen=True)
class FreeSlot:
    """The place of a group where the officer adds rows of their own."""

    label: str
    min_rows: int
    max_rows: int
    max_points: Decimal | None = None
    not_applicable: bool = False
    rule: Rule | None = None
    cells: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Group:
    """A 一级/二级… heading holding sub-groups, or rows and/or a free slot.

    `referenced` is True where the group is printed through `{"ref": key}`
    rather than declared in place (kept so that the template round-trips)."""

    key: str
    label: str
    level: int
    groups: tuple["Group", ...] = ()
    rows: tuple[Row, ...] = ()
    free: FreeSlot | None = None
    referenced: bool = False
    advisory_points: Decimal | None = None  # a suggested total, warned about only


@dataclass(frozen=True)
class TableEntry:
    """One place of a table in print order: a fixed `row`, or the `free` slot of
    the last group of `path` (where the officer's rows of that group print)."""

    path: tuple[Group, ...]
    row: Row | None = None
    free: FreeSlot | None = None

    @property
    def group(self) -> Group:
        return self.path[-1]

    @property
    def level(self) -> int:
        """The level of the row itself: one below its group (三级 under a 二级 group)."""
        return len(self.path) + 1

    def level_labels(self, free_label: str = "") -> tuple[str, ...]:
        """The labels from level 1 down to the row: groups, then the row's name
        (`free_label`, the officer's name of a free row, for a free slot)."""
        own = self.row.label if self.row is not None else free_label
        return (*(group.label for group in self.path), own)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: str
    groups: tuple[Group, ...]
    per_project: bool = False  # layout hunan: one table per 附件3 project

    def column(self, key: str) -> Column | None:
        return next((column for column in self.columns if column.key == key), None)

    def column_for_role(self, role: str) -> Column | None:
        return next((column for column in self.columns if column.role == role), None)

    def entries(self) -> Iterator[TableEntry]:
        """Every fixed row and free slot in print order, depth first."""
        for group in self.groups:
            yield from _group_entries(group, ())

    def row(self, key: str) -> TableEntry | None:
        """The entry of the fixed row `key` of this table, or None."""
        return next((e for e in self.entries() if e.row is not None and e.row.key == key), None)

    def group(self, key: str) -> tuple[Group, ...] | None:
        """The path (level 1 down to the group itself) of group `key`, or None."""
        return _find_group(self.groups, key, ())

    def fixed_text(self, entry: TableEntry, column: Column, free_label: str = "") -> str:
        """What a `template` column prints on a row: the row's (or free slot's)
        own cell if it has one; for a column of role max_points the row's
        max_points; for a column keyed `level1`…`level5` the label at that level."""
        own = entry.row or entry.free
        if column.key in own.cells:
            return own.cells[column.key]
        if column.role == "max_points":
            return "" if own.max_points is None else number_text(own.max_points)
        match = re.fullmatch(r"level([1-5])", column.key)
        labels = entry.level_labels(free_label)
        if match and int(match[1]) <= len(labels):
            return labels[int(match[1]) - 1]
        return ""


def _group_entries(group: Group, parents: tuple[Group, ...]) -> Iterator[TableEntry]:
    path = (*parents, group)
    for row in group.rows:
        yield TableEntry(path=path, row=row)
    if group.free is not None:
        yield TableEntry(path=path, free=group.free)
    for child in group.groups:
        yield from _group_entries(child, path)


def _find_group(groups, key, parents) -> tuple[Group, ...] | None:
    for group in groups:
        path = (*parents, group)
        if group.key == key:
            return path
        found = _find_group(group.groups, key, path)
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class Narrative:
    key: str
    title: str
    number: str = ""
    required: bool = False
    max_length: int | None = None
    heading: str = ""  # the heading the section prints under ("部门（单位）基本情况")


@dataclass(frozen=True)
class Execution:
    """The 预算执行率 block: weight × min(executed ÷ budget × 100, cap) ÷ 100."""

    weight: Decimal
    budget: str  # "header.<key>" of an amount field
    executed: str
    cap_percent: Decimal = Decimal("100")


@dataclass(frozen=True)
class Bonus:
    """A bonus (加分) or deduction (扣分) section: the rows of `group` of `table`,
    counted up to `max_points`, before or after normalization."""

    key: str
    label: str
    max_points: Decimal
    table: str
    group: str
    after_normalization: bool = True


@dataclass(frozen=True)
class GradeBand:
    grade: str
    min: Decimal


@dataclass(frozen=True)
class Scoring:
    points: str = "none"
    execution: Execution | None = None
    sum_tables: tuple[str, ...] = ()
    bonus: tuple[Bonus, ...] = ()
    deductions: tuple[Bonus, ...] = ()
    normalization: str = "none"
    grades: tuple[GradeBand, ...] = ()

    def grade_of(self, value: Decimal | None) -> str:
        """The first band (bands descend) whose min ≤ value; "" for None."""
        if value is None:
            return ""
        return next((band.grade for band in self.grades if value >= band.min), "")


@dataclass(frozen=True)
class FormTemplate:
    code: str
    version: str
    title: str
    layout: str
    region: str = ""
    description: str = ""
    example_maxima: bool = False
    header: tuple[HeaderField, ...] = ()
    tables: tuple[Table, ...] = ()
    narrative: tuple[Narrative, ...] = ()
    footer_notes: tuple[str, ...] = ()
    scoring: Scoring = field(default_factory=Scoring)
    checks: tuple[str, ...] = ()

    @property
    def identity(self) -> str:
        return f"{self.code}@{self.version}"

    def table(self, key: str) -> Table | None:
        return next((table for table in self.tables if table.key == key), None)

    def header_field(self, key: str) -> HeaderField | None:
        return next((item for item in self.header if item.key == key), None)

    def narrative_section(self, key: str) -> Narrative | None:
        return next((item for item in self.narrative if item.key == key), None)

    def find_row(self, key: str) -> tuple[Table, TableEntry] | None:
        """The first table holding fixed row `key`, with the row's entry; or None."""
        for table in self.tables:
            entry = table.row(key)
            if entry is not None:
                return table, entry
        return None

    def find_group(self, key: str) -> tuple[Table, tuple[Group, ...]] | None:
        """The first table holding group `key`, with the group's path; or None."""
        for table in self.tables:
            path = table.group(key)
            if path is not None:
                return table, path
        return None

    def checks_on(self, name: str) -> bool:
        return name in self.checks


def level_name(level: int) -> str:
    """ "一级", "二级" … for level 1, 2 …"""
    return LEVEL_NAMES[level - 1] if 1 <= level <= len(LEVEL_NAMES) else f"{level}级"


# --- reading: the problem collector and typed value readers -------------------------


class _Reader:
    """Collects problems; every reader returns a usable value even when wrong,
    so that one pass finds every problem of the file."""

    def __init__(self):
        self.problems: list[TemplateProblem] = []

    def add(self, path: str, message: str) -> None:
        problem = TemplateProblem(path or "$", message)
        if problem not in self.problems:
            self.problems.append(problem)

    def mapping(self, raw, path: str, keys: set[str], required: tuple[str, ...] = ()) -> dict:
        """`raw` as a dict; refuses other types, keys not in `keys` (keys starting
        with "_" are comments and ignored) and missing `required` keys."""
        if not isinstance(raw, dict):
            self.add(path, f"应为对象（{{…}}），实际为{_json_type(raw)}。")
            return {}
        for key in raw:
            if not isinstance(key, str) or (key not in keys and not key.startswith("_")):
                self.add(
                    _join(path, key), f"未知的键“{key}”；可用的键：{'、'.join(sorted(keys))}。"
                )
        for key in required:
            if key not in raw:
                self.add(_join(path, key), f"缺少必填项“{key}”。")
        return {key: value for key, value in raw.items() if key in keys}

    def text(self, obj: dict, key: str, path: str, *, pattern=None, hint="") -> str:
        value = obj.get(key, "")
        where = _join(path, key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.add(where, f"应为文字，实际为{_json_type(value)}。")
            return ""
        if pattern is not None and key in obj and not pattern.fullmatch(value):
            self.add(where, f"“{value}”不符合格式：{hint}。")
        return value

    def label(self, obj: dict, key: str, path: str) -> str:
        value = self.text(obj, key, path)
        if key in obj and not value.strip():
            self.add(_join(path, key), "不能为空。")
        return value

    def key(self, obj: dict, path: str) -> str:
        return self.text(
            obj,
            "key",
            path,
            pattern=_KEY,
            hint="小写字母开头，只含小写字母、数字和下划线，最长60字",
        )

    def flag(self, obj: dict, key: str, path: str, default: bool = False) -> bool:
        value = obj.get(key, default)
        if not isinstance(value, bool):
            self.add(_join(path, key), f"应为 true 或 false，实际为{_json_type(value)}。")
            return default
        return value

    def choice(self, obj: dict, key: str, path: str, choices: dict, what: str, default=None):
        value = obj.get(key)
        if value is None:
            return default
        if value not in choices:
            self.add(
                _join(path, key),
                f"未知的{what}“{value}”；可用：{'、'.join(choices)}。",
            )
            return default
        return value

    def number(
        self, obj: dict, key: str, path: str, *, places: int | None = 2, minimum=None, what="数值"
    ) -> Decimal | None:
        """A JSON number (or a numeric string) as Decimal; None when absent or null."""
        value = obj.get(key)
        if value is None:
            return None
        where = _join(path, key)
        number = _to_decimal(value)
        if number is None:
            self.add(where, f"应为数字，实际为“{value}”。")
            return None
        if places is not None and -number.as_tuple().exponent > places:
            self.add(where, f"{what}最多两位小数：{_plain(number)}。")
        if minimum is not None and number < minimum:
            if minimum == 0:
                self.add(where, f"{what}不能为负数：{_plain(number)}。")
            else:
                self.add(where, f"{what}应不小于{_plain(minimum)}：{_plain(number)}。")
        return number

    def integer(self, obj: dict, key: str, path: str, *, minimum=0, maximum=None) -> int | None:
        value = obj.get(key)
        if value is None:
            return None
        where = _join(path, key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(where, f"应为整数，实际为“{value}”。")
            return None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f"至{maximum}" if maximum is not None else "以上"
            self.add(where, f"应在{minimum}{upper}之间，实际为{value}。")
        return value

    def items(self, obj: dict, key: str, path: str) -> list:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(_join(path, key), f"应为列表（[…]），实际为{_json_type(value)}。")
            return []
        return value

    def strings(self, obj: dict, key: str, path: str) -> tuple[str, ...]:
        found = []
        for index, value in enumerate(self.items(obj, key, path)):
            if isinstance(value, str):
                found.append(value)
            else:
                self.add(f"{_join(path, key)}[{index}]", f"应为文字，实际为{_json_type(value)}。")
        return tuple(found)

    def unique(self, seen: dict, key: str, path: str, what: str) -> None:
        """Refuses `key` when `seen` holds it already; remembers where it was first."""
        if not key:
            return
        if key in seen:
            self.add(path, f"{what}“{key}”重复（已在 {seen[key]} 使用）。")
        else:
            seen[key] = path


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, dict):
        return "对象"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, str):
        return f"文字“{value}”"
    if value is None:
        return "null"
    return f"数字{value}"


def _to_decimal(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, int | Decimal | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def number_text(number: Decimal) -> str:
    """A number as written on the form: "5", "0.5", "-5" (no exponent, no trailing zeros)."""
    return f"{number.normalize():f}"


_plain = number_text


# --- reading the template -------------------------------------------------------------


_TOP_KEYS = {
    "format",
    "code",
    "version",
    "title",
    "region",
    "layout",
    "description",
    "example_maxima",
    "header",
    "tables",
    "narrative",
    "footer_notes",
    "scoring",
    "checks",
}


def template_from_json(raw: dict) -> FormTemplate:
    """Read and check a `perfeval-form-template/1` template.

    Refuses (TemplateError listing every problem with its JSON path) an unknown
    format, layout, column type, editor, role, rule kind or check name; a
    duplicate key (header fields, tables, columns of a table, narrative
    sections; group and row keys anywhere in the template); a negative
    max_points; grade bands not strictly descending, a last band whose min is
    not 0, a duplicate grade; a bonus or deduction without max_points or naming
    an unknown table or group; an empty group; groups nested deeper than 4
    levels or referring to each other in a cycle; a band worth more than its
    row; an enum without choices; a fixed row in a "free" table or a free slot
    in a "fixed" one. Numbers may be JSON numbers or numeric strings.
    """
    reader = _Reader()
    obj = reader.mapping(raw, "", _TOP_KEYS, ("format", "code", "version", "title", "layout"))
    if "format" in obj and obj["format"] != FORMAT:
        reader.add("format", f"未知的格式“{obj['format']}”，应为 {FORMAT}。")
    code = reader.text(obj, "code", "", pattern=_CODE, hint="3至60个小写字母、数字或连字符")
    version = reader.text(
        obj, "version", "", pattern=_VERSION, hint="1至20个字母、数字、点或连字符"
    )
    layout = reader.choice(obj, "layout", "", LAYOUTS, "版式", default="generic")
    header = _read_header(reader, obj)
    tables = _read_tables(reader, obj, header)
    template = FormTemplate(
        code=code,
        version=version,
        title=reader.label(obj, "title", ""),
        layout=layout,
        region=reader.text(obj, "region", ""),
        description=reader.text(obj, "description", ""),
        example_maxima=reader.flag(obj, "example_maxima", ""),
        header=header,
        tables=tables,
        narrative=_read_narrative(reader, obj),
        footer_notes=reader.strings(obj, "footer_notes", ""),
        scoring=_read_scoring(reader, obj["scoring"], "scoring", header, tables)
        if "scoring" in obj
        else Scoring(),
        checks=_read_checks(reader, obj, layout),
    )
    if layout == "generic" and not reader.items(obj, "tables", ""):
        reader.add("tables", "通用版式（generic）的模板至少要有一张表。")
    _check_hunan_only(reader, template)
    _check_possible_rows(reader, template)
    if reader.problems:
        raise TemplateError(reader.problems)
    return template


def _check_possible_rows(reader: _Reader, template: FormTemplate) -> None:
    """A filing of the template can hold at most as many table rows as the
    largest Hunan filing (core.limits): every fixed row plus every free slot
    filled to its max_rows. Each row costs the report's PDF a few
    milliseconds, so this bound keeps any template's filing fast to render."""
    if template.layout != "generic":
        return
    # core.limits reads the Hunan document, whose constants come from the
    # Hunan template (read by core.hunan at import): imported here, once a
    # generic template is read.
    from .limits import MAX_FILING_INDICATOR_ROWS

    possible = sum(
        1 if entry.row is not None else entry.free.max_rows
        for table in template.tables
        for entry in table.entries()
    )
    if possible > MAX_FILING_INDICATOR_ROWS:
        reader.add(
            "tables",
            f"各表固定行与自由行上限（max_rows）合计 {possible} 行，"
            f"超过一份填报最多 {MAX_FILING_INDICATOR_ROWS} 行的上限；请减小 max_rows。",
        )


def _check_hunan_only(reader: _Reader, template: FormTemplate) -> None:
    """per_project (one value or table per 附件3 project) exists in the Hunan layout only."""
    if template.layout == "hunan":
        return
    for index, item in enumerate(template.header):
        if item.per_project:
            reader.add(
                f"header[{index}].per_project", "per_project 只用于湖南版式（layout 为 hunan）。"
            )
    for index, table in enumerate(template.tables):
        if table.per_project:
            reader.add(
                f"tables[{index}].per_project", "per_project 只用于湖南版式（layout 为 hunan）。"
            )


def template_from_bytes(data: bytes) -> FormTemplate:
    """Read a template file: UTF-8 JSON of at most 1 MiB; TemplateError otherwise."""
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateError(
            [TemplateProblem("$", f"模板文件为 {len(data)} 字节，超过上限 1 MiB（1048576 字节）。")]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TemplateError(
            [TemplateProblem("$", f"模板文件不是 UTF-8 编码（第 {error.start + 1} 个字节）。")]
        ) from error
    try:
        raw = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise TemplateError(
            [
                TemplateProblem(
                    "$",
                    f"模板文件不是合法的 JSON：第 {error.lineno} 行第 {error.colno} 列，"
                    f"{error.msg}。",
                )
            ]
        ) from error
    return template_from_json(raw)


_HEADER_KEYS = {"per_project"}
_FIELD_KEYS = {
    "key",
    "label",
    "type",
    "required",
    "max_length",
    "unit",
    "choices",
    "allow_negative",
}


def _read_typed(reader: _Reader, obj: dict, path: str) -> dict:
    """The keys header fields and columns share: type, choices, length, sign, unit."""
    kind = reader.choice(obj, "type", path, COLUMN_TYPES, "类型", default="text")
    choices = reader.strings(obj, "choices", path)
    if kind == "enum" and not choices:
        reader.add(_join(path, "choices"), "选项（enum）类型必须列出 choices。")
    if kind != "enum" and "choices" in obj:
        reader.add(_join(path, "choices"), "只有选项（enum）类型可以有 choices。")
    if len(set(choices)) != len(choices):
        reader.add(_join(path, "choices"), "choices 中有重复的选项。")
    max_length = reader.integer(
        obj, "max_length", path, minimum=1, maximum=DEFAULT_NARRATIVE_LENGTH
    )
    if max_length is not None and kind != "text":
        reader.add(_join(path, "max_length"), "只有文本（text）类型可以有 max_length。")
    allow_negative = reader.flag(obj, "allow_negative", path)
    if allow_negative and kind not in (*NUMBER_TYPES, "integer"):
        reader.add(_join(path, "allow_negative"), "只有数值类型可以有 allow_negative。")
    return {
        "type": kind,
        "required": reader.flag(obj, "required", path),
        "max_length": max_length,
        "unit": reader.text(obj, "unit", path),
        "choices": choices,
        "allow_negative": allow_negative,
    }


def _read_header(reader: _Reader, obj: dict) -> tuple[HeaderField, ...]:
    fields, seen = [], {}
    for index, raw in enumerate(reader.items(obj, "header", "")):
        path = f"header[{index}]"
        item = reader.mapping(raw, path, _FIELD_KEYS | _HEADER_KEYS, ("key", "label"))
        key = reader.key(item, path)
        reader.unique(seen, key, _join(path, "key"), "表头字段键")
        fields.append(
            HeaderField(
                key=key,
                label=reader.label(item, "label", path),
                per_project=reader.flag(item, "per_project", path),
                **_read_typed(reader, item, path),
            )
        )
    return tuple(fields)


_COLUMN_KEYS = _FIELD_KEYS | {"editor", "role"}
# Roles that hold points, and the editor a role needs.
_POINT_ROLES = ("score", "review_score", "max_points", "suggested")


def _read_columns(reader: _Reader, obj: dict, path: str) -> tuple[Column, ...]:
    columns, seen, roles = [], {}, {}
    raw_columns = reader.items(obj, "columns", path)
    if not raw_columns:
        reader.add(_join(path, "columns"), "每张表至少要有一列。")
    for index, raw in enumerate(raw_columns):
        where = f"{path}.columns[{index}]"
        item = reader.mapping(raw, where, _COLUMN_KEYS, ("key", "label", "type", "editor"))
        key = reader.key(item, where)
        if key == LABEL_CELL:
            reader.add(_join(where, "key"), "列键“label”保留给自填行的名称，请换一个键。")
        reader.unique(seen, key, _join(where, "key"), "列键")
        editor = reader.choice(
            item, "editor", where, EDITORS, "填写人（editor）", default="officer"
        )
        role = reader.choice(item, "role", where, ROLES, "列角色（role）")
        typed = _read_typed(reader, item, where)
        if role is not None:
            reader.unique(roles, role, _join(where, "role"), "列角色")
            _check_role(reader, where, role, typed["type"], editor)
        columns.append(
            Column(
                key=key,
                label=reader.label(item, "label", where),
                editor=editor,
                role=role,
                **typed,
            )
        )
    return tuple(columns)


def _check_role(reader: _Reader, path: str, role: str, kind: str, editor: str) -> None:
    """Point roles need a points column; `suggested` is computed, the others are not."""
    if role in _POINT_ROLES and kind != "points":
        reader.add(_join(path, "type"), f"角色为 {role} 的列类型应为 points。")
    if (role == "suggested") != (editor == "computed"):
        reader.add(_join(path, "editor"), "只有角色为 suggested 的列由系统计算（computed）。")


_TABLE_KEYS = {"key", "title", "columns", "rows", "groups", "per_project"}


def _read_tables(reader: _Reader, obj: dict, header) -> tuple[Table, ...]:
    raw_tables = reader.items(obj, "tables", "")
    declarations = _GroupDeclarations(reader, raw_tables)
    tables, seen = [], {}
    for index, raw in enumerate(raw_tables):
        path = f"tables[{index}]"
        item = reader.mapping(raw, path, _TABLE_KEYS, ("key", "title", "columns", "rows", "groups"))
        key = reader.key(item, path)
        reader.unique(seen, key, _join(path, "key"), "表键")
        columns = _read_columns(reader, item, path)
        mode = reader.choice(item, "rows", path, ROW_MODES, "行模式", default="mixed")
        context = _TableContext(key=key, columns=columns, mode=mode)
        groups = []
        raw_groups = reader.items(item, "groups", path)
        if not raw_groups:
            reader.add(_join(path, "groups"), "每张表至少要有一个分组。")
        for position, entry in enumerate(raw_groups):
            group = declarations.build(entry, f"{path}.groups[{position}]", 1, (), context)
            if group is not None:
                groups.append(group)
        tables.append(
            Table(
                key=key,
                title=reader.label(item, "title", path),
                columns=columns,
                rows=mode,
                groups=tuple(groups),
                per_project=reader.flag(item, "per_project", path),
            )
        )
    return tuple(tables)


@dataclass(frozen=True)
class _TableContext:
    key: str
    columns: tuple[Column, ...]
    mode: str
    # Keys of the groups already printed in this table: a group prints once.
    printed: set[str] = field(default_factory=set)

    def column_for(self, name: str) -> Column | None:
        """The column a rule's `of` names: by key, else by role."""
        by_key = next((c for c in self.columns if c.key == name), None)
        return by_key or next((c for c in self.columns if c.role == name), None)

    def has_role(self, role: str) -> bool:
        return any(column.role == role for column in self.columns)


_GROUP_KEYS = {"key", "label", "level", "groups", "rows", "free", "advisory_points"}
_ROW_KEYS = {
    "key",
    "label",
    "cells",
    "max_points",
    "not_applicable",
    "rule",
    "allow_negative",
    "indent",
}
# How far a row label may be indented (the Hunan 附件1 goes to 3).
MAX_ROW_INDENT = 4
_FREE_KEYS = {"label", "min_rows", "max_rows", "max_points", "not_applicable", "rule", "cells"}


class _GroupDeclarations:
    """Every group declared in the template (by key), so that `{"ref": key}`
    can print a group declared elsewhere. Declaring collects the duplicate
    group and row keys; `build` turns an entry into a Group for one table."""

    def __init__(self, reader: _Reader, raw_tables: list):
        self.reader = reader
        self.groups: dict[str, tuple[dict, str]] = {}
        self.keys: dict[str, str] = {}
        for index, table in enumerate(raw_tables):
            if isinstance(table, dict) and isinstance(table.get("groups"), list):
                self._declare(table["groups"], f"tables[{index}].groups")

    def _declare(self, entries: list, path: str) -> None:
        for index, entry in enumerate(entries):
            where = f"{path}[{index}]"
            if not isinstance(entry, dict) or "ref" in entry:
                continue
            key = entry.get("key")
            if isinstance(key, str):
                self.reader.unique(self.keys, key, _join(where, "key"), "分组或行的键")
                self.groups.setdefault(key, (entry, where))
            rows = entry.get("rows")
            for position, row in enumerate(rows if isinstance(rows, list) else []):
                if isinstance(row, dict) and isinstance(row.get("key"), str):
                    self.reader.unique(
                        self.keys, row["key"], f"{where}.rows[{position}].key", "分组或行的键"
                    )
            if isinstance(entry.get("groups"), list):
                self._declare(entry["groups"], f"{where}.groups")

    def build(self, entry, path: str, depth: int, stack: tuple[str, ...], table: _TableContext):
        """The Group an entry of a `groups` list stands for at nesting `depth`;
        None (with a problem) when it cannot be built."""
        reader = self.reader
        if depth > MAX_GROUP_DEPTH:
            reader.add(path, f"分组嵌套超过 {MAX_GROUP_DEPTH} 层。")
            return None
        if isinstance(entry, dict) and "ref" in entry:
            return self._build_ref(entry, path, depth, stack, table)
        item = reader.mapping(entry, path, _GROUP_KEYS, ("key", "label"))
        key = reader.key(item, path)
        if not self._print_once(key, path, table):
            return None
        level = reader.integer(item, "level", path, minimum=1, maximum=MAX_GROUP_DEPTH)
        if level is not None and level != depth:
            reader.add(
                _join(path, "level"), f"分组在第 {depth} 层，level 应为 {depth}，实际为 {level}。"
            )
        inner = (*stack, key)
        groups = []
        for index, child in enumerate(reader.items(item, "groups", path)):
            group = self.build(child, f"{path}.groups[{index}]", depth + 1, inner, table)
            if group is not None:
                groups.append(group)
        rows = tuple(
            _read_row(reader, raw, f"{path}.rows[{index}]", table)
            for index, raw in enumerate(reader.items(item, "rows", path))
        )
        free = (
            _read_free(reader, item["free"], f"{path}.free", table)
            if item.get("free") is not None
            else None
        )
        _check_group_content(reader, item, path, table)
        return Group(
            key=key,
            label=reader.label(item, "label", path),
            level=depth,
            groups=tuple(groups),
            rows=rows,
            free=free,
            advisory_points=reader.number(
                item, "advisory_points", path, minimum=0, what="参考分值"
            ),
        )

    def _print_once(self, key: str, path: str, table: _TableContext) -> bool:
        """Refuses a group printed twice in one table (its rows would be ambiguous)."""
        if key in table.printed:
            self.reader.add(
                path, f"分组“{key}”在表“{table.key}”中出现了两次；同一分组在一张表中只能出现一次。"
            )
            return False
        table.printed.add(key)
        return True

    def _build_ref(self, entry: dict, path: str, depth: int, stack, table):
        reader = self.reader
        item = reader.mapping(entry, path, {"ref"}, ("ref",))
        key = item.get("ref")
        if not isinstance(key, str) or key not in self.groups:
            reader.add(_join(path, "ref"), f"引用的分组“{key}”不存在。")
            return None
        if key in stack:
            cycle = " → ".join((*stack[stack.index(key) :], key))
            reader.add(_join(path, "ref"), f"分组引用形成循环：{cycle}。")
            return None
        if not self._print_once(key, _join(path, "ref"), table):
            return None
        raw, declared_at = self.groups[key]
        table.printed.discard(key)
        group = self.build(raw, declared_at, depth, stack, table)
        return replace(group, referenced=True) if group is not None else None


def _check_group_content(reader: _Reader, item: dict, path: str, table: _TableContext) -> None:
    has_groups = bool(item.get("groups"))
    has_rows = bool(item.get("rows")) or item.get("free") is not None
    if not has_groups and not has_rows:
        reader.add(path, "分组必须包含子分组（groups）、行（rows）或自填行（free）之一。")
    if has_groups and has_rows:
        reader.add(path, "分组不能同时包含子分组和行：请把这些行放进一个子分组。")
    if table.mode == "free" and item.get("rows"):
        reader.add(
            _join(path, "rows"), f"表“{table.key}”的行模式为 free（自填行），不能声明固定行。"
        )
    if table.mode == "fixed" and item.get("free") is not None:
        reader.add(
            _join(path, "free"),
            f"表“{table.key}”的行模式为 fixed（固定行），不能有自填行（free）。",
        )


def _read_row(reader: _Reader, raw, path: str, table: _TableContext) -> Row:
    item = reader.mapping(raw, path, _ROW_KEYS, ("key", "label"))
    max_points = reader.number(item, "max_points", path, minimum=0, what="分值")
    return Row(
        key=reader.key(item, path),
        label=reader.label(item, "label", path),
        cells=_read_cells(reader, item, path, table),
        max_points=max_points,
        not_applicable=reader.flag(item, "not_applicable", path),
        rule=_read_rule(reader, item.get("rule"), f"{path}.rule", table, max_points),
        allow_negative=reader.flag(item, "allow_negative", path),
        indent=reader.integer(item, "indent", path, minimum=0, maximum=MAX_ROW_INDENT) or 0,
    )


def _read_cells(reader: _Reader, item: dict, path: str, table: _TableContext) -> dict[str, str]:
    """Fixed texts of a row (or of every row of a free slot), for the table's
    `template` columns only."""
    raw = item.get("cells")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        reader.add(_join(path, "cells"), f"应为对象（{{…}}），实际为{_json_type(raw)}。")
        return {}
    cells = {}
    for key, value in raw.items():
        where = f"{path}.cells.{key}"
        column = next((c for c in table.columns if c.key == key), None)
        if column is None:
            reader.add(where, f"表“{table.key}”没有键为“{key}”的列。")
        elif column.editor != "template":
            reader.add(
                where, f"列“{column.label}”不是模板列（editor 为 {column.editor}），不能给定内容。"
            )
        elif not isinstance(value, str):
            reader.add(where, f"应为文字，实际为{_json_type(value)}。")
        else:
            cells[key] = value
    return cells


def _read_free(reader: _Reader, raw, path: str, table: _TableContext) -> FreeSlot:
    item = reader.mapping(raw, path, _FREE_KEYS, ("max_rows",))
    min_rows = reader.integer(item, "min_rows", path, minimum=0, maximum=MAX_FREE_ROWS) or 0
    max_rows = reader.integer(item, "max_rows", path, minimum=1, maximum=MAX_FREE_ROWS) or 1
    if min_rows > max_rows:
        reader.add(_join(path, "min_rows"), f"最少行数 {min_rows} 大于最多行数 {max_rows}。")
    max_points = reader.number(item, "max_points", path, minimum=0, what="分值")
    return FreeSlot(
        label=reader.text(item, "label", path),
        min_rows=min_rows,
        max_rows=max_rows,
        max_points=max_points,
        not_applicable=reader.flag(item, "not_applicable", path),
        rule=_read_rule(reader, item.get("rule"), f"{path}.rule", table, max_points),
        cells=_read_cells(reader, item, path, table),
    )


_RULE_KEYS = {
    "positive": set(),
    "reverse": {"reverse_formula"},
    "equal": set(),
    "qualitative": set(),
    "manual": set(),
    "auto": {"reverse_formula"},
    "bands": {"of", "bands"},
    "deduct_per_unit": {"of", "limit", "direction", "unit", "points"},
}
# Rules that compare the target (A) with the actual (B).
_TARGET_RULES = ("positive", "reverse", "equal", "auto")


def _read_rule(reader: _Reader, raw, path: str, table: _TableContext, max_points) -> Rule | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        reader.add(path, f"应为对象（{{…}}），实际为{_json_type(raw)}。")
        return None
    kind = raw.get("kind")
    if kind not in RULE_KINDS:
        reader.add(_join(path, "kind"), f"未知的计分规则“{kind}”；可用：{'、'.join(RULE_KINDS)}。")
        return None
    item = reader.mapping(raw, path, {"kind"} | _RULE_KEYS[kind])
    formula = reader.choice(
        item, "reverse_formula", path, REVERSE_FORMULAS, "反向计分公式", default="linear"
    )
    if kind in _TARGET_RULES and not (table.has_role("target") and table.has_role("actual")):
        reader.add(_join(path, "kind"), f"规则 {kind} 需要表中有角色为 target 和 actual 的列。")
    if kind == "qualitative" and not table.has_role("actual"):
        reader.add(_join(path, "kind"), "规则 qualitative 需要表中有角色为 actual 的列。")
    if kind == "bands":
        return Rule(
            kind=kind,
            of=_read_of(reader, item, path, table),
            bands=_read_bands(reader, item, path, max_points),
        )
    if kind == "deduct_per_unit":
        return _read_deduct(reader, item, path, table)
    return Rule(kind=kind, reverse_formula=formula)


def _read_of(reader: _Reader, item: dict, path: str, table: _TableContext) -> str:
    of = reader.text(item, "of", path)
    if not of:
        reader.add(_join(path, "of"), "请用 of 指明读取哪一列（列键或列角色）。")
    elif table.column_for(of) is None:
        reader.add(_join(path, "of"), f"表“{table.key}”没有键或角色为“{of}”的列。")
    return of


def _read_bands(reader: _Reader, item: dict, path: str, max_points) -> tuple[RuleBand, ...]:
    bands = []
    raw_bands = reader.items(item, "bands", path)
    if not raw_bands:
        reader.add(_join(path, "bands"), "分档计分至少要有一档。")
    for index, raw in enumerate(raw_bands):
        where = f"{path}.bands[{index}]"
        band = reader.mapping(raw, where, {"min", "points"}, ("min", "points"))
        low = reader.number(band, "min", where, places=None, what="档次下限")
        points = reader.number(band, "points", where, minimum=0, what="分值")
        if low is None or points is None:
            continue
        if bands and low >= bands[-1].min:
            reader.add(
                _join(where, "min"),
                f"档次应按下限从高到低排列：{_plain(low)} 不低于上一档的 {_plain(bands[-1].min)}。",
            )
        if max_points is not None and points > max_points:
            reader.add(
                _join(where, "points"),
                f"档次得分 {_plain(points)} 超过该行分值 {_plain(max_points)}。",
            )
        bands.append(RuleBand(min=low, points=points))
    return tuple(bands)


def _read_deduct(reader: _Reader, item: dict, path: str, table: _TableContext) -> Rule:
    for key in ("limit", "direction", "unit", "points"):
        if key not in item:
            reader.add(_join(path, key), f"缺少必填项“{key}”。")
    unit = reader.number(item, "unit", path, places=None, what="单位")
    points = reader.number(item, "points", path, what="每单位扣分")
    if unit is not None and unit <= 0:
        reader.add(_join(path, "unit"), f"单位应大于0：{_plain(unit)}。")
    if points is not None and points <= 0:
        reader.add(_join(path, "points"), f"每单位扣分应大于0：{_plain(points)}。")
    return Rule(
        kind="deduct_per_unit",
        of=_read_of(reader, item, path, table),
        limit=reader.number(item, "limit", path, places=None, what="限值"),
        direction=reader.choice(item, "direction", path, DIRECTIONS, "扣分方向", default="above"),
        unit=unit,
        points=points,
    )


_NARRATIVE_KEYS = {"key", "number", "title", "required", "max_length", "heading"}


def _read_narrative(reader: _Reader, obj: dict) -> tuple[Narrative, ...]:
    sections, seen = [], {}
    for index, raw in enumerate(reader.items(obj, "narrative", "")):
        path = f"narrative[{index}]"
        item = reader.mapping(raw, path, _NARRATIVE_KEYS, ("key", "title"))
        key = reader.key(item, path)
        reader.unique(seen, key, _join(path, "key"), "叙述部分键")
        sections.append(
            Narrative(
                key=key,
                title=reader.label(item, "title", path),
                number=reader.text(item, "number", path),
                required=reader.flag(item, "required", path),
                max_length=reader.integer(
                    item, "max_length", path, minimum=1, maximum=DEFAULT_NARRATIVE_LENGTH
                ),
                heading=reader.text(item, "heading", path),
            )
        )
    return tuple(sections)


def _read_checks(reader: _Reader, obj: dict, layout: str) -> tuple[str, ...]:
    checks = reader.strings(obj, "checks", "")
    seen: dict[str, str] = {}
    for index, name in enumerate(checks):
        if name not in CHECKS:
            reader.add(f"checks[{index}]", f"未知的检查“{name}”；可用：{'、'.join(CHECKS)}。")
        elif name in HUNAN_ONLY_CHECKS and layout != "hunan":
            reader.add(f"checks[{index}]", f"检查“{name}”只用于湖南版式（layout 为 hunan）。")
        reader.unique(seen, name, f"checks[{index}]", "检查")
    return checks


_SCORING_KEYS = {
    "points",
    "execution",
    "sum_tables",
    "bonus",
    "deductions",
    "normalization",
    "grades",
}


def _read_scoring(reader: _Reader, raw, path: str, header, tables) -> Scoring:
    item = reader.mapping(raw, path, _SCORING_KEYS, ("points",))
    points = reader.choice(item, "points", path, POINTS_MODES, "计分方式", default="none")
    table_keys = {table.key: table for table in tables}
    sum_tables = reader.strings(item, "sum_tables", path)
    for index, key in enumerate(sum_tables):
        if key not in table_keys:
            reader.add(f"{path}.sum_tables[{index}]", f"没有键为“{key}”的表。")
    if points == "rows":
        _check_score_columns(reader, path, sum_tables, table_keys)
    bonus = _read_bonuses(reader, item, "bonus", path, table_keys, "加分")
    deductions = _read_bonuses(reader, item, "deductions", path, table_keys, "扣分")
    seen: dict[str, str] = {}
    for name, entries in (("bonus", bonus), ("deductions", deductions)):
        for index, entry in enumerate(entries):
            reader.unique(seen, entry.key, f"{path}.{name}[{index}].key", "加分或扣分项键")
    grades = _read_grades(reader, item, path)
    if points != "none" and not grades:
        reader.add(_join(path, "grades"), "计分的模板必须有等次（grades）。")
    execution = item.get("execution")
    return Scoring(
        points=points,
        execution=_read_execution(reader, execution, f"{path}.execution", header)
        if execution is not None
        else None,
        sum_tables=sum_tables,
        bonus=bonus,
        deductions=deductions,
        normalization=reader.choice(
            item, "normalization", path, NORMALIZATIONS, "换算方式", default="none"
        ),
        grades=grades,
    )


def _check_score_columns(reader, path, sum_tables, table_keys) -> None:
    if not sum_tables:
        reader.add(
            _join(path, "sum_tables"), "按行计分（points 为 rows）时须列出计分的表（sum_tables）。"
        )
    for index, key in enumerate(sum_tables):
        table = table_keys.get(key)
        if table is not None and table.column_for_role("score") is None:
            reader.add(
                f"{path}.sum_tables[{index}]", f"表“{key}”没有角色为 score 的列，无法按行计分。"
            )


_BONUS_KEYS = {"key", "label", "max_points", "table", "group", "after_normalization"}


def _read_bonuses(reader, item, name, path, table_keys, what) -> tuple[Bonus, ...]:
    entries = []
    for index, raw in enumerate(reader.items(item, name, path)):
        where = f"{path}.{name}[{index}]"
        entry = reader.mapping(
            raw, where, _BONUS_KEYS, ("key", "label", "max_points", "table", "group")
        )
        maximum = reader.number(entry, "max_points", where, minimum=0, what=f"{what}上限")
        if "max_points" in entry and entry["max_points"] is None:
            reader.add(_join(where, "max_points"), f"{what}项必须有上限（max_points）。")
        table_key = reader.text(entry, "table", where)
        group_key = reader.text(entry, "group", where)
        table = table_keys.get(table_key)
        if "table" in entry and table is None:
            reader.add(_join(where, "table"), f"没有键为“{table_key}”的表。")
        elif table is not None and table.group(group_key) is None:
            reader.add(_join(where, "group"), f"表“{table_key}”中没有键为“{group_key}”的分组。")
        entries.append(
            Bonus(
                key=reader.key(entry, where),
                label=reader.label(entry, "label", where),
                max_points=maximum if maximum is not None else Decimal(0),
                table=table_key,
                group=group_key,
                after_normalization=reader.flag(entry, "after_normalization", where, default=True),
            )
        )
    return tuple(entries)


def _read_grades(reader: _Reader, item: dict, path: str) -> tuple[GradeBand, ...]:
    bands, seen = [], {}
    raw_grades = reader.items(item, "grades", path)
    for index, raw in enumerate(raw_grades):
        where = f"{path}.grades[{index}]"
        entry = reader.mapping(raw, where, {"grade", "min"}, ("grade", "min"))
        grade = reader.label(entry, "grade", where)
        reader.unique(seen, grade, _join(where, "grade"), "等次")
        low = reader.number(entry, "min", where, minimum=0, what="等次下限")
        if low is None:
            continue
        if bands and low >= bands[-1].min:
            reader.add(
                _join(where, "min"),
                f"等次应按下限从高到低排列：{_plain(low)} "
                f"不低于上一等次的 {_plain(bands[-1].min)}。",
            )
        bands.append(GradeBand(grade=grade, min=low))
    if bands and bands[-1].min != 0 and len(bands) == len(raw_grades):
        last = f"{path}.grades[{len(raw_grades) - 1}].min"
        reader.add(last, f"最后一个等次的下限应为 0，实际为 {_plain(bands[-1].min)}。")
    return tuple(bands)


_EXECUTION_KEYS = {"weight", "cap_percent", "budget", "executed"}


def _read_execution(reader: _Reader, raw, path: str, header) -> Execution:
    item = reader.mapping(raw, path, _EXECUTION_KEYS, ("weight", "budget", "executed"))
    weight = reader.number(item, "weight", path, minimum=0, what="执行率分值")
    cap = reader.number(item, "cap_percent", path, minimum=0, what="执行率上限")
    fields = {field.key: field for field in header}
    for key in ("budget", "executed"):
        value = reader.text(item, key, path)
        match = _HEADER_PATH.fullmatch(value)
        found = fields.get(match["key"]) if match else None
        if key in item and (found is None or found.type != "amount"):
            reader.add(
                _join(path, key),
                f"“{value}”应为 header.<键>，指向一个金额（amount）类型的表头字段。",
            )
    return Execution(
        weight=weight if weight is not None else Decimal(0),
        budget=reader.text(item, "budget", path),
        executed=reader.text(item, "executed", path),
        cap_percent=cap if cap is not None else Decimal("100"),
    )


# --- writing the template back ------------------------------------------------------


def template_to_json(template: FormTemplate) -> dict:
    """The template as `perfeval-form-template/1` JSON; `template_from_json` of the
    result equals `template`. Numbers are written as JSON integers when whole,
    else as strings ("0.5"), so that no float ever holds a score."""
    return {
        "format": FORMAT,
        "code": template.code,
        "version": template.version,
        "title": template.title,
        "region": template.region,
        "layout": template.layout,
        "description": template.description,
        "example_maxima": template.example_maxima,
        "header": [_field_json(item) for item in template.header],
        "tables": [_table_json(table) for table in template.tables],
        "narrative": [_narrative_json(item) for item in template.narrative],
        "footer_notes": list(template.footer_notes),
        "scoring": _scoring_json(template.scoring),
        "checks": list(template.checks),
    }


def number_json(value: Decimal | None):
    """A Decimal as JSON: an int when whole ("5" → 5), else its text ("0.5")."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return _plain(value)


def _field_json(item: HeaderField | Column) -> dict:
    data = {"key": item.key, "label": item.label, "type": item.type}
    if isinstance(item, Column):
        data["editor"] = item.editor
        if item.role is not None:
            data["role"] = item.role
    if item.required:
        data["required"] = True
    if item.max_length is not None:
        data["max_length"] = item.max_length
    if item.unit:
        data["unit"] = item.unit
    if item.choices:
        data["choices"] = list(item.choices)
    if item.allow_negative:
        data["allow_negative"] = True
    if getattr(item, "per_project", False):
        data["per_project"] = True
    return data


def _table_json(table: Table) -> dict:
    return {
        "key": table.key,
        "title": table.title,
        "columns": [_field_json(column) for column in table.columns],
        "rows": table.rows,
        "groups": [_group_json(group) for group in table.groups],
        **({"per_project": True} if table.per_project else {}),
    }


def _group_json(group: Group) -> dict:
    if group.referenced:
        return {"ref": group.key}
    data = {"key": group.key, "label": group.label, "level": group.level}
    if group.advisory_points is not None:
        data["advisory_points"] = number_json(group.advisory_points)
    if group.groups:
        data["groups"] = [_group_json(child) for child in group.groups]
    if group.rows:
        data["rows"] = [_row_json(row) for row in group.rows]
    if group.free is not None:
        data["free"] = _free_json(group.free)
    return data


def _row_json(row: Row) -> dict:
    data = {"key": row.key, "label": row.label}
    if row.cells:
        data["cells"] = dict(row.cells)
    data["max_points"] = number_json(row.max_points)
    data["not_applicable"] = row.not_applicable
    if row.rule is not None:
        data["rule"] = _rule_json(row.rule)
    if row.allow_negative:
        data["allow_negative"] = True
    if row.indent:
        data["indent"] = row.indent
    return data


def _free_json(free: FreeSlot) -> dict:
    data = {
        "label": free.label,
        "min_rows": free.min_rows,
        "max_rows": free.max_rows,
        "max_points": number_json(free.max_points),
        "not_applicable": free.not_applicable,
    }
    if free.rule is not None:
        data["rule"] = _rule_json(free.rule)
    if free.cells:
        data["cells"] = dict(free.cells)
    return data


def _rule_json(rule: Rule) -> dict:
    data = {"kind": rule.kind}
    if rule.kind in ("reverse", "auto") and rule.reverse_formula != "linear":
        data["reverse_formula"] = rule.reverse_formula
    if rule.kind == "bands":
        data["of"] = rule.of
        data["bands"] = [
            {"min": number_json(b.min), "points": number_json(b.points)} for b in rule.bands
        ]
    if rule.kind == "deduct_per_unit":
        data.update(
            of=rule.of,
            limit=number_json(rule.limit),
            direction=rule.direction,
            unit=number_json(rule.unit),
            points=number_json(rule.points),
        )
    return data


def _narrative_json(item: Narrative) -> dict:
    data = {"key": item.key, "number": item.number, "title": item.title, "required": item.required}
    if item.max_length is not None:
        data["max_length"] = item.max_length
    if item.heading:
        data["heading"] = item.heading
    return data


def _scoring_json(scoring: Scoring) -> dict:
    execution = scoring.execution
    return {
        "points": scoring.points,
        "execution": None
        if execution is None
        else {
            "weight": number_json(execution.weight),
            "cap_percent": number_json(execution.cap_percent),
            "budget": execution.budget,
            "executed": execution.executed,
        },
        "sum_tables": list(scoring.sum_tables),
        "bonus": [_bonus_json(entry) for entry in scoring.bonus],
        "deductions": [_bonus_json(entry) for entry in scoring.deductions],
        "normalization": scoring.normalization,
        "grades": [{"grade": band.grade, "min": number_json(band.min)} for band in scoring.grades],
    }


def _bonus_json(entry: Bonus) -> dict:
    return {
        "key": entry.key,
        "label": entry.label,
        "max_points": number_json(entry.max_points),
        "table": entry.table,
        "group": entry.group,
        "after_normalization": entry.after_normalization,
    }
