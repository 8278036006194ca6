from dataclasses import replace
from decimal import Decimal

import pytest
from django.db.models import F

from evaluations import selectors
from evaluations.core.document import FilingDocument, Indicator
from evaluations.core.validation import document_validate
from evaluations.models import Filing, Project, ScoringTemplate
from evaluations.services.interchange import document_from_bytes
from evaluations.services.summary import document_missing_parts, filing_summary_refresh
from tests.factories import blank_filing
from tests.helpers import example_bytes, import_example

pytestmark = pytest.mark.django_db


def test_imported_filing_stores_its_score_summary():
    filing = Filing.objects.get(pk=import_example("beita-2023").pk)
    assert filing.total_score == Decimal("97.00")
    assert filing.grade == "优"
    assert filing.execution_rate == Decimal("100.00")
    # 7 actual_missing + 3 deviation_missing + 2 contact_missing (联系电话, 单位负责人)
    assert filing.error_count == 12


def test_blank_filing_summary_counts_its_errors():
    filing = Filing.objects.get(pk=blank_filing().pk)
    assert filing.total_score == Decimal("0.00")
    assert filing.execution_rate is None
    assert filing.error_count > 0


def test_refresh_follows_a_changed_score():
    filing = import_example("junshan-2023")
    filing.indicators.filter(project__isnull=True, score=Decimal("9")).update(score=Decimal("10"))
    filing_summary_refresh(filing=filing)
    filing.refresh_from_db()
    assert filing.total_score == Decimal("100.00")


# --- what an unfinished filing lacks ------------------------------------------------


def _missing(document, template=None):
    template = template or ScoringTemplate(name="测试模板")
    findings = document_validate(document=document, template=template)
    return [part.label for part in document_missing_parts(document=document, findings=findings)]


def _complete_document():
    """君山 as published, which lacks nothing that its 等次 rests on."""
    return document_from_bytes(example_bytes("junshan-2023"))


def test_a_complete_filing_lacks_nothing():
    assert _missing(_complete_document()) == []


def test_a_blank_filing_lists_every_missing_part_in_document_order():
    document = FilingDocument(fiscal_year=2023)
    assert _missing(document) == [
        "部门基本情况：主要职能职责",
        "年度资金：全年预算数",
        "年度资金：全年执行数",
        "附件2 自评表：绩效指标（没有计分的指标行）",
        "自评报告：二、一般公共预算支出情况",
        "自评报告：六、综合评价结论",
        "自评报告：七、存在的问题及原因分析",
        "自评报告：八、下一步改进措施",
    ]


def test_rows_without_score_are_counted_per_table_but_not_rows_without_actual():
    document = _complete_document()
    document.indicators[0] = replace(document.indicators[0], actual="")
    document.indicators[1] = replace(document.indicators[1], actual=" ")
    document.indicators[2] = replace(document.indicators[2], score=None)
    project = document.projects[0]
    document.projects[0] = replace(
        project, indicators=[replace(row, applicable=False) for row in project.indicators]
    )
    parts = document_missing_parts(
        document=document,
        findings=document_validate(document=document, template=ScoringTemplate(name="测试模板")),
    )
    assert [(part.label, part.where, part.project) for part in parts] == [
        ("附件2 自评表：1 行指标的得分", "indicators[2]", None),
        (f"附件3 项目“{project.name}”：绩效指标（没有计分的指标行）", "projects[0].indicators", 0),
    ]


def test_a_not_applicable_row_without_actual_or_score_lacks_nothing():
    document = _complete_document()
    document.indicators.append(Indicator(level1="产出指标", name="不适用的一行", applicable=False))
    assert _missing(document) == []


def test_a_wrong_sum_is_a_finding_not_a_missing_part():
    document = _complete_document()
    document.funds = replace(
        document.funds,
        by_source=replace(document.funds.by_source, other=Decimal("1.00")),
    )
    findings = document_validate(document=document, template=ScoringTemplate(name="测试模板"))
    assert "sum_mismatch" in {finding.code for finding in findings}
    assert document_missing_parts(document=document, findings=findings) == []


def test_the_summary_shows_unfinished_instead_of_a_grade():
    unfinished = selectors.filing_summary(filing=blank_filing())
    assert not unfinished.is_complete
    assert unfinished.grade_shown == "未完成"
    assert "年度资金：全年预算数" in unfinished.missing_parts
    assert unfinished.missing[1].url.endswith("/funds/#funds-full_year_budget")

    complete = selectors.filing_summary(filing=import_example("junshan-2023"))
    assert complete.is_complete and complete.missing_parts == []
    assert complete.grade_shown == complete.score.grade == "优"
    assert list(complete.project_grades.values()) == ["优"]


def test_a_project_missing_its_funds_is_unfinished_alone():
    filing = import_example("junshan-2023")
    project = filing.projects.get()
    Project.objects.filter(pk=project.pk).update(total_executed=None)
    Filing.objects.filter(pk=filing.pk).update(version=F("version") + 1)
    filing.refresh_from_db()
    summary = selectors.filing_summary(filing=filing)
    assert summary.missing_parts == [f"附件3 项目“{project.name}”：全年执行数"]
    assert summary.project_grades == {project.pk: "未完成"}
    assert summary.grade_shown == "未完成"


def test_the_refresh_stores_how_many_parts_are_missing_for_the_lists():
    blank = blank_filing()
    filing_summary_refresh(filing=blank)
    blank.refresh_from_db()
    assert blank.missing_count == len(selectors.filing_summary(filing=blank).missing_parts) > 0
    complete = import_example("junshan-2023")
    assert complete.missing_count == 0
