"""Login lockout (django-axes), password rules and session expiry."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

PASSWORD = "perfeval-pass-123"
LOCKED = "登录失败次数过多，账户已锁定 30 分钟，请稍后再试或联系系统管理员。"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """These tests log in dozens of times; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def log_in(client, username, password, **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


def logged_in(client):
    return "_auth_user_id" in client.session


def fail_five_times(client, username, **headers):
    return [log_in(client, username, "wrong-password", **headers) for _ in range(5)]


def test_five_failed_logins_lock_the_account_even_against_the_right_password(client):
    UserFactory(username="zhangsan")
    responses = fail_five_times(client, "zhangsan")
    assert [response.status_code for response in responses[:4]] == [200] * 4
    assert "请输入一个正确的" in responses[0].content.decode()
    assert LOCKED not in responses[3].content.decode()
    assert responses[4].status_code == 429

    response = log_in(client, "zhangsan", PASSWORD)

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not logged_in(client)


def test_a_locked_account_does_not_lock_another_user_at_the_same_computer(client):
    UserFactory(username="zhangsan")
    UserFactory(username="lisi")
    fail_five_times(client, "zhangsan")

    response = log_in(client, "lisi", PASSWORD)

    assert response.status_code == 302
    assert logged_in(client)


def test_the_lockout_applies_to_the_address_that_failed_as_nginx_reports_it(client):
    UserFactory(username="zhangsan")
    fail_five_times(client, "zhangsan", HTTP_X_REAL_IP="10.1.2.3")
    assert log_in(client, "zhangsan", PASSWORD, HTTP_X_REAL_IP="10.1.2.3").status_code == 429

    response = log_in(client, "zhangsan", PASSWORD, HTTP_X_REAL_IP="10.1.2.4")

    assert response.status_code == 302
    assert logged_in(client)


def test_the_lockout_ends_after_30_minutes(client):
    UserFactory(username="zhangsan")
    fail_five_times(client, "zhangsan")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))

    response = log_in(client, "zhangsan", PASSWORD)

    assert response.status_code == 302
    assert logged_in(client)


def test_a_successful_login_starts_the_count_again(client):
    UserFactory(username="zhangsan")
    for _ in range(4):
        log_in(client, "zhangsan", "wrong-password")
    assert log_in(client, "zhangsan", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        log_in(client, "zhangsan", "wrong-password")

    assert log_in(client, "zhangsan", PASSWORD).status_code == 302


def test_the_admin_login_is_locked_as_well(client):
    UserFactory(username="zhangsan", is_staff=True)
    fail_five_times(client, "zhangsan")

    response = client.post(reverse("admin:login"), {"username": "zhangsan", "password": PASSWORD})

    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_the_session_ends_with_the_browser_and_after_eight_hours(client):
    UserFactory(username="zhangsan")
    before = timezone.now()

    log_in(client, "zhangsan", PASSWORD)

    cookie = client.cookies["sessionid"]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert cookie["httponly"]
    session = Session.objects.get(session_key=cookie.value)
    expected = before + timedelta(hours=8)
    assert expected <= session.expire_date <= expected + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("abc", "密码太短，至少需要 8 个字符。"),
        ("password", "这个密码太常见了。"),
        ("73918264", "密码只包含数字。"),
        ("zhangsan2024", "密码跟 用户名 太相似了。"),
    ],
)
def test_weak_passwords_are_refused_in_chinese(password, message):
    user = UserFactory.build(username="zhangsan")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert message in refused.value.messages


def test_a_strong_password_passes():
    validate_password("Caizheng-Kaohe-2024!", UserFactory.build(username="zhangsan"))


def test_an_address_guessing_across_many_user_names_is_stopped(client, settings):
    """20 user names × 4 passwords from one address: each name stays under its
    own limit, but the address's failures across names reach theirs."""
    UserFactory(username="victim")
    limit = settings.PERFEVAL_ADDRESS_FAILURE_LIMIT
    answers = [
        log_in(client, f"guess{name}", f"wrong-{attempt}").status_code
        for name in range(20)
        for attempt in range(4)
    ]
    # As for one user name, the failure that reaches the limit is answered with the lockout.
    assert answers[: limit - 1] == [200] * (limit - 1)
    assert set(answers[limit - 1 :]) == {429}
    assert log_in(client, "victim", PASSWORD).status_code == 429
    # Another address (another office) is not affected.
    response = log_in(client, "victim", PASSWORD, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 302


def test_x_real_ip_is_believed_only_from_a_trusted_proxy(client):
    """Someone who reaches gunicorn directly cannot rotate X-Real-IP past the lockout."""
    UserFactory(username="zhangsan")
    for attempt in range(5):
        log_in(
            client,
            "zhangsan",
            "wrong-password",
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_REAL_IP=f"10.0.0.{attempt}",
        )
    response = log_in(
        client, "zhangsan", PASSWORD, REMOTE_ADDR="203.0.113.9", HTTP_X_REAL_IP="10.0.0.99"
    )
    assert response.status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"


def test_pages_carry_a_content_security_policy(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_signed_in_pages_and_files_are_not_kept_by_the_browser(client):
    user = UserFactory(username="zhangsan")
    client.force_login(user)
    for path in ("/filings/", "/healthz"):
        assert "no-store" in client.get(path)["Cache-Control"], path
