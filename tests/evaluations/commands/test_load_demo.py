from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from departments.models import Membership
from evaluations.models import Filing
from evaluations.services.interchange import filing_document

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


USERNAMES = (
    "beita_office",
    "beita_finance",
    "junshan_office",
    "junshan_education",
    "reviewer_beita",
    "reviewer_junshan",
    "admin",
)


def load_demo():
    stdout = StringIO()
    call_command("load_demo", stdout=stdout)
    return stdout.getvalue()


def counts():
    return {
        model._meta.label: model.objects.count()
        for app in ("departments", "evaluations", "auth")
        for model in apps.get_app_config(app).get_models()
    }


def test_demo_has_the_examples_and_two_blank_filings():
    load_demo()

    names = set(Filing.objects.values_list("department__name", flat=True))
    assert names == {
        "邵阳市北塔区人民政府办公室",
        "中共岳阳市君山区委办公室",
        "邵阳市北塔区财政局",
        "岳阳市君山区教育局",
        "曾都区人民政府办公室",
        "示例县示例局",
    }
    templates = dict(Filing.objects.values_list("department__name", "form_template__code"))
    assert templates["曾都区人民政府办公室"] == "hubei-suizhou-overall"
    assert templates["示例县示例局"] == "hebei-baoding-assessment"
    assert templates["邵阳市北塔区财政局"] == "hunan-overall"
    assert set(Filing.objects.values_list("status", flat=True)) == {Filing.Status.DRAFT}


def test_demo_users_can_log_in_with_the_printed_passwords():
    output = load_demo()

    for username in USERNAMES:
        password = f"demo-{username}-2024"
        assert f"{username}\t" in output
        assert password in output
        request = RequestFactory().post(reverse("login"))
        assert authenticate(request, username=username, password=password) is not None


def test_demo_users_have_their_roles():
    load_demo()

    officer = Membership.objects.get(user__username="junshan_education")
    reviewer = Membership.objects.get(user__username="reviewer_beita")
    admin = get_user_model().objects.get(username="admin")
    assert officer.role == Membership.Role.OFFICER
    assert officer.department.name == "岳阳市君山区教育局"
    assert reviewer.role == Membership.Role.REVIEWER
    assert reviewer.jurisdiction.name == "邵阳市北塔区"
    assert admin.is_staff and admin.is_superuser
    assert admin.memberships.get().role == Membership.Role.ADMIN


def test_second_run_creates_nothing_and_leaves_filings_alone():
    load_demo()
    before = counts()
    documents = {filing.pk: filing_document(filing=filing) for filing in Filing.objects.all()}
    versions = dict(Filing.objects.values_list("pk", "version"))

    output = load_demo()

    assert counts() == before
    assert {filing.pk: filing_document(filing=filing) for filing in Filing.objects.all()} == (
        documents
    )
    assert dict(Filing.objects.values_list("pk", "version")) == versions
    assert "已存在（密码未重置）" in output
