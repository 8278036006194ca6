"""Numbers as officers type them, on the filing pages through the test client:
the forms people really type are saved as the Decimal they mean, anything else
comes back with the message of its own field, and 不适用 is offered only where
the scoring template allows it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations.forms import BuildingForm, FundsForm, IndicatorForm, ProfileForm
from evaluations.models import Funds, Indicator
from evaluations.services.summary import filing_summary_refresh
from evaluations.validators import typed_number
from tests.evaluations.pages import PageForm
from tests.factories import blank_filing, officer_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def filing():
    return blank_filing()


@pytest.fixture
def officer(filing):
    return officer_of(filing.department)


def part_url(filing, part):
    return reverse("evaluations:filing_part", args=[filing.pk, part])


def page_form(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return PageForm(response.content.decode())


def add_indicator(filing, *, applicable=True):
    Indicator.objects.create(
        filing=filing,
        position=0,
        level1="产出指标",
        level2="数量指标",
        name="督促检查",
        target="≥1次",
        actual="2次",
        weight=None if not applicable else Decimal("5"),
        score=None if not applicable else Decimal("5"),
        applicable=applicable,
    )
    filing_summary_refresh(filing=filing)


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("1,380.50", Decimal("1380.50")),
        ("1380.50万元", Decimal("1380.50")),
        ("1380.5 万元", Decimal("1380.50")),
        ("1380万", Decimal("1380.00")),
        ("１３８０．５", Decimal("1380.50")),  # full-width digits and point
        ("１，３８０．５０", Decimal("1380.50")),  # full-width comma
        ("\u3000 1380.50 \u3000", Decimal("1380.50")),  # ideographic and plain spaces
        ("12,345,678.90", Decimal("12345678.90")),
        ("1380。50", Decimal("1380.50")),  # "." typed in Chinese punctuation mode
    ],
)
def test_an_amount_typed_as_people_type_it_is_saved_as_the_decimal_it_means(
    client, filing, officer, typed, saved
):
    client.force_login(officer)
    url = part_url(filing, "funds")
    form = page_form(client, url)
    form.set(**{"funds-full_year_budget": typed, "funds-executed": str(saved)})
    assert client.post(url, form.data).status_code == 302
    funds = Funds.objects.get(filing=filing)
    assert funds.full_year_budget == saved
    assert "100.00%" in client.get(url).content.decode()  # 执行率 of the saved values


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "请输入金额（万元），如 1380.50。"),
        ("1,38", "请输入金额（万元），如 1380.50。"),  # not groups of three
        ("1e3", "请输入金额（万元），如 1380.50。"),
        ("13 80", "请输入金额（万元），如 1380.50。"),
        ("1380.50万元万元", "请输入金额（万元），如 1380.50。"),
        ("1380.50元", "金额的单位是万元，请换算为万元后填写，如 1380.50。"),
        ("－５", "金额不能为负数。"),  # full-width minus
        ("−5", "金额不能为负数。"),  # typographic minus
        ("1,380.505", "金额最多两位小数。"),
    ],
)
def test_an_amount_that_is_not_one_is_refused_with_the_form_it_expects(
    client, filing, officer, typed, message
):
    client.force_login(officer)
    url = part_url(filing, "funds")
    form = page_form(client, url)
    form.set(**{"funds-full_year_budget": typed})
    response = client.post(url, form.data)
    assert response.status_code == 200
    html = response.content.decode()
    # On its own field, and what was typed comes back as typed.
    assert f'id="id_funds-full_year_budget-error">{message}' in html
    assert f'value="{typed}"' in html
    assert Funds.objects.get(filing=filing).full_year_budget is None


def test_a_negative_score_says_score_not_amount(client, filing, officer):
    add_indicator(filing)
    client.force_login(officer)
    url = part_url(filing, "scores")
    form = page_form(client, url)
    form.fill("indicators", 0, score="-1", weight="-2")
    response = client.post(url, form.data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "得分不能为负数。" in html
    assert "分值不能为负数。" in html
    assert "金额不能为负数" not in html
    assert Indicator.objects.get(filing=filing).score == Decimal("5.00")


def test_a_score_typed_with_its_unit_and_full_width_digits_is_saved(client, filing, officer):
    add_indicator(filing)
    client.force_login(officer)
    url = part_url(filing, "scores")
    form = page_form(client, url)
    form.fill("indicators", 0, weight="１０分", score=" 9.5 ")
    form.set(**{"goal-goal_expected": "完成年度目标"})
    assert client.post(url, form.data).status_code == 302
    indicator = Indicator.objects.get(filing=filing)
    assert (indicator.weight, indicator.score) == (Decimal("10.00"), Decimal("9.50"))


@pytest.mark.parametrize(
    ("form", "field", "typed", "message"),
    [
        (IndicatorForm, "score", "九分", "请输入得分（分），如 9.50。"),
        (IndicatorForm, "weight", "10%", "请输入分值（分），如 10。"),
        (IndicatorForm, "score", "1.234", "得分最多两位小数。"),
        (FundsForm, "weight", "-1", "分值不能为负数。"),  # 执行率分值
        (FundsForm, "executed", "1380.50元", "金额的单位是万元，请换算为万元后填写，如 1380.50。"),
        (BuildingForm, "approved_area", "-1", "面积不能为负数。"),
        (BuildingForm, "actual_area", "一千", "请输入面积（㎡），如 1200.00。"),
        (BuildingForm, "budget_investment", "-1", "金额不能为负数。"),
        (ProfileForm, "actual", "-3", "人数不能为负数。"),
        (ProfileForm, "actual", "36.5", "请输入人数（整数），如 36。"),
        (ProfileForm, "authorized", "三十六", "请输入人数（整数），如 36。"),
    ],
)
def test_each_numeric_field_names_its_own_kind_in_its_message(form, field, typed, message):
    bound = form({field: typed, "level1": "产出指标", "name": "楼"})
    assert not bound.is_valid()
    assert bound.errors[field] == [message]


@pytest.mark.parametrize(
    ("form", "field", "typed", "value"),
    [
        (BuildingForm, "approved_area", "1,200㎡", Decimal("1200")),
        (BuildingForm, "actual_area", "１２００平方米", Decimal("1200")),
        (BuildingForm, "actual_area", "980 m²", Decimal("980")),
        (ProfileForm, "actual", "３６人", 36),
        (ProfileForm, "authorized", "1,200", 1200),
    ],
)
def test_areas_and_people_typed_with_their_units_are_read(form, field, typed, value):
    bound = form({field: typed, "name": "办公楼"})
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data[field] == value


def test_only_the_budget_adjustment_row_may_still_be_negative(client, filing, officer):
    client.force_login(officer)
    url = part_url(filing, "basic")
    keys = list(filing.basic_rows.order_by("position").values_list("key", flat=True))
    form = page_form(client, url)
    form.fill("rows", keys.index("basic_budget_adjustment"), final="－12.50万元")
    form.fill("rows", keys.index("office"), final="-1")
    response = client.post(url, form.data)
    assert response.status_code == 200
    assert "金额不能为负数" in response.content.decode()

    form = page_form(client, url)
    form.fill("rows", keys.index("basic_budget_adjustment"), final="－12.50万元")
    assert client.post(url, form.data).status_code == 302
    assert filing.basic_rows.get(key="basic_budget_adjustment").final == Decimal("-12.50")


def test_the_typed_number_reader_refuses_what_is_not_a_number():
    assert typed_number("1,380.50") == "1380.50"
    assert typed_number("+3") == "+3"
    for text in (
        "",
        "-",
        ".",
        ",",
        "1,,380",
        "1.2.3",
        "Infinity",
        "NaN",
        "0x10",
        "1_000",
        "\u0663",
    ):
        assert typed_number(text) is None, text


def test_the_funds_page_states_which_splits_add_up_to_which_total(client, filing, officer):
    client.force_login(officer)
    html = client.get(part_url(filing, "funds")).content.decode()
    assert "四项合计应等于全年预算数" in html
    assert "基本支出与项目支出合计应等于全年执行数" in html
    assert 'data-sum-total="by_source"' in html and 'data-sum-total="by_nature"' in html
    assert html.count('data-sum-part="by_source"') == 4
    assert html.count('data-sum-part="by_nature"') == 2
    assert "js/funds.js" in html


def test_not_applicable_is_offered_only_where_the_template_allows_it(client, filing, officer):
    add_indicator(filing)
    client.force_login(officer)
    url = part_url(filing, "scores")
    form = page_form(client, url)
    assert "indicators-0-not_applicable" not in form.checkboxes
    assert not any(name.endswith("-not_applicable") for name in form.template_names)

    template = filing.scoring_template
    template.allow_normalization = True
    template.save()
    form = page_form(client, url)
    assert "indicators-0-not_applicable" in form.checkboxes
    assert "indicators-__prefix__-not_applicable" in form.template_names


def test_a_row_already_not_applicable_keeps_its_box_so_it_can_be_changed(client, filing, officer):
    add_indicator(filing, applicable=False)
    assert filing.scoring_template.allow_normalization is False
    client.force_login(officer)
    url = part_url(filing, "scores")
    form = page_form(client, url)
    assert form.data["indicators-0-not_applicable"] == "on"
    form.set(**{"goal-goal_expected": "完成年度目标"})
    assert client.post(url, form.data).status_code == 302
    assert Indicator.objects.get(filing=filing).applicable is False  # saving keeps it

    form = page_form(client, url)
    form.fill("indicators", 0, not_applicable=False, weight="5", score="5")
    assert client.post(url, form.data).status_code == 302
    assert Indicator.objects.get(filing=filing).applicable is True
    form = page_form(client, url)
    assert "indicators-0-not_applicable" not in form.checkboxes  # no longer offered
