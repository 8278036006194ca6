import copy
import io
import json
import re
import time
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from evaluations.core.scoring import document_score
from evaluations.models import ScoringTemplate
from evaluations.services.excel import (
    LAYOUT_NAME,
    LAYOUT_VERSION,
    SHEET_BASIC,
    SHEET_FUNDS,
    SHEET_PROFILE,
    SHEET_SCORE,
    WorkbookError,
    blank_workbook,
    check_openpyxl_uses_defusedxml,
    document_from_workbook,
    filing_workbook,
    workbook_from_document,
)
from evaluations.services.interchange import (
    document_from_bytes,
    document_to_dict,
    filing_document,
    filing_import,
)
from tests.evaluations.services import excel_hostile as hostile
from tests.helpers import example_bytes, import_example

EXAMPLES = ("beita-2023", "junshan-2023")
OFFICIAL_SHEETS = [SHEET_PROFILE, SHEET_FUNDS, SHEET_BASIC, SHEET_SCORE]
AMOUNT_KEYS = {
    "initial_budget", "full_year_budget", "executed", "weight", "score", "prior_final",
    "budget", "final", "approved_area", "actual_area", "budget_investment",
    "actual_investment", "general_budget", "government_fund", "special_account", "other",
    "basic", "project", "personnel", "public",
}  # fmt: skip


# Helpers -----------------------------------------------------------------------------


def example_document(name):
    return document_from_bytes(example_bytes(name))


def export(document):
    return workbook_from_document(
        document=document, score=document_score(document=document, template=ScoringTemplate())
    )


def parse(data, document):
    return document_from_workbook(
        data=data,
        department_name=document.department.name,
        jurisdiction_name=document.department.jurisdiction,
        year=document.fiscal_year,
    )


def normal(value, key=None):
    """The JSON form with null, "" and missing alike and amounts compared by value."""
    if isinstance(value, dict):
        return {k: normal(v, k) for k, v in value.items() if normal(v, k) not in (None, "")}
    if isinstance(value, list):
        return [normal(item) for item in value]
    # Report sections share some names with amounts ("other", "government_fund").
    if key in AMOUNT_KEYS and isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return Decimal(value)
    return value


def as_json(document):
    return normal(document_to_dict(document=document))


def differences(before, after, path=""):
    """Paths of the leaves that differ between two normalised JSON forms."""
    if isinstance(before, dict) and isinstance(after, dict):
        found = set()
        for key in before.keys() | after.keys():
            found |= differences(before.get(key), after.get(key), f"{path}.{key}".lstrip("."))
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        found = set()
        for index, (one, other) in enumerate(zip(before, after, strict=True)):
            found |= differences(one, other, f"{path}[{index}]")
        return found
    return set() if before == after else {path}


def load(data):
    return openpyxl.load_workbook(io.BytesIO(data))


def save(workbook):
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def edited(data, change):
    """`data` after `change(workbook)`, as an officer editing in Excel would."""
    workbook = load(data)
    change(workbook)
    return save(workbook)


def row_of(sheet, label, column="A"):
    for row in range(1, sheet.max_row + 1):
        if sheet[f"{column}{row}"].value == label:
            return row
    raise AssertionError(f"no row labelled {label}")


def refusal(data, document=None):
    with pytest.raises(WorkbookError) as caught:
        parse(data, document or example_document("junshan-2023"))
    return caught.value


@pytest.fixture
def junshan():
    return example_document("junshan-2023")


@pytest.fixture
def junshan_xlsx(junshan):
    return export(junshan)


# Export ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_export_opens_with_the_official_sheets_in_order(name):
    document = example_document(name)
    workbook = load(export(document))

    projects = [f"附件3-{index + 1}" for index in range(len(document.projects))]
    assert workbook.sheetnames == OFFICIAL_SHEETS + projects


def test_project_tables_get_one_sheet_each(junshan_xlsx):
    sheet = load(junshan_xlsx)["附件3-1"]

    assert sheet["D2"].value == "区委办专项"
    assert sheet["D5"].value == 373
    assert sheet["H5"].value == 100  # 执行率
    assert sheet["I5"].value == 10  # 执行率得分


