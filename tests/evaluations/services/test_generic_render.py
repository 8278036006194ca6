import io
import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from evaluations.core.generic import (
    GenericRow,
    generic_document_from_json,
    generic_score,
    generic_validate,
)
from evaluations.core.template import template_from_bytes, template_from_json
from evaluations.form_templates import SHIPPED
from evaluations.services.excel import WorkbookError
from evaluations.services.generic_excel import (
    INFO_SHEET,
    blank_template_workbook,
    generic_document_from_workbook,
    generic_workbook,
    sheet_names,
)
from evaluations.services.generic_pdf import blank_template_pdf, generic_report_pdf
from evaluations.services.generic_render import blank_document
from evaluations.services.workbook_print import SCALE
from tests.evaluations.services import excel_hostile as hostile

DEMO = Path(__file__).resolve().parents[3] / "evaluations" / "fixtures" / "demo"
GENERIC = [
    template_from_bytes(path.read_bytes())
    for path in SHIPPED
    if json.loads(path.read_bytes())["layout"] == "generic"
]
DEMOS = {
    "zengdu-2023": "hubei-suizhou-overall@2023",
    "hebei-demo-2023": "hebei-baoding-assessment@2023",
}

# A template without level columns: its groups print as headings.
HEADINGS = {
    "format": "perfeval-form-template/1",
    "code": "test-headings",
    "version": "1",
    "title": "测试考核表",
    "layout": "generic",
    "header": [{"key": "unit_name", "label": "单位名称", "type": "text"}],
    "tables": [
        {
            "key": "main",
            "title": "考核表",
            "columns": [
                {"key": "standard", "label": "评分标准", "type": "text", "editor": "template"},
                {
                    "key": "max",
                    "label": "分值",
                    "type": "points",
                    "editor": "template",
                    "role": "max_points",
                },
                {
                    "key": "score",
                    "label": "得分",
                    "type": "points",
                    "editor": "officer",
                    "role": "score",
                },
                {"key": "rate", "label": "完成率", "type": "percent", "editor": "officer"},
                {"key": "count", "label": "次数", "type": "integer", "editor": "officer"},
            ],
            "rows": "mixed",
            "groups": [
                {
                    "key": "first",
                    "label": "第一部分",
                    "level": 1,
                    "rows": [
                        {
                            "key": "a",
                            "label": "甲项",
                            "cells": {"standard": "标准甲"},
                            "max_points": 40,
                        },
                        {"key": "b", "label": "乙项", "max_points": 20, "not_applicable": True},
                    ],
                },
                {
                    "key": "second",
                    "label": "第二部分",
                    "level": 1,
                    "free": {"label": "其他", "min_rows": 0, "max_rows": 3, "max_points": 40},
                },
            ],
        }
    ],
    "scoring": {
        "points": "rows",
        "sum_tables": ["main"],
        "normalization": "applicable_maximum",
        "grades": [{"grade": "优", "min": 90}, {"grade": "差", "min": 0}],
    },
    "checks": ["score_out_of_range"],
}


def template_named(identity):
    return next(template for template in GENERIC if template.identity == identity)


def demo(name):
    template = template_named(DEMOS[name])
    raw = json.loads((DEMO / f"{name}.json").read_text(encoding="utf-8"))
    return template, generic_document_from_json(raw, template)


