import copy
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from departments.models import Department, Jurisdiction, Membership
from evaluations.core import document as doc
from evaluations.models import Filing, FiscalYear, Indicator, ScoringTemplate
from evaluations.services.interchange import (
    FORMAT,
    DocumentError,
    document_from_bytes,
    document_from_json,
    document_to_dict,
    filing_document,
    filing_export_json,
    filing_import,
)
from tests.factories import FiscalYearFactory, JurisdictionFactory, UserFactory, reviewer_of

DEMO = Path(settings.BASE_DIR) / "evaluations" / "fixtures" / "demo"
# SHA-256 of the normative examples of the filing format (spec/examples, as
# published with docs/filing-format.md): the demo fixtures are those files,
# byte for byte, and the tests that read them test the format's own examples.
SPEC_EXAMPLE_SHA256 = {
    "beita-2023.json": "6eae1ba91279098c7d403b71536591cd3e7f48053dab3315a33a3bfc7b7f34e5",
    "junshan-2023.json": "cccddbeb28ac307d94244c0c3dc4a483164099bceb0df0d89b556d1c3e27aa2f",
}
EXAMPLES = ("beita-2023.json", "junshan-2023.json")


def example(name="beita-2023.json"):
    return json.loads((DEMO / name).read_text(encoding="utf-8"))


def minimal(**extra):
    return {
        "format": FORMAT,
        "form_template": {"code": "hunan-overall", "version": "2023"},
        "fiscal_year": 2023,
        "department": {"name": "测试部门", "jurisdiction": "测试区"},
        **extra,
    }


def error_of(raw):
    with pytest.raises(DocumentError) as caught:
        document_from_json(raw)
    return caught.value


@pytest.mark.parametrize("name", EXAMPLES)
def test_demo_fixtures_are_the_spec_examples(name):
    assert hashlib.sha256((DEMO / name).read_bytes()).hexdigest() == SPEC_EXAMPLE_SHA256[name]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_document_survives_dict_round_trip(name):
    document = document_from_bytes((DEMO / name).read_bytes())

    assert document_from_json(json.loads(json.dumps(document_to_dict(document=document)))) == (
        document
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", EXAMPLES)
def test_imported_example_reads_back_as_the_same_document(name):
    document = document_from_bytes((DEMO / name).read_bytes())

    filing = filing_import(document=document)

    assert filing_document(filing=filing) == document


def test_exported_keys_follow_the_spec_order():
    raw = example("junshan-2023.json")

    exported = document_to_dict(document=document_from_json(raw))

    # The /1 example's keys, with the form template named after the format.
    assert list(exported) == ["format", "form_template", *list(raw)[1:]]
    assert list(exported["funds"]) == list(raw["funds"])
    assert list(exported["projects"][0]) == list(raw["projects"][0])
    assert list(exported["indicators"][0]) == list(raw["indicators"][0])
    assert list(exported["basic_data"]["rows"]) == list(raw["basic_data"]["rows"])


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_version_1_example_exports_as_version_2_naming_the_hunan_template(name):
    raw = example(name)

    exported = document_to_dict(document=document_from_json(raw))

    assert raw["format"] == "perfeval-filing/1"
    assert exported["format"] == FORMAT == "perfeval-filing/2"
    assert exported["form_template"] == {"code": "hunan-overall", "version": "2023"}
    assert document_from_json(json.loads(json.dumps(exported))) == document_from_json(raw)


def test_an_unknown_format_names_both_formats_read():
    raw = minimal(format="perfeval-filing/3")
    del raw["form_template"]

    error = error_of(raw)

    assert error.path == "format"
    assert "“perfeval-filing/2”（或旧版 “perfeval-filing/1”）" in error.message


def test_amounts_export_as_two_place_strings_and_empty_as_null():
    exported = document_to_dict(document=document_from_json(example("junshan-2023.json")))

    assert exported["funds"]["full_year_budget"] == "1013.19"
    assert exported["funds"]["weight"] == "10.00"
    assert exported["funds"]["by_source"]["other"] is None
    assert exported["projects"][0]["funds"]["carryover"] is None
    assert exported["contact"] == {"preparer": "", "phone": "", "date": None, "head": ""}


def test_json_numbers_are_read_exactly_without_float():
    document = document_from_bytes(
        json.dumps(minimal(funds={"full_year_budget": 1007.3, "executed": 12}))
        .encode()
        .replace(b"1007.3", b"99999999999.99")
    )

    assert document.funds.full_year_budget == Decimal("99999999999.99")
    assert document.funds.executed == Decimal("12.00")


def test_empty_string_amount_is_not_filled_in():
    document = document_from_json(minimal(funds={"executed": ""}))

    assert document.funds.executed is None


def test_trailing_zeros_beyond_two_places_are_accepted():
    document = document_from_json(minimal(funds={"executed": "1007.300"}))

    assert document.funds.executed == Decimal("1007.30")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("1.005", "两位小数"),
        ("-1", "负数"),
        ("1000000000000", "12 位"),
        ("1e3", "金额数字"),
        ("1,007.30", "金额数字"),
        (True, "布尔值"),
        ([], "数组"),
    ],
)
def test_bad_amount_is_refused_with_its_path(value, fragment):
    error = error_of(minimal(funds={"by_source": {"other": value}}))

    assert error.path == "funds.by_source.other"
    assert fragment in error.message


