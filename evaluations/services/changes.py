"""What differs between two versions of a filing, field by field, in Chinese.

Both versions are filing documents as dicts (`document_to_dict`, a
`perfeval-filing/2` dict, or a `/1` one stored before it): two
revisions of a filing (历史记录: each version against the one before;
自上次退回以来的修改: the revision in force at the return against the latest),
or the document a page was rendered from and the one saved since. Rows of a table
(indicators, projects, 项目支出明细, 楼堂馆所) are compared by position, as the
paper form numbers them; a row present on one side only is reported once as
added or removed. An empty text and a missing value are the same; amounts
compare by value ("10" equals "10.00"); texts ignore line-ending style and
surrounding white space (a browser posts CRLF and the forms strip), which
change nothing the reader sees.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import FieldDoesNotExist

from evaluations.core.document import INDICATOR_KEYS
from evaluations.models import (
    BasicDataRow,
    Building,
    Funds,
    Indicator,
    Profile,
    Project,
    ProjectItem,
    Report,
)

CHANGED = "changed"
ADDED = "added"
REMOVED = "removed"

# Not content: the format tag and the form template it names (a revision
# stored as /1 and the next one, as /2, differ in these alone; a filing never
# changes its forms), and the figures an export appends.
_IGNORED_KEYS = {"format", "form_template", "computed"}


@dataclass(frozen=True)
class Change:
    """One field (or, for `kind` added/removed, one row) that differs.

    `old` and `new` are display texts, None for "empty"."""

    path: str
    label: str
    old: str | None
    new: str | None
    kind: str = CHANGED


def document_changes(*, before: dict, after: dict) -> list[Change]:
    """Every difference between the filing documents `before` and `after`, in
    document order, each labelled in Chinese ("附件2 第5行 得分").

    Pure: reads nothing and raises nothing for well-formed documents; keys it
    does not know are compared too and labelled by their path. Used by
    历史记录, the changes-since-return page and the refusal of a stale save."""
    changes: list[Change] = []
    _compare(before, after, (), changes, context=(before, after))
    return changes


# --- walking the two documents ------------------------------------------------------


def _compare(old, new, tokens, changes, *, context):
    if isinstance(old, dict) or isinstance(new, dict):
        old = old if isinstance(old, dict) else {}
        new = new if isinstance(new, dict) else {}
        keys = list(new) + [key for key in old if key not in new]
        for key in keys:
            if not tokens and key in _IGNORED_KEYS:
                continue
            _compare(old.get(key), new.get(key), (*tokens, key), changes, context=context)
        return
    if isinstance(old, list) or isinstance(new, list):
        old = old if isinstance(old, list) else []
        new = new if isinstance(new, list) else []
        for index in range(max(len(old), len(new))):
            row_tokens = (*tokens, index)
            if index >= len(old):
                changes.append(_row_change(row_tokens, None, new[index], ADDED, context))
            elif index >= len(new):
                changes.append(_row_change(row_tokens, old[index], None, REMOVED, context))
            else:
                _compare(old[index], new[index], row_tokens, changes, context=context)
        return
    if _normal(tokens, old) == _normal(tokens, new):
        return
    changes.append(
        Change(
            path=_path(tokens),
            label=path_label(tokens, context=context),
            old=_display(tokens, old),
            new=_display(tokens, new),
        )
    )


def _row_change(tokens, old_row, new_row, kind, context):
    return Change(
        path=_path(tokens),
        label=path_label(tokens, context=context),
        old=_row_summary(tokens, old_row),
        new=_row_summary(tokens, new_row),
        kind=kind,
    )


def _path(tokens) -> str:
    text = ""
    for token in tokens:
        text += f"[{token}]" if isinstance(token, int) else (f".{token}" if text else token)
    return text


_AMOUNT_ROOTS = {"funds", "basic_data"}
_TEXT_KEYS = {"name", "austerity_measures"}


def _is_amount(tokens) -> bool:
    if not tokens:
        return False
    last = tokens[-1]
    if tokens[0] in _AMOUNT_ROOTS:
        return last not in _TEXT_KEYS
    if tokens[0] == "projects" and len(tokens) > 2 and tokens[2] == "funds":
        return True
    return "indicators" in tokens and last in {"weight", "score"}


def _normal(tokens, value):
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if value is None or value == "":
        return None
    if _is_amount(tokens) and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return value
    return value


def _display(tokens, value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        if tokens and tokens[-1] == "applicable":
            return "适用" if value else "不适用"
        return "是" if value else "否"
    return str(value)


def _row_summary(tokens, row) -> str | None:
    if not isinstance(row, dict):
        return None
    if "level1" in row:  # an indicator row
        parts = [row.get("level1"), row.get("level2"), row.get("name")]
        text = " / ".join(part for part in parts if part)
        score = row.get("score")
        if score not in (None, ""):
            text = f"{text}（分值 {row.get('weight') or '—'}，得分 {score}）"
        return text or "（空行）"
    return row.get("name") or "（空行）"


# --- labels ---------------------------------------------------------------------------


def _verbose(model, name) -> str:
    return str(model._meta.get_field(name).verbose_name)


_DEPARTMENT_LABELS = {"name": "名称", "jurisdiction": "行政区划", "code": "部门编码"}
_FUNDS_GROUPS = {"by_source": "按收入性质", "by_nature": "按支出性质", "basic_detail": "基本支出中"}
_FUNDS_KEYS = {"weight": "执行率分值"}
_COLUMN_LABELS = {"prior_final": "上年决算数", "budget": "本年预算数", "final": "本年决算数"}
_GOAL_LABELS = {"expected": "预期目标", "actual": "实际完成情况"}
_PROJECT_FUND_LINES = {
    "total": "年度资金总额",
    "current_appropriation": "当年财政拨款",
    "carryover": "上年结转资金",
    "other": "其他资金",
}
_FUND_COLUMNS = {
    "initial_budget": "年初预算数",
    "full_year_budget": "全年预算数",
    "executed": "全年执行数",
}
# The sections of 二 and 六 are numbered within their chapter on the form.
_REPORT_LABELS = {
    "budget_overview": "二、（一）预算执行、使用、管理总体情况",
    "basic_expenditure": "二、（二）1. 基本支出情况",
    "project_expenditure": "二、（二）2. 项目支出情况",
    "performance_conclusion": "六、（一）综合评价结论",
    "indicator_analysis": "六、（二）评价指标分析",
}
_CONTACT_LABELS = {
    "preparer": "填表人",
    "phone": "联系电话",
    "date": "填报日期",
    "head": "单位负责人",
}
_STAFFING = {"authorized", "actual", "retired", "survivor_subsidy"}


def _project_name(index, context) -> str:
    for document in reversed(context):
        projects = (document or {}).get("projects") or []
        if index < len(projects) and isinstance(projects[index], dict):
            name = projects[index].get("name")
            if name:
                return name
    return ""


def _indicator_field(name) -> str:
    return _verbose(Indicator, name) if name in INDICATOR_KEYS else name


def _project_label(rest, index, context) -> str:
    name = _project_name(index, context)
    head = f"附件3 项目{index + 1}" + (f"「{name}」" if name else "")
    if not rest:
        return head
    key = rest[0]
    if key in {"name", "department_in_charge", "implementer"}:
        return f"{head} {_verbose(Project, key)}"
    if key == "funds":
        if rest[1:] == ("weight",):
            return f"{head} 执行率分值"
        line = _PROJECT_FUND_LINES.get(rest[1], rest[1]) if len(rest) > 1 else ""
        column = _FUND_COLUMNS.get(rest[2], rest[2]) if len(rest) > 2 else ""
        return " ".join(part for part in (head, line, column) if part)
    if key == "goal" and len(rest) > 1:
        return f"{head} 年度总体目标 {_GOAL_LABELS.get(rest[1], rest[1])}"
    if key == "indicators" and len(rest) > 1:
        row = f"{head} 第{rest[1] + 1}行"
        return f"{row} {_indicator_field(rest[2])}" if len(rest) > 2 else row
    return f"{head} {_path(rest)}"


def _basic_label(rest) -> str:
    if not rest:
        return "附件1"
    key = rest[0]
    if key == "austerity_measures":
        return "附件1 厉行节约保障措施"
    if key == "rows" and len(rest) > 1:
        try:
            row = str(BasicDataRow.Key(rest[1]).label)
        except ValueError:
            row = rest[1]
        column = _COLUMN_LABELS.get(rest[2], rest[2]) if len(rest) > 2 else ""
        return f"附件1 {row} {column}".strip()
    tables = {
        "project_items": ("项目支出明细", ProjectItem),
        "buildings": ("楼堂馆所", Building),
    }
    if key in tables and len(rest) > 1:
        title, model = tables[key]
        label = f"附件1 {title} 第{rest[1] + 1}行"
        return f"{label} {_verbose(model, rest[2])}" if len(rest) > 2 else label
    return f"附件1 {_path(rest)}"


def path_label(tokens, *, context=()) -> str:
    """The Chinese name of the field at `tokens` (a document path split into
    keys and row indexes); `context` holds the documents, for project names."""
    if isinstance(tokens, str):
        tokens = _tokens(tokens)
    if not tokens:
        return ""
    root, rest = tokens[0], tokens[1:]
    try:
        if root == "fiscal_year":
            return "年度"
        if root == "template":
            return "评分模板"
        if root == "department" and rest:
            return f"预算部门 {_DEPARTMENT_LABELS.get(rest[0], rest[0])}"
        if root == "profile" and rest:
            return f"部门基本情况 {_verbose(Profile, rest[0])}"
        if root == "staffing" and rest and rest[0] in _STAFFING:
            return f"人员编制 {_verbose(Profile, rest[0])}"
        if root == "funds" and rest:
            if rest[0] in _FUNDS_GROUPS and len(rest) > 1:
                return f"年度资金 {_FUNDS_GROUPS[rest[0]]} {_verbose(Funds, rest[1])}"
            return f"年度资金 {_FUNDS_KEYS.get(rest[0]) or _verbose(Funds, rest[0])}"
        if root == "basic_data":
            return _basic_label(rest)
        if root == "overall_goal" and rest:
            return f"附件2 年度总体目标 {_GOAL_LABELS.get(rest[0], rest[0])}"
        if root == "indicators" and rest:
            row = f"附件2 第{rest[0] + 1}行"
            return f"{row} {_indicator_field(rest[1])}" if len(rest) > 1 else row
        if root == "projects" and rest:
            return _project_label(rest[1:], rest[0], context)
        if root == "report" and rest:
            return f"自评报告 {_REPORT_LABELS.get(rest[0]) or _verbose(Report, rest[0])}"
        if root == "contact" and rest:
            return f"填报信息 {_CONTACT_LABELS.get(rest[0], rest[0])}"
    except FieldDoesNotExist:
        pass  # a key this version does not know: its raw path is label enough
    return _path(tokens)


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _tokens(path: str) -> tuple:
    return tuple(
        int(index) if index else key for key, index in _TOKEN.findall(path) if key or index
    )
