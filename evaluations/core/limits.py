"""How large a filing may be: the bounds of every table and text, from the paper.

Every entry path applies these: the web pages (formset `max_num`, field
`max_length`, `project_add`, and `document_check_limits` after every page
save), the `perfeval-filing` reader (JSON file and command), and the
workbook import (which reads its cells into a document through the same
reader). A filing within them renders its PDF report in well under the 30
seconds a request or a render may take, and each of its pages saves
(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS); `scripts/bench_limits.py` builds the
largest filing they allow and measures it (docs/benchmarks.md, 最大允许的填报).

Pure: no Django, so the document reader, scripts and tests can use it.
"""

from dataclasses import dataclass

from .document import FilingDocument

# 附件3: one table per key project. The seeds have at most 11; a large
# education bureau files several dozen.
MAX_PROJECTS = 60
# Rows of one indicator table (附件2, or one 附件3). The paper tables of the
# seeds have at most about 40 rows; 60 leaves half again.
MAX_INDICATOR_ROWS = 60
# Rows of all indicator tables of a filing together. Sixty full project tables
# do not happen (the seeds' project table, 君山's, has 11 rows), and every row
# costs the PDF about 5 ms however short its text: 800 rows cover 60 projects
# × 12 rows plus a full 附件2, and keep the rows alone to about 4 s.
MAX_FILING_INDICATOR_ROWS = 800
# 附件1 项目支出 lines: about one per budgeted project; 100 covers the largest.
MAX_PROJECT_ITEMS = 100
# 附件1 楼堂馆所控制情况: the seeds have none or one building; a department
# with a building programme has a handful.
MAX_BUILDINGS = 30

# Characters of one table cell. 一级/二级指标 are names from a short list;
# 三级指标, 年度指标值 and 实际完成值 are a line or two on paper (the seeds' longest
# is 33 characters).
MAX_LEVEL_LENGTH = 50
MAX_INDICATOR_CELL_LENGTH = 500
# 偏差原因分析及改进措施: a few sentences in a table cell.
MAX_DEVIATION_LENGTH = 1000
# 年度总体目标 (附件2 and each 附件3), 预期目标 and 实际完成情况: one cell of the
# table on paper, a paragraph (the seeds' longest is 115 characters).
MAX_GOAL_LENGTH = 2000
# A narrative section, 厉行节约保障措施 and the 部门基本情况 texts. A section of a
# real report runs to a few thousand characters (the whole 曾都 report is about
# 26,000 with its final accounts); the limit stops a pasted document, not honest prose.
MAX_TEXT_LENGTH = 20000
# Text in the cells of 附件2 and all 附件3 tables together (indicator cells and
# goals). Table text is what a PDF render spends its time on (measured: some
# 50 µs a character in an indicator cell, over 100 µs in a 年度总体目标 cell,
# against 15 µs in a narrative paragraph), so this bound, not the cells',
# keeps the largest filing's report fast (bench_limits.py: 15 s at 60,000 on a
# loaded 2-core machine, 18–24 s at 120,000). A seed row holds about 90 characters: 60,000
# are some 650 such rows, more than the tables of any real filing hold.
MAX_TABLE_TEXT = 60_000


@dataclass(frozen=True)
class LimitProblem:
    """One limit a document exceeds: its JSON path and the message, in Chinese."""

    path: str
    message: str


def count_problem(path: str, what: str, count: int, limit: int, unit: str = "行"):
    """The problem of `count` rows (or projects) of `what` above `limit`, or None."""
    if count <= limit:
        return None
    return LimitProblem(path, f"{what}为 {count} {unit}，超过上限 {limit} {unit}。")


def indicator_table(project_index: int | None) -> str:
    """The name of an indicator table as the paper and the workbook call it."""
    return "附件2" if project_index is None else f"附件3-{project_index + 1}"


def _table_text(indicators) -> int:
    return sum(
        len(row.level1)
        + len(row.level2)
        + len(row.name)
        + len(row.target)
        + len(row.actual)
        + len(row.deviation)
        for row in indicators
    )


def document_check_limits(document: FilingDocument) -> list[LimitProblem]:
    """Every bound of this module `document` exceeds, in document order.

    Lengths of single texts are the readers' and forms' own check (each knows
    its field); this checks what only the whole document shows: rows per
    table, projects, rows and table text of the filing. Pure; never raises.
    """
    found = [
        count_problem(
            "basic_data.project_items",
            "附件1 项目支出明细行数",
            len(document.basic_data.project_items),
            MAX_PROJECT_ITEMS,
        ),
        count_problem(
            "basic_data.buildings",
            "附件1 楼堂馆所行数",
            len(document.basic_data.buildings),
            MAX_BUILDINGS,
        ),
        count_problem(
            "indicators",
            f"{indicator_table(None)} 绩效指标行数",
            len(document.indicators),
            MAX_INDICATOR_ROWS,
        ),
        count_problem("projects", "附件3 项目数", len(document.projects), MAX_PROJECTS, "个"),
    ]
    for index, project in enumerate(document.projects):
        found.append(
            count_problem(
                f"projects[{index}].indicators",
                f"{indicator_table(index)} 绩效指标行数",
                len(project.indicators),
                MAX_INDICATOR_ROWS,
            )
        )
    rows = len(document.indicators) + sum(len(project.indicators) for project in document.projects)
    found.append(
        count_problem("$", "附件2 和全部附件3 的绩效指标合计行数", rows, MAX_FILING_INDICATOR_ROWS)
    )
    text = (
        _table_text(document.indicators)
        + len(document.overall_goal.expected)
        + len(document.overall_goal.actual)
        + sum(
            _table_text(project.indicators) + len(project.goal.expected) + len(project.goal.actual)
            for project in document.projects
        )
    )
    found.append(
        count_problem("$", "附件2 和全部附件3 表格中的文字合计", text, MAX_TABLE_TEXT, "字")
    )
    return [problem for problem in found if problem is not None]