def test_budget_adjustment_row_may_be_negative():
    raw = minimal(basic_data={"rows": {"basic_budget_adjustment": {"budget": "-12.50"}}})

    document = document_from_json(raw)

    assert document.basic_data.rows["basic_budget_adjustment"].budget == Decimal("-12.50")


def test_other_basic_rows_may_not_be_negative():
    error = error_of(minimal(basic_data={"rows": {"office": {"final": "-1"}}}))

    assert error.path == "basic_data.rows.office.final"


def test_unknown_basic_row_is_refused():
    error = error_of(minimal(basic_data={"rows": {"vehicles": {}}}))

    assert error.path == "basic_data.rows.vehicles"


def test_nan_is_refused():
    data = b'{"format": "perfeval-filing/1", "fiscal_year": 2023, "department": ' + (
        '{"name": "部", "jurisdiction": "区"}, "funds": {"executed": NaN}}'.encode()
    )

    with pytest.raises(DocumentError) as caught:
        document_from_bytes(data)

    assert caught.value.path == "funds.executed"


def test_duplicate_key_is_refused():
    data = (
        '{"format": "perfeval-filing/1", "fiscal_year": 2023, "department": '
        '{"name": "部", "jurisdiction": "区"}, "funds": {"executed": "1", "executed": "2"}}'
    ).encode()

    with pytest.raises(DocumentError) as caught:
        document_from_bytes(data)

    assert caught.value.path == "funds.executed"
    assert "重复" in caught.value.message


def test_byte_order_mark_is_tolerated():
    document = document_from_bytes(b"\xef\xbb\xbf" + json.dumps(minimal()).encode())

    assert document.fiscal_year == 2023


def test_invalid_json_names_line_and_column_in_chinese():
    with pytest.raises(DocumentError) as caught:
        document_from_bytes(b'{\n  "format": "perfeval-filing/1",\n  "fiscal_year": }')

    assert caught.value.path == "$"
    assert "第 3 行" in caught.value.message
    assert str(caught.value).startswith("$: ")


def test_missing_keys_mean_not_filled_in():
    document = document_from_json(minimal())

    assert document == doc.FilingDocument(
        fiscal_year=2023, department=doc.Department(name="测试部门", jurisdiction="测试区")
    )


def test_null_text_reads_as_empty():
    document = document_from_json(minimal(report={"problems": None}))

    assert document.report.problems == ""


