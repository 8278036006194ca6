"""用户管理: administrators manage accounts and roles; nobody else sees the pages."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from departments import services
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

User = get_user_model()
Role = Membership.Role
USERS = reverse("departments:users")
CREATE = reverse("departments:user_create")
STRONG = "Lanshan-绩效-2024!"


@pytest.fixture
def admin():
    user = UserFactory(username="admin")
    Membership.objects.create(user=user, role=Role.ADMIN)
    return user


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def new_user_data(**overrides):
    data = {
        "username": "zhangsan",
        "name": "张三",
        "email": "zhangsan@example.cn",
        "password": STRONG,
        "password_confirm": STRONG,
        "role": "",
        "department": "",
        "jurisdiction": "",
    }
    data.update(overrides)
    return data


def detail_url(user):
    return reverse("departments:user_detail", args=[user.pk])


# --- who may --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["officer", "reviewer", "plain"])
def test_users_pages_do_not_exist_for_non_administrators(client, persona):
    department = DepartmentFactory()
    user = {
        "officer": lambda: officer_of(department),
        "reviewer": lambda: reviewer_of(department.jurisdiction),
        "plain": UserFactory,
    }[persona]()
    other = UserFactory()
    client.force_login(user)
    assert client.get(USERS).status_code == 404
    assert client.get(CREATE).status_code == 404
    assert client.post(CREATE, new_user_data()).status_code == 404
    assert client.get(detail_url(other)).status_code == 404
    assert client.post(reverse("departments:user_deactivate", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.is_active
    assert not User.objects.filter(username="zhangsan").exists()


def test_superuser_manages_users_without_an_admin_role(client):
    client.force_login(UserFactory(is_superuser=True))
    assert client.get(USERS).status_code == 200


def test_services_refuse_an_actor_who_is_not_an_administrator():
    reviewer = reviewer_of(JurisdictionFactory())
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=reviewer, username="lisi", name="李四", email="", password=STRONG
        )
    with pytest.raises(PermissionDenied):
        services.user_deactivate(actor=reviewer, user=UserFactory())


def test_navigation_offers_user_management_to_administrators_only(client, admin):
    reviewer = reviewer_of(JurisdictionFactory())
    client.force_login(reviewer)
    page = client.get(reverse("evaluations:dashboard")).content.decode()
    assert "审核工作台" in page
    assert USERS not in page
    client.force_login(admin)
    page = client.get(reverse("evaluations:dashboard")).content.decode()
    assert f'href="{USERS}"' in page


# --- listing ----------------------------------------------------------------------


def test_list_shows_users_with_their_roles(admin_client):
    jurisdiction = JurisdictionFactory(name="邵阳市北塔区")
    reviewer_of(jurisdiction, username="wangwu")
    response = admin_client.get(USERS)
    html = response.content.decode()
    assert "wangwu" in html
    assert "财政局审核人：邵阳市北塔区" in html


def test_list_searches_by_username_or_name(admin_client):
    UserFactory(username="zhaoliu", first_name="赵六")
    UserFactory(username="qianqi")
    html = admin_client.get(USERS, {"q": "赵六"}).content.decode()
    assert "zhaoliu" in html
    assert "qianqi" not in html


def test_user_pages_have_labelled_fields(admin_client):
    user = officer_of(DepartmentFactory())
    for url in (USERS, CREATE, detail_url(user)):
        assert accessibility_problems(admin_client.get(url).content.decode()) == [], url


# --- creating ---------------------------------------------------------------------


def test_admin_creates_a_user_with_an_officer_membership(admin_client):
    department = DepartmentFactory(name="北塔区人民政府办公室")
    response = admin_client.post(
        CREATE, new_user_data(role=Role.OFFICER, department=department.pk), follow=True
    )
    user = User.objects.get(username="zhangsan")
    assert response.redirect_chain[-1][0] == detail_url(user)
    assert "已创建用户“zhangsan”。" in response.content.decode()
    assert user.first_name == "张三"
    assert user.email == "zhangsan@example.cn"
    assert user.check_password(STRONG)
    assert user.is_active
    assert list(user.memberships.values_list("role", "department")) == [
        (Role.OFFICER, department.pk)
    ]


def test_admin_creates_a_user_without_a_role(admin_client):
    admin_client.post(CREATE, new_user_data())
    assert not User.objects.get(username="zhangsan").memberships.exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("abc", "密码太短，至少需要 8 个字符。"),
        ("12345678", "这个密码太常见了。"),
        ("zhangsan2024", "密码跟 用户名 太相似了。"),
    ],
)
def test_weak_password_is_refused_with_a_chinese_message(admin_client, password, message):
    response = admin_client.post(
        CREATE, new_user_data(password=password, password_confirm=password)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username="zhangsan").exists()


def test_mismatched_password_confirmation_is_refused(admin_client):
    response = admin_client.post(CREATE, new_user_data(password_confirm=STRONG + "x"))
    assert "两次输入的密码不一致。" in response.content.decode()
    assert not User.objects.filter(username="zhangsan").exists()


def test_taken_username_is_refused(admin_client):
    UserFactory(username="ZhangSan")
    response = admin_client.post(CREATE, new_user_data())
    assert "该用户名已被使用。" in response.content.decode()
    assert User.objects.filter(username__iexact="zhangsan").count() == 1


def test_role_without_its_scope_creates_nothing(admin_client):
    response = admin_client.post(CREATE, new_user_data(role=Role.REVIEWER))
    assert "财政局审核人须选择所属行政区划。" in response.content.decode()
    assert not User.objects.filter(username="zhangsan").exists()


# --- roles and deactivation -------------------------------------------------------------


def test_admin_adds_a_reviewer_role(admin_client):
    user = UserFactory()
    jurisdiction = JurisdictionFactory(name="岳阳市君山区")
    response = admin_client.post(
        detail_url(user), {"role": Role.REVIEWER, "jurisdiction": jurisdiction.pk}, follow=True
    )
    assert "已添加角色：财政局审核人。" in response.content.decode()
    assert user.memberships.get().jurisdiction == jurisdiction


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": Role.OFFICER}, "单位填报人须选择所属预算部门。"),
        ({"role": Role.ADMIN, "jurisdiction": "J"}, "系统管理员不属于具体部门或行政区划"),
    ],
)
def test_role_with_the_wrong_scope_is_refused(admin_client, data, message):
    user = UserFactory()
    if data.get("jurisdiction") == "J":
        data = {**data, "jurisdiction": JurisdictionFactory().pk}
    response = admin_client.post(detail_url(user), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not user.memberships.exists()


def test_the_same_role_cannot_be_given_twice(admin_client):
    user = UserFactory()
    Membership.objects.create(user=user, role=Role.ADMIN)
    response = admin_client.post(detail_url(user), {"role": Role.ADMIN})
    assert "该用户已有这一角色。" in response.content.decode()
    assert user.memberships.count() == 1


def test_admin_removes_a_role(admin_client):
    department = DepartmentFactory()
    user = officer_of(department)
    membership = user.memberships.get()
    url = reverse("departments:membership_remove", args=[user.pk, membership.pk])
    response = admin_client.post(url, follow=True)
    assert "已移除角色：单位填报人。" in response.content.decode()
    assert not user.memberships.exists()


def test_admin_cannot_remove_their_own_admin_role(admin_client, admin):
    membership = admin.memberships.get()
    url = reverse("departments:membership_remove", args=[admin.pk, membership.pk])
    response = admin_client.post(url, follow=True)
    assert "不能移除自己的系统管理员角色。" in response.content.decode()
    assert admin.memberships.exists()


def test_admin_deactivates_a_user_who_then_cannot_log_in(admin_client):
    user = UserFactory(username="leaver")
    response = admin_client.post(
        reverse("departments:user_deactivate", args=[user.pk]), follow=True
    )
    assert "已停用用户“leaver”，该用户不能再登录。" in response.content.decode()
    user.refresh_from_db()
    assert not user.is_active
    visitor = Client()
    visitor.post(reverse("login"), {"username": "leaver", "password": "perfeval-pass-123"})
    assert "_auth_user_id" not in visitor.session


def test_admin_cannot_deactivate_themselves(admin_client, admin):
    response = admin_client.post(
        reverse("departments:user_deactivate", args=[admin.pk]), follow=True
    )
    assert "不能停用自己的账号。" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


# --- the Django admin -----------------------------------------------------------


@pytest.mark.parametrize("model", ["jurisdiction", "department"])
def test_django_admin_lists_and_adds_departments_models(client, model):
    officer_of(DepartmentFactory())
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse(f"admin:departments_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:departments_{model}_add")).status_code == 200


def test_django_admin_only_lists_roles_which_are_granted_on_user_management(client):
    membership = officer_of(DepartmentFactory()).memberships.get()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse("admin:departments_membership_changelist")).status_code == 200
    assert client.get(reverse("admin:departments_membership_add")).status_code == 403
    delete = reverse("admin:departments_membership_delete", args=[membership.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


@pytest.fixture
def staff_admin(client):
    """An administrator by role (staff in the 系统管理员 group), not a superuser."""
    user = UserFactory(username="bureau_admin")
    services.membership_add(actor=UserFactory(is_superuser=True), user=user, role=Role.ADMIN)
    client.force_login(user)
    return user


def test_an_administrator_cannot_grant_themselves_privileges_in_the_django_admin(
    client, staff_admin
):
    url = reverse("admin:auth_user_change", args=[staff_admin.pk])
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="user_permissions"' not in page
    assert 'name="groups"' not in page
    client.post(
        url,
        {
            "username": "bureau_admin",
            "first_name": "改名",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "user_permissions": [p.pk for p in Permission.objects.all()[:5]],
            "date_joined_0": "2024-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    staff_admin.refresh_from_db()
    assert staff_admin.first_name == "改名"  # the save went through, but without privileges
    assert not staff_admin.is_superuser
    assert not staff_admin.user_permissions.exists()


def test_an_administrator_cannot_touch_a_superusers_account(client, staff_admin):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    change = reverse("admin:auth_user_change", args=[root.pk])
    assert 'name="username"' not in client.get(change).content.decode()  # shown read-only
    assert client.post(change, {"username": "root", "is_active": ""}).status_code == 403
    password = reverse("admin:auth_user_password_change", args=[root.pk])
    assert client.get(password).status_code == 403


def test_nobody_deletes_a_user_or_a_filing_in_the_django_admin(client):
    from tests.factories import blank_filing

    filing = blank_filing()
    user = UserFactory(username="leaver")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    user_delete = reverse("admin:auth_user_delete", args=[user.pk])
    filing_delete = reverse("admin:evaluations_filing_delete", args=[filing.pk])
    assert client.post(user_delete, {"post": "yes"}).status_code == 403
    assert client.post(filing_delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:evaluations_filing_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [filing.pk]})
    assert User.objects.filter(pk=user.pk).exists()
    assert type(filing).objects.filter(pk=filing.pk).exists()


# --- separation of duties ---------------------------------------------------------


def test_an_officer_cannot_become_a_reviewer_of_their_departments_jurisdiction(admin_client):
    department = DepartmentFactory(name="君山区财政局")
    user = officer_of(department)
    response = admin_client.post(
        detail_url(user), {"role": Role.REVIEWER, "jurisdiction": department.jurisdiction.pk}
    )
    assert "该用户是君山区财政局的单位填报人，不能同时担任" in response.content.decode()
    assert list(user.memberships.values_list("role", flat=True)) == [Role.OFFICER]


def test_a_reviewer_cannot_become_an_officer_of_a_department_they_review(admin_client):
    department = DepartmentFactory()
    user = reviewer_of(department.jurisdiction)
    response = admin_client.post(
        detail_url(user), {"role": Role.OFFICER, "department": department.pk}
    )
    assert "财政局审核人，不能同时担任其辖区内" in response.content.decode()
    assert list(user.memberships.values_list("role", flat=True)) == [Role.REVIEWER]


def test_an_officer_cannot_become_an_administrator_nor_the_reverse(admin_client):
    officer = officer_of(DepartmentFactory())
    response = admin_client.post(detail_url(officer), {"role": Role.ADMIN})
    assert "不能同时担任可以审核该部门填报的系统管理员" in response.content.decode()
    administrator = UserFactory()
    Membership.objects.create(user=administrator, role=Role.ADMIN)
    response = admin_client.post(
        detail_url(administrator), {"role": Role.OFFICER, "department": DepartmentFactory().pk}
    )
    assert "该用户是系统管理员" in response.content.decode()
    assert officer.memberships.count() == administrator.memberships.count() == 1


def test_an_officer_may_review_another_jurisdiction(admin_client):
    user = officer_of(DepartmentFactory())
    elsewhere = JurisdictionFactory()
    admin_client.post(detail_url(user), {"role": Role.REVIEWER, "jurisdiction": elsewhere.pk})
    assert user.memberships.count() == 2


def test_an_administrator_role_opens_the_django_admin_and_removing_it_closes_it(client):
    from departments.services import membership_add, membership_remove

    actor = UserFactory(is_superuser=True)
    user = UserFactory(username="new_admin")
    membership = membership_add(actor=actor, user=user, role=Membership.Role.ADMIN)
    client.force_login(user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/departments/department/").status_code == 200
    assert client.get("/admin/evaluations/scoringtemplate/").status_code == 200

    membership_remove(actor=actor, membership=membership)
    user.refresh_from_db()
    assert not user.is_staff
    assert client.get("/admin/departments/department/").status_code == 302


# --- who granted what -------------------------------------------------------------


def test_role_and_account_changes_are_recorded_with_who_made_them(admin_client, admin):
    admin.first_name = "王管理"
    admin.save()
    department = DepartmentFactory(name="君山区教育局")
    user = UserFactory(username="lisi")
    admin_client.post(detail_url(user), {"role": Role.OFFICER, "department": department.pk})
    membership = user.memberships.get()
    admin_client.post(reverse("departments:membership_remove", args=[user.pk, membership.pk]))
    admin_client.post(reverse("departments:user_deactivate", args=[user.pk]))
    admin_client.post(reverse("departments:user_reactivate", args=[user.pk]))

    page = admin_client.get(detail_url(user)).content.decode()
    record = page[page.index("角色与账号变更记录") :]
    expected = [
        "重新启用账号",
        "停用账号",
        "移除角色：单位填报人 · 君山区教育局",
        "添加角色：单位填报人 · 君山区教育局",
    ]
    positions = [record.index(text) for text in expected]
    assert positions == sorted(positions)  # newest first
    assert record.count("王管理") == 4


def test_a_deactivated_user_is_reactivated_and_can_log_in_again(admin_client):
    user = UserFactory(username="returner", is_active=False)
    response = admin_client.post(
        reverse("departments:user_reactivate", args=[user.pk]), follow=True
    )
    assert "已重新启用用户“returner”" in response.content.decode()
    visitor = Client()
    visitor.post(reverse("login"), {"username": "returner", "password": "perfeval-pass-123"})
    assert "_auth_user_id" in visitor.session


def test_a_role_given_by_a_command_or_script_names_its_actor():
    from auditlog.models import LogEntry

    actor = UserFactory(username="root", is_superuser=True)
    services.membership_add(actor=actor, user=UserFactory(), role=Role.ADMIN)
    entry = LogEntry.objects.get(content_type__model="membership")
    assert entry.actor == actor
