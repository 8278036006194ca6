import factory
from django.contrib.auth import get_user_model

from departments.models import Department, Jurisdiction, Membership
from evaluations.models import FiscalYear, ScoringTemplate
from evaluations.services.filings import filing_create


def default_template():
    # Migration 0002 installs it; a transactional test's flush removes it, and
    # the model's defaults are the default template's values.
    return ScoringTemplate.objects.get_or_create(name="默认评分模板")[0]


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试区{n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"测试部门{n}")
    jurisdiction = factory.SubFactory(JurisdictionFactory)


class FiscalYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FiscalYear
        django_get_or_create = ("year",)

    year = 2023
    is_open = True
    default_template = factory.LazyFunction(default_template)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("perfeval-pass-123")


def officer_of(department, **kwargs):
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, role=Membership.Role.OFFICER, department=department)
    return user


def reviewer_of(jurisdiction, **kwargs):
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, role=Membership.Role.REVIEWER, jurisdiction=jurisdiction)
    return user


def blank_filing(*, department=None, year=2023):
    department = department or DepartmentFactory()
    return filing_create(department=department, fiscal_year=FiscalYearFactory(year=year))