def pdf_text(data: bytes, tmp_path, *, layout=False, raw=False) -> str:
    """The PDF's text without whitespace (pdftotext breaks lines where the PDF
    does). `layout` keeps a table's line together (a label and its figure),
    without it each cell's wrapped text stays together."""
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    # -raw keeps content order: the rotated 草稿 watermark's two glyphs together.
    options = ["-layout"] if layout else ["-raw"] if raw else []
    result = subprocess.run(
        ["pdftotext", *options, "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    return "".join(result.stdout.split())


def report(template, document, *, draft=False, **kwargs):
    score = generic_score(document, template)
    return generic_report_pdf(
        template=template,
        document=document,
        score=score,
        department_name=document.department.name,
        fiscal_year=document.fiscal_year,
        draft=draft,
        **kwargs,
    )


def workbook_of(template, document):
    return generic_workbook(
        template=template, document=document, score=generic_score(document, template)
    )


def edited(data, change):
    book = openpyxl.load_workbook(io.BytesIO(data))
    change(book)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def line_of(sheet, key):
    """The sheet row whose hidden column A names `key`."""
    for row in range(1, sheet.max_row + 1):
        if sheet[f"A{row}"].value == key:
            return row
    raise AssertionError(f"no line {key}")


def column_of(sheet, header, row=3):
    for cell in sheet[row]:
        if cell.value == header:
            return cell.column_letter
    raise AssertionError(f"no column {header}")


def refusal(data, template):
    with pytest.raises(WorkbookError) as caught:
        generic_document_from_workbook(data, template=template)
    return caught.value


def fixed_labels(template):
    return [
        entry.row.label
        for table in template.tables
        for entry in table.entries()
        if entry.row is not None
    ]


# PDF -----------------------------------------------------------------------------------


@pytest.mark.parametrize("template", GENERIC, ids=lambda t: t.identity)
def test_blank_pdf_of_a_shipped_template_prints_every_row_and_point(template, tmp_path):
    text = pdf_text(blank_template_pdf(template), tmp_path)

    for label in fixed_labels(template):
        assert "".join(label.split()) in text
    assert "（空白表）" in text and "第1页共" in text
    for table in template.tables:
        for entry in table.entries():
            if entry.row is not None and entry.row.cells.get("hint"):
                assert "".join(entry.row.cells["hint"].split())[:20] in text
    assert ("示例分值" in text) == template.example_maxima


def test_blank_pdf_shows_each_groups_maximum_and_the_totals_rule(tmp_path):
    data = blank_template_pdf(template_named("hebei-baoding-assessment@2023"))
    text = pdf_text(data, tmp_path, layout=True)

    assert "（二）预算编制管理情况小计13" in text
    assert "换算得分=自评得分合计÷适用分值合计×100" in text


def test_hebei_report_shows_subtotals_not_applicable_rows_and_the_totals(tmp_path):
    template, document = demo("hebei-demo-2023")
    data = report(template, document)

    text, lines = pdf_text(data, tmp_path), pdf_text(data, tmp_path, layout=True)

    assert "示例县示例局" in text
    assert "不适用：本局2023年度未安排专项资金。" in text
    assert "（一）重大政策落实情况小计1110.00" in lines
    assert "自评得分合计79.50" in lines and "适用分值合计85.00" in lines
    assert "换算得分92.53" in lines and "等次优" in lines
    assert "换算得分=自评得分合计÷适用分值合计×100+加分−扣分" in text
    assert "一、部门基本情况" in text and "注：1.分值为示例分值" in text
    assert "填表人：张示例" in text
    assert "score" not in text  # no finding code, no column key


def test_hubei_report_shows_the_officers_total_as_not_traced_to_rows(tmp_path):
    template, document = demo("zengdu-2023")
    findings = generic_validate(document, template)

    data = report(template, document, findings=findings)
    text, lines = pdf_text(data, tmp_path), pdf_text(data, tmp_path, layout=True)

    for label in ("公用经费控制率", "处理改制企业和破产终结企业遗留问题", "核心业务产出", "投入"):
        assert label in text
    assert "单位自评得分（总分）100.00" in lines and "等次优" in lines
    assert "单位自评填报，未按行计分" in text
    assert "换算得分=" not in text
    assert "770.84" in text and "偏差大或目标未完成原因分析" in text
    assert findings and all(finding.message in text for finding in findings)
    assert not any(finding.code in text for finding in findings)


def test_a_draft_report_carries_the_draft_watermark_on_every_page(tmp_path):
    template, document = demo("hebei-demo-2023")

    draft = pdf_text(report(template, document, draft=True), tmp_path, raw=True)
    final = pdf_text(report(template, document, draft=False), tmp_path, raw=True)

    pages = len(re.findall(r"第\d+页共\d+页", draft))
    assert pages > 1 and draft.count("草稿") == pages
    assert "草稿" not in final and "换算得分" in final


def test_report_text_is_printed_not_interpreted(tmp_path):
    template, document = demo("hebei-demo-2023")
    document.tables["assessment"][0].reason = '<img src="file:///etc/passwd"><b>无</b>'

    text = pdf_text(report(template, document), tmp_path)

    assert '不适用：<imgsrc="file:///etc/passwd"><b>无</b>' in text


def test_a_template_without_level_columns_prints_its_groups_as_headings(tmp_path):
    template = template_from_json(HEADINGS)
    document = blank_document(template, fiscal_year=2023)
    document.tables["main"] = [
        GenericRow(row="a", cells={"score": Decimal("30")}),
        GenericRow(row="b", not_applicable=True, reason="无此业务"),
        GenericRow(group="second", cells={"label": "自填项", "score": Decimal("36")}),
    ]

    text = pdf_text(report(template, document), tmp_path, layout=True)

    assert "项目评分标准分值得分完成率次数" in text
    assert "第一部分4030.00" in text and "第二部分4036.00" in text
    assert "甲项标准甲4030.00" in text and "不适用：无此业务" in text
    # (30 + 36) ÷ (40 + 40) × 100
    assert "换算得分82.50" in text


def test_only_generic_templates_are_printed():
    hunan = template_from_bytes(SHIPPED[0].read_bytes())
    assert hunan.layout == "hunan"
    with pytest.raises(ValueError):
        blank_template_pdf(hunan)
    with pytest.raises(ValueError):
        blank_template_workbook(hunan)


# Workbook ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", DEMOS)
def test_demo_document_survives_the_workbook_round_trip(name):
    template, document = demo(name)

    assert (
        generic_document_from_workbook(workbook_of(template, document), template=template)
        == document
    )


@pytest.mark.parametrize("template", GENERIC, ids=lambda t: t.identity)
def test_blank_workbook_lists_every_row_and_reads_back_once_dated(template):
    data = blank_template_workbook(template)
    book = openpyxl.load_workbook(io.BytesIO(data))

    assert book.sheetnames == [INFO_SHEET, *sheet_names(template)]
    texts = {cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row}
    assert set(fixed_labels(template)) <= texts

    def date_it(book):
        info = book[INFO_SHEET]
        info[f"C{line_of(info, 'fiscal_year')}"] = 2024
        info[f"C{line_of(info, 'department:name')}"] = "某局"

    document = generic_document_from_workbook(edited(data, date_it), template=template)
    expected = blank_document(template, fiscal_year=2024)
    expected.department.name = "某局"
    if template.scoring.points == "officer_total":
        expected.officer_total = document.officer_total
        assert document.officer_total.score is None
    assert document == expected


def test_officer_cells_are_unlocked_and_the_rest_locked_for_printing_landscape():
    template, document = demo("hebei-demo-2023")
    book = openpyxl.load_workbook(io.BytesIO(workbook_of(template, document)))
    sheet = book[sheet_names(template)[0]]
    row = line_of(sheet, "row:special_funds")

    assert sheet.protection.sheet and sheet.column_dimensions["A"].hidden
    for header in ("自评分数", "佐证材料", "是否适用", "不适用原因"):
        assert not sheet[f"{column_of(sheet, header)}{row}"].protection.locked, header
    for header in ("考核项目", "考核指标", "评分内容", "分值", "评定分数"):
        assert sheet[f"{column_of(sheet, header)}{row}"].protection.locked, header
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.scale == SCALE
    assert not sheet.sheet_properties.pageSetUpPr.fitToPage
    assert "B4:B7" in {str(merged) for merged in sheet.merged_cells.ranges}


def test_edited_and_added_rows_are_read(tmp_path):
    template, document = demo("zengdu-2023")
    rows = document.tables["self_evaluation"]
    free = next(row for row in rows if row.group == "core_output")
    free.cells["label"] = "=SUM(A1:A2)"  # text that looks like a formula stays text
    data = workbook_of(template, document)
    sheet_name = sheet_names(template)[0]

    def change(book):
        sheet = book[sheet_name]
        spare = [
            row
            for row in range(1, sheet.max_row + 1)
            if sheet[f"A{row}"].value == "free:core_output"
        ][1]
        name = column_of(sheet, "三级指标")
        sheet[f"{name}{spare}"] = "新增的产出"
        sheet[f"{column_of(sheet, '实际完成值（B）')}{spare}"] = "完成"
        sheet[f"{column_of(sheet, '权重')}{line_of(sheet, 'row:staff_rate')}"] = 7.5

    back = generic_document_from_workbook(edited(data, change), template=template)

    rows = back.tables["self_evaluation"]
    added = [row for row in rows if row.group == "core_output"]
    assert [row.cells.get("label") for row in added] == ["=SUM(A1:A2)", "新增的产出"]
    assert added[1].cells["actual"] == "完成"
    assert next(row for row in rows if row.row == "staff_rate").cells["weight"] == Decimal("7.5")


def test_every_bad_cell_is_listed_by_sheet_and_cell():
    template, document = demo("hebei-demo-2023")
    data = workbook_of(template, document)
    name = sheet_names(template)[0]
    places = {}

    def change(book):
        sheet = book[name]
        score, applicable = column_of(sheet, "自评分数"), column_of(sheet, "是否适用")
        places["text"] = f"{score}{line_of(sheet, 'row:rules')}"
        places["decimals"] = f"{score}{line_of(sheet, 'row:targets')}"
        places["formula"] = f"{score}{line_of(sheet, 'row:monitoring')}"
        places["not_allowed"] = f"{applicable}{line_of(sheet, 'row:three_guarantees')}"
        sheet[places["text"]] = "满分"
        sheet[places["decimals"]] = 3.555
        sheet[places["formula"]] = "=1+2"
        sheet[places["not_allowed"]] = "不适用"
        info = book[INFO_SHEET]
        places["date"] = f"C{line_of(info, 'header:fill_date')}"
        info[places["date"]] = "2024年3月"

    error = refusal(edited(data, change), template)

    found = [(problem.sheet, problem.cell) for problem in error.problems]
    assert found == [
        (INFO_SHEET, places["date"]),
        (name, places["not_allowed"]),
        (name, places["text"]),
        (name, places["decimals"]),
        (name, places["formula"]),
    ]
    messages = [problem.message for problem in error.problems]
    assert "日期应写作 YYYY-MM-DD" in messages[0]
    assert messages[1] == "该行不允许标记为不适用。"
    assert "满分" in messages[2] and "最多两位小数" in messages[3] and "含公式" in messages[4]
    assert str(error).startswith("共 5 处问题：")
    assert f"工作表“{name}”单元格 {places['text']}" in str(error)


def test_a_workbook_of_another_template_is_refused():
    template, document = demo("zengdu-2023")
    data = workbook_of(template, document)

    error = refusal(data, template_named("hebei-baoding-assessment@2023"))

    assert error.message.startswith(
        "此工作簿属于表式 hubei-suizhou-overall@2023，不是 hebei-baoding-assessment@2023"
    )
    assert error.sheet == INFO_SHEET


def test_a_hunan_workbook_is_refused():
    template, document = demo("zengdu-2023")

    def as_hunan(book):
        book.defined_names["perfeval_layout"].attr_text = '"perfeval-xlsx/1"'

    error = refusal(edited(workbook_of(template, document), as_hunan), template)

    assert "湖南表式" in error.message and template.identity in error.message


def test_an_unknown_line_is_named_at_its_cell():
    template, document = demo("hebei-demo-2023")
    name = sheet_names(template)[0]

    def change(book):
        book[name][f"A{line_of(book[name], 'row:rules')}"] = "row:invented"

    error = refusal(edited(workbook_of(template, document), change), template)

    assert error.sheet == name and "无法识别的行“row:invented”" in error.message


def test_hostile_xml_is_refused_before_openpyxl_reads_it():
    template, document = demo("hebei-demo-2023")
    data = workbook_of(template, document)

    error = refusal(hostile.billion_laughs(data, sheet_names(template)[0]), template)

    assert "不安全的 XML" in error.message
    assert "不是有效的 Excel" in refusal(b"not a zip", template).message


def test_heading_layout_round_trips_with_percent_and_integer_cells():
    template = template_from_json(HEADINGS)
    document = blank_document(template, fiscal_year=2023)
    document.tables["main"] = [
        GenericRow(row="a", cells={"score": Decimal("30"), "rate": Decimal("95.5"), "count": 3}),
        GenericRow(row="b", not_applicable=True, reason="无此业务"),
        GenericRow(group="second", cells={"label": "自填项", "score": Decimal("36.25")}),
    ]
    data = workbook_of(template, document)

    assert generic_document_from_workbook(data, template=template) == document

    def percent_typed(book):
        sheet = book["考核表"]
        cell = sheet[f"{column_of(sheet, '完成率')}{line_of(sheet, 'row:a')}"]
        cell.value, cell.number_format = 0.955, "0.0%"

    back = generic_document_from_workbook(edited(data, percent_typed), template=template)
    assert back.tables["main"][0].cells["rate"] == Decimal("95.5")