def test_computed_key_is_ignored():
    document = document_from_json(minimal(computed={"total_score": "100.00"}))

    assert document == document_from_json(minimal())


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"fiscal_year": 2023}, "format"),
        (minimal(fiscal_year=None), "fiscal_year"),
        (minimal(fiscal_year="2023"), "fiscal_year"),
        (minimal(fiscal_year=1999), "fiscal_year"),
        (minimal(department={"name": "", "jurisdiction": "区"}), "department.name"),
        (minimal(department={"name": "部"}), "department.jurisdiction"),
        (minimal(department={"name": "部" * 101, "jurisdiction": "区"}), "department.name"),
        (minimal(staffing={"actual": -1}), "staffing.actual"),
        (minimal(staffing={"actual": 3.5}), "staffing.actual"),
        (minimal(staffing={"actual": True}), "staffing.actual"),
        (minimal(contact={"date": "2024/07/30"}), "contact.date"),
        (minimal(contact={"date": "2024-02-30"}), "contact.date"),
        (minimal(contact={"phone": "1" * 51}), "contact.phone"),
        (
            minimal(indicators=[{"level1": "产出指标", "applicable": "yes"}]),
            "indicators[0].applicable",
        ),
        (minimal(indicators=[None]), "indicators[0]"),
        (minimal(indicators={}), "indicators"),
        (minimal(projects=[{"name": "项目", "funds": {"total": []}}]), "projects[0].funds.total"),
        (minimal(projects=[{"department_in_charge": "部"}]), "projects[0].name"),
        (
            minimal(basic_data={"buildings": [{"name": "楼", "extra": 1}]}),
            "basic_data.buildings[0].extra",
        ),
        (minimal(report={"problem": "笔误"}), "report.problem"),
        (minimal(template=3), "template"),
        (minimal(profile={"functions": "a\x00b"}), "profile.functions"),
    ],
)
def test_malformed_value_is_refused_naming_its_path(raw, path):
    assert error_of(raw).path == path


def test_not_applicable_row_with_a_weight_is_refused():
    row = {"level1": "产出指标", "weight": "5", "score": None, "applicable": False}

    error = error_of(minimal(indicators=[row]))

    assert error.path == "indicators[0].weight"
    assert "不适用" in error.message


def test_not_applicable_row_without_weight_is_accepted():
    row = {"level1": "产出指标", "weight": None, "score": None, "applicable": False}

    document = document_from_json(minimal(indicators=[row]))

    assert document.indicators[0].applicable is False


def test_empty_project_fund_line_reads_as_null():
    line = {"initial_budget": None, "full_year_budget": "", "executed": None}

    document = document_from_json(minimal(projects=[{"name": "项目", "funds": {"other": line}}]))

    assert document.projects[0].funds.other is None


@pytest.mark.django_db
def test_import_creates_jurisdiction_department_and_open_fiscal_year():
    filing = filing_import(document=document_from_json(example()))

    assert filing.status == Filing.Status.DRAFT
    assert filing.version == 1
    assert Jurisdiction.objects.filter(name="邵阳市北塔区").exists()
    assert Department.objects.get(name="邵阳市北塔区人民政府办公室").jurisdiction.name == (
        "邵阳市北塔区"
    )
    fiscal_year = FiscalYear.objects.get(year=2023)
    assert fiscal_year.is_open
    assert fiscal_year.default_template.name == "默认评分模板"


@pytest.mark.django_db
def test_import_reuses_existing_department_of_the_jurisdiction():
    jurisdiction = Jurisdiction.objects.create(name="邵阳市北塔区")
    department = Department.objects.create(
        name="邵阳市北塔区人民政府办公室", jurisdiction=jurisdiction
    )

    filing = filing_import(document=document_from_json(example()))

    assert filing.department == department


@pytest.mark.django_db
def test_import_with_unknown_template_writes_nothing():
    raw = example()
    raw["template"] = "湖南省模板"

    with pytest.raises(DocumentError) as caught:
        filing_import(document=document_from_json(raw))

    assert caught.value.path == "template"
    assert not Jurisdiction.objects.exists()
    assert not Filing.objects.exists()


@pytest.mark.django_db
def test_import_with_named_template_keeps_it():
    ScoringTemplate.objects.create(name="湖南省模板")
    raw = example()
    raw["template"] = "湖南省模板"

    filing = filing_import(document=document_from_json(raw))

    assert filing.template.name == "湖南省模板"
    assert filing_document(filing=filing).template == "湖南省模板"


@pytest.mark.django_db
def test_import_of_existing_filing_is_refused_without_replace():
    filing_import(document=document_from_json(example()))

    with pytest.raises(DocumentError) as caught:
        filing_import(document=document_from_json(example()))

    assert caught.value.path == "$"
    assert "--replace" in caught.value.message


