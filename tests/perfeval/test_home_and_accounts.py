"""Where people land, changing one's own password, and the login page's link
to 信息公开."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from departments.models import Membership
from tests.evaluations.pages import accessibility_problems
from tests.factories import (
    DepartmentFactory,
    JurisdictionFactory,
    UserFactory,
    officer_of,
    reviewer_of,
)

pytestmark = pytest.mark.django_db

PASSWORD = "perfeval-pass-123"  # tests.factories.UserFactory's
HOME = "/"
DASHBOARD = "/filings/review/"
MY_FILINGS = "/filings/"


def log_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "login failed"
    return client.get(response["Location"], follow=True)


def landing(response):
    return response.redirect_chain[-1][0]


def test_a_reviewer_lands_on_the_dashboard_after_login(client):
    reviewer = reviewer_of(JurisdictionFactory())
    assert landing(log_in(client, reviewer)) == DASHBOARD


def test_an_officer_lands_on_my_filings_after_login(client):
    officer = officer_of(DepartmentFactory())
    assert landing(log_in(client, officer)) == MY_FILINGS


def test_an_administrator_and_a_superuser_land_on_the_dashboard(client):
    admin = UserFactory()
    Membership.objects.create(user=admin, role=Membership.Role.ADMIN)
    assert landing(log_in(client, admin)) == DASHBOARD
    client.post(reverse("logout"))
    superuser = UserFactory(is_superuser=True)
    assert landing(log_in(client, superuser)) == DASHBOARD


def test_someone_who_is_officer_and_reviewer_lands_on_the_dashboard(client):
    department = DepartmentFactory()
    person = officer_of(department)
    Membership.objects.create(
        user=person, role=Membership.Role.REVIEWER, jurisdiction=department.jurisdiction
    )
    client.force_login(person)
    assert client.get(HOME)["Location"] == DASHBOARD


def test_a_login_with_next_still_goes_there(client):
    reviewer = reviewer_of(JurisdictionFactory())
    response = client.post(
        reverse("login"),
        {"username": reviewer.username, "password": PASSWORD, "next": MY_FILINGS},
    )
    assert response["Location"] == MY_FILINGS


def test_the_navbar_title_leads_home(client):
    client.force_login(officer_of(DepartmentFactory()))
    html = client.get(MY_FILINGS).content.decode()
    assert f'<a class="navbar-brand fw-semibold" href="{HOME}">' in html


def test_the_login_page_links_to_the_public_reports(client):
    html = client.get(reverse("login")).content.decode()
    assert f'<a href="{reverse("public:reports")}">信息公开</a>' in html


def test_a_user_changes_their_own_password_and_stays_signed_in(client):
    user = officer_of(DepartmentFactory())
    client.force_login(user)
    menu = client.get(MY_FILINGS).content.decode()
    assert f'href="{reverse("password_change")}">修改密码</a>' in menu

    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    assert "现在的密码" in page.content.decode()
    assert accessibility_problems(page.content.decode()) == []
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Lan-hu-2024-autumn",
            "new_password2": "Lan-hu-2024-autumn",
        },
        follow=True,
    )
    assert landing(response) == reverse("password_change_done")
    assert "您的密码已修改" in response.content.decode()
    assert SESSION_KEY in client.session
    user.refresh_from_db()
    assert user.check_password("Lan-hu-2024-autumn")


def test_a_wrong_old_password_or_weak_new_one_is_refused_in_chinese(client):
    user = officer_of(DepartmentFactory())
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong-one-123", "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "你的旧密码不正确。请重新输入。" in html
    assert "这个密码太常见了。" in html
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_password_page_needs_a_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