def test_export_keeps_the_paper_forms_merged_headers(junshan_xlsx):
    workbook = load(junshan_xlsx)
    merged = {
        name: {str(item) for item in workbook[name].merged_cells.ranges} for name in OFFICIAL_SHEETS
    }

    assert "A1:K1" in merged[SHEET_SCORE]  # title across the table
    assert {"A3:A9", "A10:A11", "B10:F10", "G10:K10"} <= merged[SHEET_SCORE]
    assert {"A1:G1", "A3:A4"} <= merged[SHEET_BASIC]
    assert "A1:K1" in {str(item) for item in workbook["附件3-1"].merged_cells.ranges}
    assert workbook[SHEET_SCORE]["D12"].value == "三级指标"
    headers = [workbook[SHEET_SCORE][f"{column}12"].value for column in "BCDEFGHIJK"]
    assert headers == [
        "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
        "偏差原因分析及改进措施", "是否适用", "建议得分",
    ]  # fmt: skip


def test_amounts_are_numeric_cells_with_two_decimals(junshan_xlsx):
    workbook = load(junshan_xlsx)
    funds = workbook[SHEET_FUNDS]
    basic = workbook[SHEET_BASIC]
    reception = row_of(basic, "3、公务接待")

    for cell in (funds["B3"], funds["C3"], funds["D3"], basic[f"B{reception}"]):
        assert cell.data_type == "n"
        assert cell.number_format == "0.00"
    assert funds["C3"].value == pytest.approx(1013.19)
    assert basic[f"D{reception}"].value == pytest.approx(2.14)


def test_computed_cells_are_locked_under_sheet_protection(junshan_xlsx):
    workbook = load(junshan_xlsx)
    score = workbook[SHEET_SCORE]
    total = row_of(score, "总分")

    for name in workbook.sheetnames:
        assert workbook[name].protection.sheet is True
        assert workbook[name].protection.password is None
    computed = [
        workbook[SHEET_BASIC]["D4"],  # 在职人员控制率
        workbook[SHEET_FUNDS]["F3"],  # 执行率
        workbook[SHEET_FUNDS]["G3"],  # 执行率得分
        score["H4"],
        score["I4"],
        score[f"H{total}"],  # 总分
        score[f"H{total + 2}"],  # 等次
        score["K13"],  # 建议得分
    ]
    assert all(cell.protection.locked for cell in computed)
    assert [cell.value for cell in computed[:3]] == [100, 100, 10]
    assert (score[f"G{total}"].value, score[f"H{total}"].value) == (100, 99)
    assert score[f"H{total + 2}"].value == "优"


def test_input_cells_are_unlocked(junshan_xlsx):
    workbook = load(junshan_xlsx)
    score = workbook[SHEET_SCORE]
    inputs = [
        workbook[SHEET_PROFILE]["B9"],
        workbook[SHEET_FUNDS]["C3"],
        workbook[SHEET_BASIC]["B4"],
        score["B11"],
        *(score[f"{column}13"] for column in "BCDEFGHIJ"),
        score["B34"],  # a spare row for another indicator
        workbook["附件3-1"]["D2"],
    ]

    assert not any(cell.protection.locked for cell in inputs)


def test_actual_and_applicable_columns_offer_lists(junshan_xlsx):
    validations = load(junshan_xlsx)[SHEET_SCORE].data_validations.dataValidation
    by_column = {str(item.sqref)[0]: item for item in validations}

    assert "达成年度指标" in by_column["F"].formula1
    # Actuals are mostly numbers: any value must stay allowed.
    assert not by_column["F"].showErrorMessage
    assert by_column["J"].formula1 == '"适用,不适用"'
    assert by_column["J"].showErrorMessage


def test_workbook_records_its_layout_version(junshan_xlsx):
    name = load(junshan_xlsx).defined_names[LAYOUT_NAME]

    assert name.attr_text == f'"{LAYOUT_VERSION}"'


