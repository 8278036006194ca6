"""The bounds of evaluations/services/limits.py on every entry path: the JSON
reader and the `filing_import` command, the workbook import and the
`filing_import_xlsx` command, and the web pages (formsets, 新增项目, a page save
that would take the whole filing over a bound). Each refusal says in Chinese
what is too large and writes nothing; the largest filing allowed passes
everywhere, its largest pages included."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from evaluations.core import document as doc
from evaluations.core import limits
from evaluations.core.scoring import document_score
from evaluations.models import Filing, Indicator, Project, ProjectItem, ScoringTemplate
from evaluations.services.excel import (
    SHEET_BASIC,
    SHEET_SCORE,
    WorkbookError,
    document_from_workbook,
    filing_workbook,
    filing_workbook_read,
    workbook_from_document,
)
from evaluations.services.interchange import (
    DocumentError,
    document_from_bytes,
    document_to_dict,
    filing_import,
)
from tests.evaluations.largest import largest_document, text
from tests.evaluations.pages import PageForm
from tests.factories import (
    DepartmentFactory,
    FiscalYearFactory,
    JurisdictionFactory,
    officer_of,
)
from tests.helpers import example_bytes

pytestmark = pytest.mark.django_db

JUNSHAN = "中共岳阳市君山区委办公室"
JURISDICTION = "岳阳市君山区"


def junshan():
    return document_from_bytes(example_bytes("junshan-2023"))


def rows(count, **cells):
    return [doc.Indicator(level1="产出指标", level2="数量指标", **cells) for _ in range(count)]


def projects(count, *, indicators=0, **cells):
    return [
        doc.Project(name=f"项目{index + 1}", indicators=rows(indicators, **cells))
        for index in range(count)
    ]


def _too_many_projects(document):
    document.projects = projects(limits.MAX_PROJECTS + 1)


def _too_many_score_rows(document):
    document.indicators = rows(limits.MAX_INDICATOR_ROWS + 1)


def _too_many_project_rows(document):
    document.projects = projects(1, indicators=limits.MAX_INDICATOR_ROWS + 1)


def _too_many_items(document):
    document.basic_data.project_items = [
        doc.ProjectItem(name=f"明细{index}") for index in range(limits.MAX_PROJECT_ITEMS + 1)
    ]


def _too_many_buildings(document):
    document.basic_data.buildings = [
        doc.Building(name=f"楼{index}") for index in range(limits.MAX_BUILDINGS + 1)
    ]


def _too_many_rows_in_all(document):
    # Every table within its own bound, the filing over the total.
    full = limits.MAX_INDICATOR_ROWS
    tables = limits.MAX_FILING_INDICATOR_ROWS // full + 1
    document.indicators = rows(full)
    document.projects = projects(tables - 1, indicators=full)


def _too_much_table_text(document):
    # Full cells in two tables: each cell and each table within bounds.
    cell = {"name": text(limits.MAX_INDICATOR_CELL_LENGTH), "deviation": text(1000)}
    document.indicators = rows(limits.MAX_INDICATOR_ROWS, **cell)
    document.projects = projects(1, indicators=limits.MAX_INDICATOR_ROWS, **cell)


def _too_long_deviation(document):
    document.indicators[0].deviation = text(limits.MAX_DEVIATION_LENGTH + 1)


def _too_long_goal(document):
    document.overall_goal.expected = text(limits.MAX_GOAL_LENGTH + 1)


TOTAL_ROWS = (limits.MAX_FILING_INDICATOR_ROWS // limits.MAX_INDICATOR_ROWS + 1) * 60
# case: (change, JSON path, message, sheet of the workbook refusal or None)
CASES = {
    "projects": (
        _too_many_projects,
        "projects",
        "附件3 项目数为 61 个，超过上限 60 个。",
        None,
    ),
    "score_rows": (
        _too_many_score_rows,
        "indicators",
        "附件2 绩效指标行数为 61 行，超过上限 60 行。",
        SHEET_SCORE,
    ),
    "project_rows": (
        _too_many_project_rows,
        "projects[0].indicators",
        "附件3-1 绩效指标行数为 61 行，超过上限 60 行。",
        "附件3-1",
    ),
    "project_items": (
        _too_many_items,
        "basic_data.project_items",
        "附件1 项目支出明细行数为 101 行，超过上限 100 行。",
        SHEET_BASIC,
    ),
    "buildings": (
        _too_many_buildings,
        "basic_data.buildings",
        "附件1 楼堂馆所行数为 31 行，超过上限 30 行。",
        SHEET_BASIC,
    ),
    "rows_in_all": (
        _too_many_rows_in_all,
        "$",
        f"附件2 和全部附件3 的绩效指标合计行数为 {TOTAL_ROWS} 行，超过上限 800 行。",
        None,
    ),
    "table_text": (
        _too_much_table_text,
        "$",
        "附件2 和全部附件3 表格中的文字合计为 ",
        None,
    ),
    "deviation": (
        _too_long_deviation,
        "indicators[0].deviation",
        "文字过长：最多 1000 个字符，当前 1001 个。",
        SHEET_SCORE,
    ),
    "goal": (
        _too_long_goal,
        "overall_goal.expected",
        "文字过长：最多 2000 个字符，当前 2001 个。",
        SHEET_SCORE,
    ),
}


def too_large(case):
    document = junshan()
    CASES[case][0](document)
    return document


def as_json(document):
    return json.dumps(document_to_dict(document=document), ensure_ascii=False).encode()


def as_workbook(document):
    template = ScoringTemplate.objects.get(name="默认评分模板")
    score = document_score(document=document, template=template)
    return workbook_from_document(document=document, score=score)


def written():
    return [model.objects.count() for model in (Filing, Project, Indicator, ProjectItem)]


def command(name, path, *args):
    stdout = StringIO()
    call_command(name, str(path), *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def xlsx_args():
    return ("--department", JUNSHAN, "--jurisdiction", JURISDICTION, "--year", "2023")


# --- the check on the document -----------------------------------------------------


def test_the_largest_allowed_filing_is_within_every_bound():
    for text_in in ("cells", "goals"):
        assert limits.document_check_limits(largest_document(text_in=text_in)) == []


@pytest.mark.parametrize("case", [case for case in CASES if case not in ("deviation", "goal")])
def test_the_document_check_names_each_bound_exceeded(case):
    _, path, message, _ = CASES[case]

    problems = limits.document_check_limits(too_large(case))

    assert [problem.path for problem in problems] == [path]
    assert problems[0].message.startswith(message)


def test_one_row_more_than_the_largest_filing_is_refused():
    document = largest_document()
    # An empty row: the table text is at its bound already.
    document.projects[-1].indicators.append(doc.Indicator())

    problems = limits.document_check_limits(document)

    assert [problem.message for problem in problems] == [
        "附件2 和全部附件3 的绩效指标合计行数为 801 行，超过上限 800 行。"
    ]


# --- JSON and the filing_import command ----------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_json_reader_refuses_each_bound_with_its_path(case):
    _, path, message, _ = CASES[case]

    with pytest.raises(DocumentError) as caught:
        document_from_bytes(as_json(too_large(case)))

    assert [
        (problem.path, problem.message[: len(message)]) for problem in caught.value.problems
    ] == [(path, message)]


@pytest.mark.parametrize("case", CASES)
def test_filing_import_command_refuses_each_bound_and_writes_nothing(case, tmp_path):
    _, path, message, _ = CASES[case]
    file = tmp_path / "自评.json"
    file.write_bytes(as_json(too_large(case)))

    with pytest.raises(CommandError) as caught:
        command("filing_import", file)

    assert caught.value.returncode == 1
    assert f"{path}: {message}" in str(caught.value)
    assert written() == [0, 0, 0, 0]


def test_the_import_service_refuses_a_document_built_in_python():
    # load_demo and scripts hand documents straight to filing_import.
    with pytest.raises(DocumentError) as caught:
        filing_import(document=too_large("projects"))

    assert caught.value.message == "附件3 项目数为 61 个，超过上限 60 个。"
    assert written() == [0, 0, 0, 0]


# --- the workbook and the filing_import_xlsx command ---------------------------------


@pytest.mark.parametrize("case", CASES)
def test_workbook_import_refuses_each_bound_naming_the_sheet(case):
    _, _, message, sheet = CASES[case]

    with pytest.raises(WorkbookError) as caught:
        document_from_workbook(
            data=as_workbook(too_large(case)),
            department_name=JUNSHAN,
            jurisdiction_name=JURISDICTION,
            year=2023,
        )

    found = [(problem.sheet, problem.message[: len(message)]) for problem in caught.value.problems]
    assert found == [(sheet, message)]


@pytest.mark.parametrize("case", ["projects", "project_rows", "rows_in_all", "deviation"])
def test_filing_import_xlsx_command_refuses_a_bound_and_writes_nothing(case, tmp_path):
    _, _, message, _ = CASES[case]
    file = tmp_path / "自评.xlsx"
    file.write_bytes(as_workbook(too_large(case)))
    DepartmentFactory(name=JUNSHAN, jurisdiction=JurisdictionFactory(name=JURISDICTION))
    FiscalYearFactory(year=2023)

    with pytest.raises(CommandError) as caught:
        command("filing_import_xlsx", file, *xlsx_args())

    assert caught.value.returncode == 1
    assert message in str(caught.value)
    assert written() == [0, 0, 0, 0]


# --- the largest filing passes every path -------------------------------------------


def test_the_largest_filing_imports_from_json_and_from_its_workbook(tmp_path):
    document = largest_document()
    file = tmp_path / "最大.json"
    file.write_bytes(as_json(document))

    output = command("filing_import", file)

    assert output.startswith("已导入：")
    filing = Filing.objects.get()
    assert filing.projects.count() == limits.MAX_PROJECTS
    assert filing.indicators.count() == limits.MAX_FILING_INDICATOR_ROWS
    data = filing_workbook(filing=filing)
    read = filing_workbook_read(filing=filing, data=data)
    assert limits.document_check_limits(read) == []
    assert len(read.projects) == limits.MAX_PROJECTS
    assert (
        sum(len(project.indicators) for project in read.projects) + len(read.indicators)
        == limits.MAX_FILING_INDICATOR_ROWS
    )


@pytest.fixture
def largest(client):
    filing = filing_import(document=largest_document())
    client.force_login(officer_of(filing.department))
    return filing


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return PageForm(response.content.decode())


def part_url(filing, part):
    return reverse("evaluations:filing_part", args=[filing.pk, part])


def project_url(filing, project):
    return reverse("evaluations:project_edit", args=[filing.pk, project.pk])


def test_the_largest_pages_save(client, largest):
    # 附件1 with every line and building posts more than Django's default of
    # 1,000 fields (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS).
    basic = page(client, part_url(largest, "basic"))
    assert len(basic.data) + len(basic.checkboxes) > 1000
    basic.fill("items", 99, budget="13.00")
    assert client.post(part_url(largest, "basic"), basic.data).status_code == 302
    assert ProjectItem.objects.get(filing=largest, position=99).budget == Decimal("13.00")

    scores = page(client, part_url(largest, "scores"))
    assert scores.total("indicators") == limits.MAX_INDICATOR_ROWS
    scores.fill("indicators", 59, score="0.80")
    assert client.post(part_url(largest, "scores"), scores.data).status_code == 302

    project = largest.projects.get(position=0)
    form = page(client, project_url(largest, project))
    assert form.total("indicators") == limits.MAX_INDICATOR_ROWS
    form.fill("indicators", 59, score="0.70")
    assert client.post(project_url(largest, project), form.data).status_code == 302
    assert project.indicators.get(position=59).score == Decimal("0.70")
    assert Filing.objects.get(pk=largest.pk).version == largest.version + 3


# --- the web pages -----------------------------------------------------------------------


def test_a_full_table_offers_no_blank_row_and_tells_the_script_its_limit(client, largest):
    html = client.get(part_url(largest, "scores")).content.decode()

    assert 'name="indicators-TOTAL_FORMS" value="60"' in html
    assert 'name="indicators-MAX_NUM_FORMS" value="60"' in html


def refused_page(client, url, form):
    response = client.post(url, form.data)
    assert response.status_code == 200
    return response.content.decode()


def test_a_61st_row_of_an_indicator_table_is_refused_and_nothing_written(client, largest):
    url = part_url(largest, "scores")
    form = page(client, url)
    index = form.add_row("indicators")
    form.fill("indicators", index, level1="产出指标", name="多出的一行")
    before = written()

    html = refused_page(client, url, form)

    assert "此表最多 60 行，请删去多余的行后再保存。" in html
    assert written() == before
    assert Filing.objects.get(pk=largest.pk).version == largest.version


def test_a_row_beyond_the_filing_total_is_refused_on_save_and_nothing_written(client, largest):
    project = largest.projects.order_by("position").last()
    url = project_url(largest, project)
    form = page(client, url)
    index = form.add_row("indicators")
    form.fill("indicators", index, level1="产出指标", name="多出的一行")
    before = written()

    html = refused_page(client, url, form)

    assert "未保存：附件2 和全部附件3 的绩效指标合计行数为 801 行，超过上限 800 行。" in html
    assert written() == before
    assert Filing.objects.get(pk=largest.pk).version == largest.version


@pytest.mark.parametrize(
    ("prefix", "limit", "fields"),
    [
        ("items", limits.MAX_PROJECT_ITEMS, {"name": "多出的明细"}),
        ("buildings", limits.MAX_BUILDINGS, {"name": "多出的楼"}),
    ],
)
def test_a_row_beyond_an_attachment1_list_is_refused(client, largest, prefix, limit, fields):
    url = part_url(largest, "basic")
    form = page(client, url)
    assert form.total(prefix) == limit
    index = form.add_row(prefix)
    form.fill(prefix, index, **fields)
    before = written()

    html = refused_page(client, url, form)

    assert f"此表最多 {limit} 行" in html
    assert written() == before


def test_a_61st_project_is_refused_and_nothing_written(client, largest):
    url = reverse("evaluations:project_add", args=[largest.pk])
    html = client.get(part_url(largest, "projects")).content.decode()
    form = PageForm(html, "project-add-form")
    form.set(name="第六十一个项目")

    response = client.post(url, form.data)

    assert response.status_code == 200
    assert "附件3 最多 60 个项目，本填报已有 60 个，不能再增加。" in response.content.decode()
    assert largest.projects.count() == limits.MAX_PROJECTS


def test_a_too_long_deviation_reason_is_refused_on_its_field(client):
    filing = filing_import(document=junshan())
    client.force_login(officer_of(filing.department))
    url = part_url(filing, "scores")
    form = page(client, url)
    form.fill("indicators", 0, deviation="因" * (limits.MAX_DEVIATION_LENGTH + 1))

    html = refused_page(client, url, form)

    assert "文字过长：最多 1000 个字符，当前 1001 个。" in html
    assert 'maxlength="1000"' in html
    assert not Indicator.objects.filter(deviation__startswith="因因").exists()


@pytest.mark.parametrize("case", ["score_rows", "projects"])
def test_a_too_large_workbook_upload_is_refused_and_nothing_written(client, case):
    filing = filing_import(document=junshan())
    client.force_login(officer_of(filing.department))
    _, _, message, sheet = CASES[case]
    upload = SimpleUploadedFile(
        "自评.xlsx",
        as_workbook(too_large(case)),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    before = written()

    response = client.post(
        reverse("evaluations:filing_import_xlsx", args=[filing.pk]), {"file": upload}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    if sheet:
        assert f"工作表“{sheet}”单元格 A12：{message}" in html  # the table's header
    assert written() == before
    assert Filing.objects.get(pk=filing.pk).version == filing.version
