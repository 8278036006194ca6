from django.urls import path

from .views import public

app_name = "public"

urlpatterns = [
    path("", public.public_reports, name="reports"),
    path("<int:pk>/report.pdf", public.public_report_pdf, name="report_pdf"),
]