@pytest.mark.django_db
def test_replace_rewrites_every_part_and_bumps_version():
    filing = filing_import(document=document_from_json(example("junshan-2023.json")))
    raw = example("junshan-2023.json")
    raw["indicators"] = raw["indicators"][:2]
    raw["projects"] = []
    raw["report"]["problems"] = "新的问题"

    replaced = filing_import(document=document_from_json(raw), replace=True)

    assert replaced.pk == filing.pk
    assert replaced.version == 2
    assert Indicator.objects.filter(filing=filing).count() == 2
    assert filing_document(filing=filing) == document_from_json(raw)


@pytest.mark.django_db
def test_replace_keeps_a_returned_filing_returned():
    filing = filing_import(document=document_from_json(example()))
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.RETURNED)

    replaced = filing_import(document=document_from_json(example()), replace=True)

    assert replaced.status == Filing.Status.RETURNED


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Filing.Status.SUBMITTED, Filing.Status.APPROVED])
def test_replace_of_a_filing_past_draft_is_refused(status):
    filing = filing_import(document=document_from_json(example()))
    Filing.objects.filter(pk=filing.pk).update(status=status)
    raw = example()
    raw["indicators"] = []

    with pytest.raises(DocumentError):
        filing_import(document=document_from_json(raw), replace=True)

    assert Indicator.objects.filter(filing=filing).count() == 10


@pytest.mark.django_db
def test_reading_a_filing_takes_a_few_queries_whatever_its_size(
    django_assert_max_num_queries,
):
    small = filing_import(document=document_from_json(example()))
    large = filing_import(document=document_from_json(example("junshan-2023.json")))

    # One per table; the project indicators only when there are projects.
    with django_assert_max_num_queries(7):
        filing_document(filing=small)
    with django_assert_max_num_queries(7):
        filing_document(filing=large)


@pytest.mark.django_db
def test_export_carries_reference_figures_for_beita():
    filing = filing_import(document=document_from_json(example()))

    computed = filing_export_json(filing=filing)["computed"]

    assert computed["execution_rate"] == "100.00"
    assert computed["total_score"] == "97.00"
    assert computed["max_score"] == "100.00"
    assert computed["grade"] == "优"
    assert computed["staffing_control_rate"] == "156.52"
    assert len(computed["indicators"]) == 10
    assert {error["code"] for error in computed["errors"]} == {
        "actual_missing",
        "deviation_missing",
        "contact_missing",  # 联系电话 and 单位负责人 are blank in the example
    }


@pytest.mark.django_db
def test_export_carries_reference_figures_for_junshan():
    filing = filing_import(document=document_from_json(example("junshan-2023.json")))

    computed = filing_export_json(filing=filing)["computed"]

    assert computed["total_score"] == "99.00"
    assert computed["staffing_control_rate"] == "100.00"
    assert [
        {key: project[key] for key in ("execution_rate", "total_score", "grade")}
        for project in computed["projects"]
    ] == [{"execution_rate": "100.00", "total_score": "98.00", "grade": "优"}]
    assert [(error["code"], error["where"]) for error in computed["errors"]] == [
        ("deviation_missing", "indicators[7]"),
        ("deviation_missing", "projects[0].indicators[6]"),
        # The example's 填报信息 is blank, as in the published filing.
        ("contact_missing", "contact.preparer"),
        ("contact_missing", "contact.phone"),
        ("contact_missing", "contact.head"),
    ]


def test_document_error_reads_as_path_and_message():
    error = DocumentError("indicators[3].level1", "缺少一级指标。")

    assert str(error) == "indicators[3].level1: 缺少一级指标。"


def test_example_is_not_modified_by_reading():
    raw = example()
    before = copy.deepcopy(raw)

    document_from_json(raw)

    assert raw == before


def test_overlong_number_is_refused_without_a_crash():
    data = b'{"format": "perfeval-filing/1", "fiscal_year": ' + b"9" * 5000 + b"}"

    with pytest.raises(DocumentError) as caught:
        document_from_bytes(data)

    assert caught.value.path == "$"


def test_deeply_nested_file_is_refused_without_a_crash():
    with pytest.raises(DocumentError) as caught:
        document_from_bytes(b"[" * 100_000 + b"]" * 100_000)

    assert caught.value.path == "$"


