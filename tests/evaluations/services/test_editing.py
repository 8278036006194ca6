from decimal import Decimal

import pytest

from evaluations.forms import FundsForm, GoalForm, IndicatorFormSet
from evaluations.models import Filing, Indicator, Project
from evaluations.services.editing import (
    FilingNotEditable,
    StaleFiling,
    filing_part_save,
    project_add,
    project_delete,
)
from tests.factories import UserFactory, blank_filing

pytestmark = pytest.mark.django_db


def funds_form(filing, **values):
    data = {f"funds-{name}": value for name, value in values.items()}
    form = FundsForm(data, instance=filing.funds, prefix="funds")
    assert form.is_valid(), form.errors
    return form


def indicator_formset(filing, rows, *, project=None, initial=0):
    data = {
        "indicators-TOTAL_FORMS": str(len(rows)),
        "indicators-INITIAL_FORMS": str(initial),
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"indicators-{index}-{name}"] = value
    queryset = Indicator.objects.filter(filing=filing, project=project).order_by("position")
    formset = IndicatorFormSet(data, queryset=queryset, prefix="indicators")
    assert formset.is_valid(), formset.errors
    return formset


def test_saving_writes_the_forms_and_bumps_the_version_once():
    filing = blank_filing()
    actor = UserFactory()
    filing_part_save(
        filing=filing,
        actor=actor,
        expected_version=1,
        forms=[funds_form(filing, executed="1007.30")],
    )
    filing.refresh_from_db()
    assert filing.funds.executed == Decimal("1007.30")
    assert filing.version == 2


def test_saving_never_touches_the_status_even_from_a_stale_instance():
    filing = blank_filing()
    stale = Filing.objects.get(pk=filing.pk)
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.RETURNED)
    form = GoalForm({"goal-goal_expected": "新目标"}, instance=stale, prefix="goal")
    assert form.is_valid()
    filing_part_save(filing=stale, actor=UserFactory(), expected_version=1, forms=[form])
    saved = Filing.objects.get(pk=filing.pk)
    assert saved.status == Filing.Status.RETURNED
    assert saved.goal_expected == "新目标"


@pytest.mark.parametrize("status", ["submitted", "approved", "published"])
def test_a_filing_that_is_not_editable_is_refused_and_nothing_written(status):
    filing = blank_filing()
    form = funds_form(filing, executed="5")
    Filing.objects.filter(pk=filing.pk).update(status=status)
    with pytest.raises(FilingNotEditable, match="不能修改"):
        filing_part_save(filing=filing, actor=UserFactory(), expected_version=1, forms=[form])
    filing.funds.refresh_from_db()
    assert filing.funds.executed is None
    assert Filing.objects.get(pk=filing.pk).version == 1


def test_formset_rows_take_the_submitted_order_and_removed_rows_go():
    filing = blank_filing()
    for position, name in enumerate(["甲", "乙", "丙"]):
        Indicator.objects.create(filing=filing, position=position, level1="产出指标", name=name)
    ids = list(filing.indicators.order_by("position").values_list("pk", flat=True))
    rows = [
        {"id": ids[0], "level1": "产出指标", "name": "甲", "ORDER": "2"},
        {"id": ids[1], "level1": "产出指标", "name": "乙", "ORDER": "9", "DELETE": "on"},
        {"id": ids[2], "level1": "产出指标", "name": "丙", "ORDER": "1"},
        {"level1": "效益指标", "name": "丁", "ORDER": ""},
    ]
    formset = indicator_formset(filing, rows, initial=3)
    filing_part_save(filing=filing, actor=UserFactory(), expected_version=1, formsets=[formset])
    saved = list(filing.indicators.order_by("position").values_list("name", "position"))
    assert saved == [("丙", 0), ("甲", 1), ("丁", 2)]


def test_new_project_indicators_belong_to_the_filing_and_the_project():
    filing = blank_filing()
    project = Project.objects.create(filing=filing, position=0, name="专项")
    formset = indicator_formset(
        filing,
        [{"level1": "产出指标", "name": "督查", "weight": "10", "score": "10"}],
        project=project,
    )
    filing_part_save(
        filing=filing,
        actor=UserFactory(),
        expected_version=1,
        formsets=[formset],
        project=project,
    )
    indicator = Indicator.objects.get(name="督查")
    assert indicator.filing_id == filing.pk
    assert indicator.project_id == project.pk


