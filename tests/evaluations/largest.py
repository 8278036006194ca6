"""The largest filing evaluations/services/limits.py allows, as a document.

Used by tests/evaluations/test_limits.py (accepted on every path) and by
scripts/bench_limits.py (how long its report, workbook and pages take).
"""

from decimal import Decimal

from evaluations.core import document as doc
from evaluations.core import limits

# Chinese prose with the punctuation of a real report, so line breaking and
# font shaping do what they do on a real filing.
_PROSE = (
    "本年度严格执行预算管理制度，资金使用规范，重点项目按计划推进，"
    "群众满意度较上年有所提高；部分项目因采购流程延后，执行进度偏慢。"
)
LEVELS = ("产出指标", "数量指标")


def text(length: int) -> str:
    """`length` characters of report prose."""
    return (_PROSE * (length // len(_PROSE) + 1))[:length]


def _indicator(cell: int, deviation: int) -> doc.Indicator:
    return doc.Indicator(
        level1=LEVELS[0],
        level2=LEVELS[1],
        name=text(cell),
        target=text(cell),
        actual=text(cell),
        weight=Decimal("1.00"),
        score=Decimal("0.90"),
        deviation=text(deviation),
    )


def row_counts() -> list[int]:
    """Rows of 附件2 and of each 附件3: 附件2 and 附件3-1 at the per-table
    maximum, the rest of MAX_FILING_INDICATOR_ROWS spread over the other
    projects (none above the per-table maximum)."""
    tables = limits.MAX_PROJECTS + 1
    counts = [limits.MAX_INDICATOR_ROWS, limits.MAX_INDICATOR_ROWS]
    rest = limits.MAX_FILING_INDICATOR_ROWS - sum(counts)
    others = tables - len(counts)
    counts += [rest // others + (1 if index < rest % others else 0) for index in range(others)]
    assert max(counts) <= limits.MAX_INDICATOR_ROWS
    return counts


def largest_document(*, text_in: str = "cells", name: str = "最大填报测试局") -> doc.FilingDocument:
    """Every count at its maximum, every narrative text full, and the table
    text (limits.MAX_TABLE_TEXT) spent in the indicator cells (`text_in` =
    "cells") or in the 年度总体目标 cells ("goals")."""
    counts = row_counts()
    rows = sum(counts)
    levels = rows * sum(len(level) for level in LEVELS)
    budget = limits.MAX_TABLE_TEXT - levels
    goal_cells = 2 * (limits.MAX_PROJECTS + 1)
    if text_in == "cells":
        per_row = budget // rows
        cell = min(limits.MAX_INDICATOR_CELL_LENGTH, per_row // 6)
        deviation = min(limits.MAX_DEVIATION_LENGTH, per_row - 3 * cell)
        goal = 0
    elif text_in == "goals":
        cell, deviation = 2, 0
        goal = min(limits.MAX_GOAL_LENGTH, (budget - rows * 3 * cell) // goal_cells)
    else:
        raise ValueError(text_in)

    def indicators(count):
        return [_indicator(cell, deviation) for _ in range(count)]

    def goals():
        return doc.Goal(expected=text(goal), actual=text(goal))

    full = limits.MAX_TEXT_LENGTH
    document = doc.FilingDocument(
        fiscal_year=2023,
        department=doc.Department(name=name, jurisdiction="压测区"),
        profile=doc.Profile(organization=text(full), functions=text(full), goal_setting=text(full)),
        staffing=doc.Staffing(authorized=120, actual=118, retired=40, survivor_subsidy=3),
        funds=doc.Funds(
            initial_budget=Decimal("98000.00"),
            full_year_budget=Decimal("99000.00"),
            executed=Decimal("97000.00"),
            weight=Decimal("10.00"),
        ),
        overall_goal=goals(),
        indicators=indicators(counts[0]),
        report=doc.Report(**{key: text(full) for key in doc.REPORT_KEYS}),
        contact=doc.Contact(
            preparer="李文静", phone="0730-8321234", date="2024-03-01", head="王建国"
        ),
    )
    document.basic_data.austerity_measures = text(full)
    document.basic_data.project_items = [
        doc.ProjectItem(
            name=f"{index + 1:03d}{text(150)}",
            prior_final=Decimal("10.00"),
            budget=Decimal("12.00"),
            final=Decimal("11.50"),
        )
        for index in range(limits.MAX_PROJECT_ITEMS)
    ]
    document.basic_data.buildings = [
        doc.Building(
            name=f"{index + 1:02d}{text(150)}",
            approved_area=Decimal("1200.00"),
            actual_area=Decimal("1180.00"),
            budget_investment=Decimal("800.00"),
            actual_investment=Decimal("790.00"),
        )
        for index in range(limits.MAX_BUILDINGS)
    ]
    line = doc.FundLine(
        initial_budget=Decimal("100.00"),
        full_year_budget=Decimal("100.00"),
        executed=Decimal("96.00"),
    )
    document.projects = [
        doc.Project(
            name=f"{index + 1:02d}{text(150)}",
            department_in_charge=text(100),
            implementer=text(100),
            funds=doc.ProjectFunds(weight=Decimal("10.00"), total=line, current_appropriation=line),
            goal=goals(),
            indicators=indicators(count),
        )
        for index, count in enumerate(counts[1:])
    ]
    return document