# Every bad value at once ---------------------------------------------------------------


def test_three_bad_values_are_all_listed_with_their_paths_in_document_order():
    raw = example()
    raw["indicators"][3]["weight"] = "十分"
    raw["funds"]["executed"] = "1007.305"
    raw["contact"]["date"] = "2024年7月30日"

    error = error_of(raw)

    assert [problem.path for problem in error.problems] == [
        "funds.executed",
        "indicators[3].weight",
        "contact.date",
    ]
    assert str(error).splitlines() == [
        "共 3 处问题：",
        "funds.executed: 金额最多两位小数，实际为 1007.305。",
        "indicators[3].weight: 应为金额数字（如 “1007.30”），实际为 “十分”。",
        "contact.date: 日期格式应为 YYYY-MM-DD，实际为 “2024年7月30日”。",
    ]


def test_unknown_keys_and_bad_values_are_reported_together():
    error = error_of(minimal(funds={"executd": "1", "weight": "x"}, colour="red"))

    assert [problem.path for problem in error.problems] == [
        "colour",
        "funds.executd",
        "funds.weight",
    ]


def test_sixty_bad_values_list_fifty_and_count_the_rest():
    raw = example()
    row = raw["indicators"][0]
    raw["indicators"] = [{**row, "score": "好"} for _ in range(60)]

    error = error_of(raw)

    shown, more = error.listed()
    assert (len(error.problems), len(shown), more) == (60, 50, 10)
    lines = str(error).splitlines()
    assert lines[0] == "共 60 处问题："
    assert lines[1].startswith("indicators[0].score: ")
    assert lines[50].startswith("indicators[49].score: ")
    assert lines[-1] == "另有 10 处未列出。" and len(lines) == 52


# --- characters no database stores -----------------------------------------------------


def test_lone_surrogates_and_nul_are_refused_everywhere_with_their_paths():
    raw = example("junshan-2023.json")
    raw["profile"]["functions"] = "职能\ud800"
    raw["funds"]["executed"] = "\udfff"
    raw["indicators"][2]["name"] = "指标\x00"
    raw["computed"] = {"note": "\ud83d"}  # ignored on import, but never stored either
    raw["indicators"][0]["x\ud800"] = 1
    data = json.dumps(raw).encode("utf-8")  # ensure_ascii: the file says "\ud800"
    assert b"\\ud800" in data

    with pytest.raises(DocumentError) as caught:
        document_from_bytes(data)

    problems = {(problem.path, problem.message) for problem in caught.value.problems}
    for path, escape in (
        ("profile.functions", "\\ud800"),
        ("funds.executed", "\\udfff"),
        ("indicators[2].name", "\\u0000"),
        ("computed.note", "\\ud83d"),
    ):
        assert (
            path,
            f"文字中有无法保存的字符 {escape}（空字符或不成对的代理项），请删除。",
        ) in problems
    assert ("indicators[0].x\\ud800", "键名中有无法保存的字符（空字符或不成对的代理项）。") in (
        problems
    )
    # Every message can itself be shown and stored.
    str(caught.value).encode("utf-8")


def test_a_proper_surrogate_pair_is_an_ordinary_character():
    raw = minimal(profile={"functions": "\ud83d\ude00"})

    document = document_from_bytes(json.dumps(raw).encode("utf-8"))

    assert document.profile.functions == "😀"


# --- what a web import (with an actor) may do ----------------------------------------


JUNSHAN_JURISDICTION = "岳阳市君山区"
JUNSHAN_DEPARTMENT = "中共岳阳市君山区委办公室"


def junshan_world():
    """君山's jurisdiction, department and fiscal year exist, as an
    administrator set them up; the reviewer of 君山."""
    jurisdiction = JurisdictionFactory(name=JUNSHAN_JURISDICTION)
    Department.objects.create(name=JUNSHAN_DEPARTMENT, jurisdiction=jurisdiction)
    FiscalYearFactory(year=2023)
    return reviewer_of(jurisdiction)


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Filing, Indicator, Department, Jurisdiction, FiscalYear)
    }


def web_refusal(raw, actor, *, replace=False):
    before = counts()
    with pytest.raises(DocumentError) as caught:
        filing_import(document=document_from_json(raw), replace=replace, actor=actor)
    assert counts() == before
    return caught.value