def test_projects_are_added_at_the_end_and_removed_without_gaps():
    filing = blank_filing()
    actor = UserFactory()
    first = project_add(
        filing=filing, actor=actor, name="业务工作经费", expected_version=filing.version
    )
    second = project_add(
        filing=filing, actor=actor, name="运行维护经费", expected_version=filing.version
    )
    third = project_add(
        filing=filing, actor=actor, name="其他事业类发展资金", expected_version=filing.version
    )
    assert [first.position, second.position, third.position] == [0, 1, 2]
    assert first.weight == Decimal("10.00")
    project_delete(filing=filing, actor=actor, project=second, expected_version=filing.version)
    assert list(filing.projects.order_by("position").values_list("name", "position")) == [
        ("业务工作经费", 0),
        ("其他事业类发展资金", 1),
    ]
    filing.refresh_from_db()
    assert filing.version == 5


def test_a_project_of_another_filing_cannot_be_deleted():
    filing = blank_filing()
    other = blank_filing()
    project = Project.objects.create(filing=other, position=0, name="别人的项目")
    with pytest.raises(ValueError):
        project_delete(
            filing=filing, actor=UserFactory(), project=project, expected_version=filing.version
        )
    assert Project.objects.filter(pk=project.pk).exists()


def test_projects_of_a_submitted_filing_cannot_be_added_or_removed():
    filing = blank_filing()
    project = Project.objects.create(filing=filing, position=0, name="专项")
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.SUBMITTED)
    with pytest.raises(FilingNotEditable):
        project_add(
            filing=filing, actor=UserFactory(), name="新项目", expected_version=filing.version
        )
    with pytest.raises(FilingNotEditable):
        project_delete(
            filing=filing, actor=UserFactory(), project=project, expected_version=filing.version
        )
    assert list(filing.projects.values_list("name", flat=True)) == ["专项"]


# --- optimistic concurrency --------------------------------------------------------


def test_a_save_from_an_older_version_is_refused_and_nothing_written():
    filing = blank_filing()
    filing_part_save(
        filing=filing,
        actor=UserFactory(),
        expected_version=1,
        forms=[funds_form(filing, basic="1")],
    )
    late = funds_form(Filing.objects.get(pk=filing.pk), executed="99")
    with pytest.raises(StaleFiling) as refused:
        filing_part_save(filing=filing, actor=UserFactory(), expected_version=1, forms=[late])
    assert str(refused.value) == "该填报已被他人修改，请刷新后重试"
    assert (refused.value.expected_version, refused.value.current_version) == (1, 2)
    saved = Filing.objects.get(pk=filing.pk)
    assert saved.version == 2
    assert saved.funds.executed is None
    assert saved.funds.basic == Decimal("1.00")


def test_a_save_without_a_version_is_refused_as_stale():
    filing = blank_filing()
    with pytest.raises(StaleFiling):
        filing_part_save(
            filing=filing,
            actor=UserFactory(),
            expected_version=None,
            forms=[funds_form(filing, executed="5")],
        )
    assert Filing.objects.get(pk=filing.pk).funds.executed is None


def test_projects_are_not_added_or_removed_on_an_older_version():
    filing = blank_filing()
    project = Project.objects.create(filing=filing, position=0, name="专项")
    Filing.objects.filter(pk=filing.pk).update(version=3)
    with pytest.raises(StaleFiling):
        project_add(filing=filing, actor=UserFactory(), name="新项目", expected_version=2)
    with pytest.raises(StaleFiling):
        project_delete(filing=filing, actor=UserFactory(), project=project, expected_version=2)
    assert list(filing.projects.values_list("name", flat=True)) == ["专项"]
    assert Filing.objects.get(pk=filing.pk).version == 3


def test_a_filing_that_is_not_editable_is_refused_before_its_version_is_compared():
    filing = blank_filing()
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.APPROVED, version=7)
    with pytest.raises(FilingNotEditable):
        filing_part_save(
            filing=filing,
            actor=UserFactory(),
            expected_version=1,
            forms=[funds_form(filing, executed="5")],
        )
