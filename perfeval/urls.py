from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from perfeval import health

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="evaluations:my_filings", permanent=False)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("filings/", include("evaluations.urls")),
    path("departments/", include("departments.urls")),
    # 信息公开 needs no account (like the login page and /healthz).
    path("gongkai/", include("evaluations.public_urls")),
]