@pytest.mark.django_db
def test_reviewer_imports_a_new_filing_of_an_existing_department_as_a_draft():
    reviewer = junshan_world()

    filing = filing_import(
        document=document_from_json(example("junshan-2023.json")), actor=reviewer
    )

    assert filing.status == Filing.Status.DRAFT
    assert filing.department.name == JUNSHAN_DEPARTMENT


@pytest.mark.django_db
def test_reviewer_may_not_import_into_another_jurisdiction():
    junshan_world()
    other = reviewer_of(JurisdictionFactory(name="邵阳市北塔区"))

    error = web_refusal(example("junshan-2023.json"), other)

    assert error.path == "department.jurisdiction"
    assert error.message == "无权导入“岳阳市君山区”的填报：只能导入本人审核的行政区划的部门。"


@pytest.mark.django_db
def test_web_import_never_creates_a_jurisdiction():
    admin = UserFactory()
    Membership.objects.create(user=admin, role=Membership.Role.ADMIN)
    FiscalYearFactory(year=2023)

    error = web_refusal(example("junshan-2023.json"), admin)

    assert error.path == "department.jurisdiction"
    assert "行政区划“岳阳市君山区”不存在" in error.message
    assert "请由系统管理员先在后台创建" in error.message


@pytest.mark.django_db
def test_web_import_never_creates_a_department():
    reviewer = junshan_world()
    raw = example("junshan-2023.json")
    raw["department"]["name"] = "岳阳市君山区新设局"

    error = web_refusal(raw, reviewer)

    assert error.path == "department.name"
    assert error.message == (
        "岳阳市君山区没有预算部门“岳阳市君山区新设局”；导入不会新建部门，请由系统管理员先在后台创建。"
    )


@pytest.mark.django_db
def test_web_import_never_creates_a_fiscal_year():
    reviewer = junshan_world()
    raw = example("junshan-2023.json")
    raw["fiscal_year"] = 2099

    error = web_refusal(raw, reviewer)

    assert error.path == "fiscal_year"
    assert error.message == "2099年度不存在；导入不会新建年度，请由系统管理员先在后台创建。"
    assert not FiscalYear.objects.filter(year=2099).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status",
    [
        Filing.Status.DRAFT,
        Filing.Status.SUBMITTED,
        Filing.Status.APPROVED,
        Filing.Status.PUBLISHED,
        Filing.Status.WITHDRAWN,
    ],
)
def test_reviewer_may_not_overwrite_a_filing_that_is_not_returned(status):
    reviewer = junshan_world()
    filing = filing_import(document=document_from_json(example("junshan-2023.json")))
    Filing.objects.filter(pk=filing.pk).update(status=status)
    raw = example("junshan-2023.json")
    raw["indicators"] = raw["indicators"][:2]

    error = web_refusal(raw, reviewer, replace=True)

    label = Filing.Status(status).label
    assert error.path == "$"
    assert error.message.startswith(
        f"{JUNSHAN_DEPARTMENT} 2023年度的自评状态为“{label}”：导入只能覆盖已退回的自评"
    )
    filing.refresh_from_db()
    assert (filing.version, filing.status) == (1, status)


@pytest.mark.django_db
def test_reviewer_overwrites_a_returned_filing_which_stays_returned():
    reviewer = junshan_world()
    filing = filing_import(document=document_from_json(example("junshan-2023.json")))
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.RETURNED)
    raw = example("junshan-2023.json")
    raw["indicators"] = raw["indicators"][:2]

    replaced = filing_import(document=document_from_json(raw), replace=True, actor=reviewer)

    assert (replaced.pk, replaced.version, replaced.status) == (
        filing.pk,
        2,
        Filing.Status.RETURNED,
    )
    assert Indicator.objects.filter(filing=filing, project=None).count() == 2


@pytest.mark.django_db
def test_reviewer_is_told_an_existing_filing_needs_the_overwrite_box():
    reviewer = junshan_world()
    filing_import(document=document_from_json(example("junshan-2023.json")))

    error = web_refusal(example("junshan-2023.json"), reviewer)

    assert "已存在" in error.message