@pytest.mark.parametrize("text", ["=SUM(A1)", "+1+1", "-A1", "@SUM(A1)"])
def test_text_that_looks_like_a_formula_stays_text(junshan, text):
    junshan.report.problems = text
    junshan.indicators[0].name = text
    data = export(junshan)

    workbook = load(data)
    problems = workbook[SHEET_PROFILE][
        f"B{row_of(workbook[SHEET_PROFILE], '七、存在的问题及原因分析')}"
    ]
    assert (problems.value, problems.data_type) == (text, "s")
    assert (workbook[SHEET_SCORE]["D13"].value, workbook[SHEET_SCORE]["D13"].data_type) == (
        text,
        "s",
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert not any(b"<f>" in archive.read(name) for name in sheets)
    back = parse(data, junshan)
    assert (back.report.problems, back.indicators[0].name) == (text, text)


def test_control_characters_excel_cannot_hold_are_dropped(junshan):
    junshan.report.other = "无\x0b。"

    assert parse(export(junshan), junshan).report.other == "无。"


# Round trip --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", EXAMPLES)
def test_saved_filing_survives_the_workbook_round_trip(name):
    filing = import_example(name)
    document = filing_document(filing=filing)

    back = document_from_workbook(
        data=filing_workbook(filing=filing),
        department_name=filing.department.name,
        jurisdiction_name=filing.department.jurisdiction.name,
        year=filing.fiscal_year.year,
    )

    assert as_json(back) == as_json(document)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_document_survives_the_workbook_round_trip_exactly(name):
    document = example_document(name)

    assert parse(export(document), document) == document


def test_rows_beyond_the_spare_rows_and_buildings_round_trip(junshan):
    from evaluations.core import document as doc

    junshan.indicators += copy.deepcopy(junshan.indicators)
    junshan.indicators[3] = doc.Indicator(level1="成本指标", name="不适用的一行", applicable=False)
    junshan.basic_data.buildings = [
        doc.Building(
            name="办公楼", approved_area=Decimal("1200.00"), actual_area=Decimal("1180.50")
        ),
        doc.Building(name="档案馆", budget_investment=Decimal("300.00")),
    ]
    junshan.basic_data.project_items = [
        doc.ProjectItem(name="业务工作经费", budget=Decimal("57.00")),
        doc.ProjectItem(name="业务工作经费", final=Decimal("1.00")),
    ]
    junshan.contact.date = "2024-07-30"
    junshan.template = "湖南省模板"
    junshan.department.code = "301001"
    junshan.basic_data.rows["basic_budget_adjustment"].final = Decimal("-12.50")

    assert parse(export(junshan), junshan) == junshan


def test_edited_cells_change_exactly_their_fields(junshan, junshan_xlsx):
    def change(workbook):
        workbook[SHEET_SCORE]["H20"] = 10  # 经济效益 得分 9 → 10
        workbook[SHEET_FUNDS]["D3"] = 1000.5  # 全年执行数
        profile = workbook[SHEET_PROFILE]
        profile[f"B{row_of(profile, '七、存在的问题及原因分析')}"] = "已整改。"
        workbook["附件3-1"]["I18"] = "已说明原因"  # project 偏差原因

    before = as_json(junshan)
    after = as_json(parse(edited(junshan_xlsx, change), junshan))

    assert differences(before, after) == {
        "indicators[7].score",
        "funds.executed",
        "report.problems",
        "projects[0].indicators[6].deviation",
    }
    assert after["indicators"][7]["score"] == Decimal("10")
    assert after["funds"]["executed"] == Decimal("1000.50")


def test_indicator_typed_into_a_spare_row_is_added_and_blank_rows_are_ignored(
    junshan, junshan_xlsx
):
    def change(workbook):
        sheet = workbook[SHEET_SCORE]
        for column, value in zip(
            "BCDEFGHJ",
            ["成本指标", "经济成本指标", "会议费", "≤5万元", 4.2, 5, 5, "适用"],
            strict=True,
        ):
            sheet[f"{column}30"] = value
        sheet["J28"] = "适用"  # a blank row stays blank even with the default chosen

    back = parse(edited(junshan_xlsx, change), junshan)

    assert len(back.indicators) == len(junshan.indicators) + 1
    added = back.indicators[-1]
    assert (added.level1, added.name, added.target, added.actual) == (
        "成本指标", "会议费", "≤5万元", "4.2",
    )  # fmt: skip
    assert (added.weight, added.score, added.applicable) == (Decimal("5.00"), Decimal("5.00"), True)


def test_numbers_and_dates_typed_into_text_cells_read_as_shown(junshan, junshan_xlsx):
    from datetime import datetime

    def change(workbook):
        sheet = workbook[SHEET_SCORE]
        sheet["F13"] = 20  # 实际完成值 typed as a number
        sheet["F16"] = 0.985
        sheet["F16"].number_format = "0.0%"
        sheet["E18"] = datetime(2023, 12, 31)
        profile = workbook[SHEET_PROFILE]
        profile[f"B{row_of(profile, '填报日期（如 2024-07-30）')}"] = datetime(2024, 7, 30)

    back = parse(edited(junshan_xlsx, change), junshan)

    assert back.indicators[0].actual == "20"
    assert back.indicators[3].actual == "98.5%"
    assert back.indicators[5].target == "2023-12-31"
    assert back.contact.date == "2024-07-30"


def test_a_numeric_text_in_a_number_cell_is_read_as_the_number(junshan, junshan_xlsx):
    back = parse(
        edited(junshan_xlsx, lambda wb: wb[SHEET_FUNDS].__setitem__("C3", " 1013.19 ")), junshan
    )

    assert back.funds.full_year_budget == Decimal("1013.19")


# Blank and pre-filled workbooks ------------------------------------------------------------


@pytest.mark.django_db
def test_blank_workbook_is_prefilled_from_last_years_filing():
    raw = json.loads(example_bytes("beita-2023"))
    raw["fiscal_year"] = 2022
    raw["basic_data"]["project_items"][0]["final"] = "12.34"
    previous = filing_import(document=document_from_bytes(json.dumps(raw).encode()))
    department = previous.department

    data = blank_workbook(department=department, fiscal_year=2023)
    document = document_from_workbook(
        data=data,
        department_name=department.name,
        jurisdiction_name=department.jurisdiction.name,
        year=2023,
    )

    last_year = document_from_bytes(json.dumps(raw).encode())
    assert document.fiscal_year == 2023
    assert document.profile == last_year.profile
    for key, row in document.basic_data.rows.items():
        assert row.prior_final == last_year.basic_data.rows[key].final
        assert (row.budget, row.final) == (None, None)
    assert [(item.name, item.prior_final) for item in document.basic_data.project_items] == [
        (item.name, item.final) for item in last_year.basic_data.project_items
    ]
    assert document.indicators == []
    assert document.projects == []
    assert document.report.problems == ""
    assert document.funds.full_year_budget is None
    assert load(data)[SHEET_BASIC]["B5"].value == "2022年决算数"


@pytest.mark.django_db
def test_blank_workbook_without_a_previous_filing_names_only_the_department():
    filing = import_example("junshan-2023")

    data = blank_workbook(department=filing.department, fiscal_year=filing.fiscal_year)
    workbook = load(data)

    assert workbook.sheetnames == OFFICIAL_SHEETS
    assert workbook[SHEET_PROFILE]["B3"].value == "中共岳阳市君山区委办公室"
    assert workbook[SHEET_PROFILE]["B4"].value == "岳阳市君山区"
    assert workbook[SHEET_PROFILE]["B6"].value == 2023
    document = document_from_workbook(
        data=data, department_name=filing.department.name,
        jurisdiction_name="岳阳市君山区", year=2023,
    )  # fmt: skip
    assert document.profile.functions == ""
    assert all(row.prior_final is None for row in document.basic_data.rows.values())


def test_a_copied_project_sheet_adds_a_project(junshan, junshan_xlsx):
    def change(workbook):
        copy_ = workbook.copy_worksheet(workbook["附件3-1"])
        copy_.title = "附件3-2"
        copy_["D2"] = "区委办专项（二）"

    back = parse(edited(junshan_xlsx, change), junshan)

    assert [project.name for project in back.projects] == ["区委办专项", "区委办专项（二）"]
    assert back.projects[1].indicators == junshan.projects[0].indicators


def test_openpyxl_parses_xml_with_defusedxml():
    assert check_openpyxl_uses_defusedxml() is True


# Hostile and broken files -------------------------------------------------------------


def test_a_file_that_is_not_a_zip_is_refused():
    error = refusal(b"this is a CSV, not a workbook\n1,2,3\n")

    assert "不是有效的 Excel 工作簿" in str(error)
    assert error.sheet is None


def test_an_xls_file_is_refused():
    error = refusal(hostile.xls_bytes())

    assert "Excel 97-2003 工作簿（.xls）" in str(error)
    assert "在 Excel 或 WPS 表格中打开" in str(error)
    assert "另存为”Excel 工作簿（.xlsx）" in str(error)


def test_a_macro_enabled_workbook_is_refused(junshan_xlsx):
    error = refusal(hostile.as_xlsm(junshan_xlsx))

    assert "宏" in str(error) and ".xlsm" in str(error)


def test_a_zip_bomb_is_refused_from_the_zip_directory(junshan_xlsx):
    bomb = hostile.zip_bomb(junshan_xlsx)
    assert len(bomb) < 1024 * 1024

    started = time.monotonic()
    error = refusal(bomb)

    assert "压缩炸弹" in str(error)
    assert time.monotonic() - started < 1


def test_a_file_over_the_size_limit_is_refused(settings, junshan_xlsx):
    settings.PERFEVAL_XLSX_MAX_BYTES = 1000

    assert "文件过大" in str(refusal(junshan_xlsx))


def test_xml_entity_expansion_is_refused(junshan_xlsx):
    error = refusal(hostile.billion_laughs(junshan_xlsx, SHEET_SCORE))

    assert str(error) == "文件包含不安全的 XML（实体扩展），拒绝读取。"


def test_a_million_rows_are_refused_before_reading_the_sheet(junshan_xlsx):
    started = time.monotonic()
    error = refusal(hostile.million_rows(junshan_xlsx, SHEET_SCORE))

    assert str(error) == "工作表“附件2 自评表”至少有 1000000 行，超过上限 5000 行，拒绝读取。"
    assert time.monotonic() - started < 1


def test_rows_are_counted_even_without_a_dimension(settings, junshan_xlsx):
    settings.PERFEVAL_XLSX_MAX_ROWS = 500

    error = refusal(hostile.huge_row_count_without_dimension(junshan_xlsx, SHEET_BASIC, 600))

    assert "工作表“附件1 基础数据表”" in str(error) and "超过上限 500 行" in str(error)


def test_a_missing_sheet_is_named(junshan_xlsx):
    error = refusal(edited(junshan_xlsx, lambda workbook: workbook.remove(workbook[SHEET_BASIC])))

    assert (error.sheet, error.cell) == (SHEET_BASIC, None)
    assert str(error).startswith("工作表“附件1 基础数据表”：缺少此工作表")


def test_an_inserted_column_is_named_by_the_header_it_displaced(junshan_xlsx):
    error = refusal(edited(junshan_xlsx, lambda workbook: workbook[SHEET_SCORE].insert_cols(5)))

    assert (error.sheet, error.cell) == (SHEET_SCORE, "E3")
    assert str(error).startswith("工作表“附件2 自评表”单元格 E3：应为“全年预算数”")


def test_a_shifted_basic_data_table_is_refused(junshan_xlsx):
    error = refusal(edited(junshan_xlsx, lambda workbook: workbook[SHEET_BASIC].insert_cols(1)))

    assert (error.sheet, error.cell) == (SHEET_BASIC, "A3")


def test_text_in_a_number_cell_is_refused(junshan_xlsx):
    error = refusal(edited(junshan_xlsx, lambda wb: wb[SHEET_SCORE].__setitem__("H13", "五分")))

    assert str(error) == "工作表“附件2 自评表”单元格 H13：得分不是数字：“五分”。"


def test_three_decimals_are_refused(junshan_xlsx):
    error = refusal(edited(junshan_xlsx, lambda wb: wb[SHEET_FUNDS].__setitem__("C3", 1013.195)))

    assert str(error) == "工作表“年度资金”单元格 C3：全年预算数最多两位小数，实际为 1013.195。"


def test_a_negative_amount_is_refused(junshan_xlsx):
    def change(workbook):
        sheet = workbook[SHEET_BASIC]
        sheet[f"C{row_of(sheet, '3、公务接待')}"] = -5

    error = refusal(edited(junshan_xlsx, change))

    assert error.sheet == SHEET_BASIC
    assert "3、公务接待·2023年预算数不能为负数" in error.message


def test_a_negative_budget_adjustment_is_accepted(junshan, junshan_xlsx):
    def change(workbook):
        sheet = workbook[SHEET_BASIC]
        sheet[f"D{row_of(sheet, '部门基本支出预算调整')}"] = -20.5

    back = parse(edited(junshan_xlsx, change), junshan)

    assert back.basic_data.rows["basic_budget_adjustment"].final == Decimal("-20.50")


def test_a_formula_in_an_input_cell_is_refused(junshan_xlsx):
    error = refusal(edited(junshan_xlsx, lambda wb: wb[SHEET_FUNDS].__setitem__("C3", "=B3*2")))

    assert str(error) == "工作表“年度资金”单元格 C3：全年预算数含公式，请改为数值。"


def test_a_formula_in_a_text_cell_is_refused(junshan_xlsx):
    error = refusal(edited(junshan_xlsx, lambda wb: wb[SHEET_SCORE].__setitem__("F13", "=E13")))

    assert (error.sheet, error.cell) == (SHEET_SCORE, "F13")
    assert "含公式" in error.message


def test_moved_merged_header_cells_are_named(junshan_xlsx):
    def change(workbook):
        sheet = workbook[SHEET_SCORE]
        sheet.unmerge_cells("A1:K1")
        sheet.merge_cells("A1:J1")

    error = refusal(edited(junshan_xlsx, change))

    assert (error.sheet, error.cell) == (SHEET_SCORE, "A1:K1")
    assert "合并单元格" in error.message


def test_a_workbook_of_another_department_is_refused(junshan_xlsx):
    error = refusal(junshan_xlsx, example_document("beita-2023"))

    assert (error.sheet, error.cell) == (SHEET_PROFILE, "B3")
    assert "中共岳阳市君山区委办公室" in error.message


def test_another_layout_version_is_refused(junshan_xlsx):
    from openpyxl.workbook.defined_name import DefinedName

    def change(workbook):
        workbook.defined_names[LAYOUT_NAME] = DefinedName(
            LAYOUT_NAME, attr_text='"perfeval-xlsx/9"'
        )

    assert "perfeval-xlsx/9" in str(refusal(edited(junshan_xlsx, change)))


def test_weight_on_a_not_applicable_row_is_refused(junshan_xlsx):
    error = refusal(edited(junshan_xlsx, lambda wb: wb[SHEET_SCORE].__setitem__("J13", "不适用")))

    assert (error.cell, error.message) == ("G13", "不适用的指标不能填写分值，请清空或改为“适用”。")


def test_a_row_without_level1_is_refused_at_its_cell(junshan_xlsx):
    error = refusal(edited(junshan_xlsx, lambda wb: wb[SHEET_SCORE].__setitem__("B14", None)))

    assert (error.sheet, error.cell, error.message) == (SHEET_SCORE, "B14", "缺少一级指标。")


def test_a_bad_date_is_refused_at_its_cell(junshan_xlsx):
    def change(workbook):
        sheet = workbook[SHEET_PROFILE]
        sheet[f"B{row_of(sheet, '填报日期（如 2024-07-30）')}"] = "2024年7月30日"

    error = refusal(edited(junshan_xlsx, change))

    assert error.sheet == SHEET_PROFILE
    assert re.fullmatch(r"B\d+", error.cell)
    assert "YYYY-MM-DD" in error.message


def test_fractional_headcount_is_refused(junshan_xlsx):
    error = refusal(edited(junshan_xlsx, lambda wb: wb[SHEET_BASIC].__setitem__("B4", 30.5)))

    assert str(error) == "工作表“附件1 基础数据表”单元格 B4：编制数应为整数，实际为 30.5。"


# Every bad value at once ---------------------------------------------------------------


def test_three_bad_values_are_all_listed_with_their_places_in_sheet_order(junshan_xlsx):
    def change(workbook):
        workbook[SHEET_SCORE]["H13"] = "五分"
        workbook[SHEET_FUNDS]["C3"] = 1013.195
        workbook[SHEET_BASIC]["B4"] = 30.5

    error = refusal(edited(junshan_xlsx, change))

    assert [(problem.sheet, problem.cell) for problem in error.problems] == [
        (SHEET_FUNDS, "C3"),
        (SHEET_BASIC, "B4"),
        (SHEET_SCORE, "H13"),
    ]
    assert str(error).splitlines() == [
        "共 3 处问题：",
        "工作表“年度资金”单元格 C3：全年预算数最多两位小数，实际为 1013.195。",
        "工作表“附件1 基础数据表”单元格 B4：编制数应为整数，实际为 30.5。",
        "工作表“附件2 自评表”单元格 H13：得分不是数字：“五分”。",
    ]


def test_cell_problems_and_document_problems_are_listed_together(junshan_xlsx):
    def change(workbook):
        sheet = workbook[SHEET_PROFILE]
        sheet[f"B{row_of(sheet, '填报日期（如 2024-07-30）')}"] = "2024年7月30日"
        workbook[SHEET_SCORE]["B14"] = None
        workbook[SHEET_SCORE]["G13"] = "=1+1"

    error = refusal(edited(junshan_xlsx, change))

    found = [(problem.sheet, problem.cell, problem.message) for problem in error.problems]
    assert len(found) == 3
    assert found[0][0] == SHEET_PROFILE and "YYYY-MM-DD" in found[0][2]
    assert found[1:] == [
        (SHEET_SCORE, "G13", "分值含公式，请改为数值。"),
        (SHEET_SCORE, "B14", "缺少一级指标。"),
    ]


def test_a_refused_formula_in_a_required_cell_is_named_once(junshan_xlsx):
    error = refusal(edited(junshan_xlsx, lambda wb: wb[SHEET_SCORE].__setitem__("B14", "=A1")))

    assert [(problem.cell, problem.message) for problem in error.problems] == [
        ("B14", "一级指标含公式，请改为文字。")
    ]


def test_sixty_bad_values_list_fifty_and_count_the_rest(junshan_xlsx):
    book = load(junshan_xlsx)
    cells = [
        (sheet.title, f"{column}{row}")
        for sheet in book.worksheets[3:]
        # Indicator rows: below the funds block, whose figures are shown, not read.
        for row in range(12, sheet.max_row + 1)
        if sheet[f"B{row}"].value
        and sheet[f"G{row}"].value is not None
        and isinstance(sheet[f"G{row}"].value, int | float)
        for column in "GH"
    ]
    basic = book[SHEET_BASIC]
    cells += [
        (SHEET_BASIC, f"{column}{row}")
        for row in range(6, basic.max_row + 1)
        for column in "BCD"
        if isinstance(basic[f"{column}{row}"].value, int | float)
    ]
    assert len(cells) >= 60

    def change(workbook):
        for title, coord in cells[:60]:
            workbook[title][coord] = "不是数字"

    error = refusal(edited(junshan_xlsx, change))

    shown, more = error.listed()
    assert (len(error.problems), len(shown), more) == (60, 50, 10)
    lines = str(error).splitlines()
    assert lines[0] == "共 60 处问题："
    assert len(lines) == 52 and lines[-1] == "另有 10 处未列出。"
    assert all("不是数字：“不是数字”" in line for line in lines[1:51])


# Whatever openpyxl expands is bounded before it loads -----------------------------------


def covered(error):
    """The number of cells a refusal says the ranges cover."""
    return int(re.search(r"共覆盖 (\d+) 个单元格", error.message).group(1))


def test_a_merged_range_across_every_column_is_refused_before_loading(junshan_xlsx):
    bomb = hostile.extra_merged_range(junshan_xlsx, SHEET_PROFILE, "E40:XFD5000")
    assert len(bomb) < 64 * 1024

    error = refusal(bomb)

    assert re.fullmatch(
        r"工作表“部门基本情况”的合并单元格共覆盖 \d+ 个单元格，超过上限 10000 个，拒绝读取。",
        str(error),
    )
    # The header merges of the sheet, and the one range of 16,380 × 4,961 cells.
    assert covered(error) == 95 + 16_380 * 4_961


def test_a_merged_range_of_a_hundred_thousand_rows_is_refused(junshan_xlsx):
    error = refusal(hostile.extra_merged_range(junshan_xlsx, SHEET_SCORE, "A100:Z100100"))

    assert error.sheet is None and "工作表“附件2 自评表”的合并单元格" in error.message
    assert covered(error) >= 26 * 100_001


def test_an_open_ended_merged_range_counts_to_the_edge_of_the_sheet(junshan_xlsx):
    error = refusal(hostile.extra_merged_range(junshan_xlsx, SHEET_FUNDS, "M:M"))

    assert covered(error) >= 1_048_576


def test_an_extra_merged_range_within_the_bound_is_still_read(junshan, junshan_xlsx):
    back = parse(hostile.extra_merged_range(junshan_xlsx, SHEET_SCORE, "M200:Z300"), junshan)

    assert as_json(back) == as_json(parse(junshan_xlsx, junshan))


def test_a_hyperlink_over_a_huge_range_is_refused(junshan_xlsx):
    error = refusal(hostile.hyperlink_over(junshan_xlsx, SHEET_BASIC, "A1:Z100000"))

    assert error.message.startswith("工作表“附件1 基础数据表”的超链接共覆盖 2600000 个单元格，")


def test_too_many_data_validations_are_refused(junshan_xlsx):
    error = refusal(hostile.many_data_validations(junshan_xlsx, SHEET_SCORE, 51))

    assert (
        error.message == "工作表“附件2 自评表”的数据验证规则过多（51 个，上限 50 个），拒绝读取。"
    )


def test_data_validations_up_to_the_bound_are_read(junshan, junshan_xlsx):
    assert parse(hostile.many_data_validations(junshan_xlsx, SHEET_SCORE, 50), junshan)


def test_too_many_conditional_formats_are_refused(junshan_xlsx):
    error = refusal(hostile.many_conditional_formats(junshan_xlsx, SHEET_FUNDS, 51))

    assert error.message == "工作表“年度资金”的条件格式过多（51 个，上限 50 个），拒绝读取。"


def test_a_validation_listing_too_many_ranges_is_refused(junshan_xlsx):
    error = refusal(hostile.many_ranges_in_one_validation(junshan_xlsx, SHEET_SCORE, 501))

    assert "数据验证和条件格式引用的区域过多（501 个，上限 500 个）" in error.message


def test_too_many_defined_names_are_refused(junshan_xlsx):
    # The export has its own: the layout name, each sheet's print area and titles.
    names = hostile.member(junshan_xlsx, "xl/workbook.xml").count(b"<definedName ")
    error = refusal(hostile.many_defined_names(junshan_xlsx, 501 - names))

    assert error.message == "工作簿的定义的名称过多（501 个，上限 500 个），拒绝读取。"


def test_too_many_zip_parts_are_refused(junshan_xlsx):
    error = refusal(hostile.many_parts(junshan_xlsx, 800))

    assert error.message == "工作簿包含的部件过多（813 个，上限 412 个），拒绝读取。"


def test_an_oversized_part_is_refused_whatever_it_is(junshan_xlsx):
    error = refusal(hostile.large_styles(junshan_xlsx, 2 * 1024 * 1024))

    assert error.message == "工作簿部件 xl/styles.xml 解压后达 2.0 MB，超过上限 1.0 MB，拒绝读取。"


def test_a_sheet_listed_too_many_times_is_refused(junshan_xlsx):
    error = refusal(hostile.sheet_referenced_many_times(junshan_xlsx, SHEET_FUNDS, 101))

    assert error.message == "工作簿的工作表过多（106 个，上限 104 个），拒绝读取。"


def test_cells_are_bounded_over_the_whole_workbook(junshan_xlsx):
    def crowded(xml):
        start = int(re.findall(rb'<row r="(\d+)"', xml)[-1]) + 1
        cells = b"".join(
            b'<c r="%s{row}" t="n"><v>1</v></c>' % column.encode() for column in "LMNOPQRSTUVWXYZ"
        )
        rows = b"".join(
            b'<row r="%d">%s</row>' % (row, cells.replace(b"{row}", b"%d" % row))
            for row in range(start, start + 3500)
        )
        return xml.replace(b"</sheetData>", rows + b"</sheetData>")

    part = hostile.sheet_part(junshan_xlsx, SHEET_FUNDS)
    big = hostile.rewrite(junshan_xlsx, replace={part: crowded(hostile.member(junshan_xlsx, part))})
    crowded_twice = hostile.sheet_referenced_many_times(big, SHEET_FUNDS, 2)

    error = refusal(crowded_twice)

    assert error.message.startswith("工作簿的单元格过多（共 ")
    assert error.message.endswith("上限 100000 个），拒绝读取。")


def test_a_sheet_part_not_named_xml_is_still_counted(junshan_xlsx):
    renamed = hostile.sheet_renamed(
        junshan_xlsx, SHEET_PROFILE, "xl/worksheets/sheet1.bin", rows=400_000
    )

    error = refusal(renamed)

    assert re.fullmatch(
        r"工作表“部门基本情况”至少有 \d+ 行，超过上限 5000 行，拒绝读取。", error.message
    )


def test_a_sheet_part_not_named_xml_is_read_like_any_other(junshan, junshan_xlsx):
    renamed = hostile.sheet_renamed(junshan_xlsx, SHEET_PROFILE, "xl/worksheets/sheet1.bin")

    assert as_json(parse(renamed, junshan)) == as_json(parse(junshan_xlsx, junshan))


# Damaged zip entries ---------------------------------------------------------------------


def test_an_encrypted_zip_entry_is_refused(junshan_xlsx):
    part = hostile.sheet_part(junshan_xlsx, SHEET_SCORE)

    error = refusal(hostile.encrypted_entry(junshan_xlsx, part))

    assert error.message == (
        f"工作簿部件 {part} 已加密，无法读取。"
        "请在 Excel 或 WPS 表格中取消密码并另存为 .xlsx 后上传。"
    )


def test_a_compression_excel_never_writes_is_refused(junshan_xlsx):
    error = refusal(hostile.other_compression(junshan_xlsx, "xl/styles.xml"))

    assert "xl/styles.xml 使用了 Excel 不使用的压缩方式" in error.message


DAMAGED = {
    "corrupt_deflate": hostile.corrupt_deflate,
    "bad_crc": hostile.bad_crc,
    "declared_larger": lambda data, name: hostile.lying_size(data, name, 1000),
    "declared_smaller": lambda data, name: hostile.lying_size(data, name, -10),
}


@pytest.mark.parametrize("case", DAMAGED)
def test_a_damaged_zip_entry_is_refused_in_plain_words(case, junshan_xlsx):
    part = hostile.sheet_part(junshan_xlsx, SHEET_BASIC)

    error = refusal(DAMAGED[case](junshan_xlsx, part))

    assert error.message == (
        f"工作簿已损坏（部件 {part} 无法解压或校验不符），"
        "请用 Excel 打开并重新保存为 .xlsx 后上传。"
    )


def test_any_element_repeated_half_a_million_times_is_refused(junshan_xlsx):
    error = refusal(hostile.page_breaks(junshan_xlsx, SHEET_BASIC, 500_000))

    assert error.message.startswith("工作簿的 XML 元素过多（共 ")
    assert error.message.endswith("上限 500000 个），拒绝读取。")
