import copy

import pytest

from evaluations.services.changes import ADDED, CHANGED, REMOVED, Change, document_changes
from evaluations.services.interchange import document_to_dict, filing_document
from tests.helpers import import_example

pytestmark = pytest.mark.django_db


@pytest.fixture
def junshan():
    filing = import_example("junshan-2023")
    return document_to_dict(document=filing_document(filing=filing))


@pytest.fixture
def before(junshan):
    return copy.deepcopy(junshan)


@pytest.fixture
def after(junshan):
    return copy.deepcopy(junshan)


def labels(changes):
    return [change.label for change in changes]


def test_identical_documents_have_no_changes(before, after):
    assert document_changes(before=before, after=after) == []


def test_a_changed_score_and_deviation_are_named_by_table_row_and_column(before, after):
    after["indicators"][4]["score"] = "8.5"
    after["indicators"][4]["deviation"] = "文稿采用率未达预期，下年度加强审核。"
    assert document_changes(before=before, after=after) == [
        Change(
            path="indicators[4].score",
            label="附件2 第5行 得分",
            old=before["indicators"][4]["score"],
            new="8.5",
        ),
        Change(
            path="indicators[4].deviation",
            label="附件2 第5行 偏差原因分析及改进措施",
            old=None,
            new="文稿采用率未达预期，下年度加强审核。",
        ),
    ]


def test_empty_and_missing_values_and_equal_amounts_are_not_changes(before, after):
    after["indicators"][0]["deviation"] = None
    after["indicators"][0]["score"] = after["indicators"][0]["score"] + "0"  # "5.00" → "5.000"
    before["funds"]["executed"], after["funds"]["executed"] = "10.00", "10"
    after["report"]["problems"] = before["report"]["problems"].replace("\n", "\r\n") + "\n"
    after["computed"] = {"total_score": "99.00"}
    assert document_changes(before=before, after=after) == []


def test_each_part_gets_its_chinese_label_in_document_order(before, after):
    after["funds"]["executed"] = "1.00"
    after["funds"]["by_source"]["other"] = "2.00"
    after["basic_data"]["rows"]["three_public"]["final"] = "3.00"
    after["report"]["problems"] = "新的问题分析"
    after["report"]["budget_overview"] = "新的概述"
    after["contact"]["phone"] = "0730-0000000"
    after["staffing"]["actual"] = 99
    after["overall_goal"]["actual"] = "全面完成"
    after["profile"]["functions"] = "新的职能"
    assert labels(document_changes(before=before, after=after)) == [
        "部门基本情况 主要职能职责",
        "人员编制 实际在职人数",
        "年度资金 全年执行数",
        "年度资金 按收入性质 其他资金",
        "附件1 三公经费 本年决算数",
        "附件2 年度总体目标 实际完成情况",
        "自评报告 二、（一）预算执行、使用、管理总体情况",
        "自评报告 七、存在的问题及原因分析",
        "填报信息 联系电话",
    ]


def test_project_fields_are_labelled_with_the_projects_name(before, after):
    name = after["projects"][0]["name"]
    after["projects"][0]["indicators"][1]["actual"] = "20次"
    after["projects"][0]["funds"]["total"]["executed"] = "1.00"
    after["projects"][0]["goal"]["expected"] = "新的目标"
    assert labels(document_changes(before=before, after=after)) == [
        f"附件3 项目1「{name}」 年度资金总额 全年执行数",
        f"附件3 项目1「{name}」 年度总体目标 预期目标",
        f"附件3 项目1「{name}」 第2行 实际完成值",
    ]


def test_a_fund_line_filled_in_later_lists_each_amount(before, after):
    after["projects"][0]["funds"]["carryover"] = {
        "initial_budget": None,
        "full_year_budget": "5.00",
        "executed": "4.00",
    }
    before["projects"][0]["funds"]["carryover"] = None
    name = after["projects"][0]["name"]
    changes = document_changes(before=before, after=after)
    assert [(change.label, change.old, change.new) for change in changes] == [
        (f"附件3 项目1「{name}」 上年结转资金 全年预算数", None, "5.00"),
        (f"附件3 项目1「{name}」 上年结转资金 全年执行数", None, "4.00"),
    ]


def test_added_and_removed_rows_are_reported_once_each(before, after):
    after["indicators"].append(
        {
            "level1": "产出指标",
            "level2": "数量指标",
            "name": "新增督查",
            "target": "≥1次",
            "actual": "2次",
            "weight": None,
            "score": None,
            "deviation": "",
            "applicable": True,
        }
    )
    item = {"name": "业务工作经费", "prior_final": None, "budget": "57.00", "final": None}
    before["basic_data"]["project_items"] = [item, {**item, "name": "运行维护经费"}]
    after["basic_data"]["project_items"] = [item]
    changes = document_changes(before=before, after=after)
    rows = len(before["indicators"])
    assert changes == [
        Change(
            path="basic_data.project_items[1]",
            label="附件1 项目支出明细 第2行",
            old="运行维护经费",
            new=None,
            kind=REMOVED,
        ),
        Change(
            path=f"indicators[{rows}]",
            label=f"附件2 第{rows + 1}行",
            old=None,
            new="产出指标 / 数量指标 / 新增督查",
            kind=ADDED,
        ),
    ]
    assert CHANGED not in {change.kind for change in changes}


def test_a_row_marked_not_applicable_reads_in_words(before, after):
    after["indicators"][2]["applicable"] = False
    (change,) = document_changes(before=before, after=after)
    assert (change.label, change.old, change.new) == ("附件2 第3行 适用", "适用", "不适用")
