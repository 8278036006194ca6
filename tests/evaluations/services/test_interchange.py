import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from departments.models import Department, Jurisdiction
from evaluations.models import Filing, FiscalYear, Indicator, ScoringTemplate
from evaluations.services import document as doc
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

DEMO = Path(settings.BASE_DIR) / "evaluations" / "fixtures" / "demo"
SHARED_EXAMPLES = Path(settings.BASE_DIR).parent / "shared" / "spec" / "examples"
EXAMPLES = ("beita-2023.json", "junshan-2023.json")


def example(name="beita-2023.json"):
    return json.loads((DEMO / name).read_text(encoding="utf-8"))


def minimal(**extra):
    return {
        "format": FORMAT,
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
    if not SHARED_EXAMPLES.is_dir():
        pytest.skip("shared/spec is not beside this checkout")
    assert (DEMO / name).read_bytes() == (SHARED_EXAMPLES / name).read_bytes()


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

    assert list(exported) == list(raw)
    assert list(exported["funds"]) == list(raw["funds"])
    assert list(exported["projects"][0]) == list(raw["projects"][0])
    assert list(exported["indicators"][0]) == list(raw["indicators"][0])
    assert list(exported["basic_data"]["rows"]) == list(raw["basic_data"]["rows"])


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
