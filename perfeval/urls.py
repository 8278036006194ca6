from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from evaluations.views.dashboard import home
from perfeval import health

urlpatterns = [
    # The bureau's home is its dashboard, everyone else's 我的填报.
    path("", home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Own template names: Django's admin renders registration/password_change_*.html
    # for its own password pages, which must keep the admin's look.
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_change_complete.html"
        ),
        name="password_change_done",
    ),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("filings/", include("evaluations.urls")),
    path("departments/", include("departments.urls")),
    # 信息公开 needs no account (like the login page and /healthz).
    path("gongkai/", include("evaluations.public_urls")),
]
