from django.urls import path

from . import views

app_name = "evaluations"

urlpatterns = [
    path("", views.my_filings, name="my_filings"),
    path("import/", views.filing_import_view, name="filing_import"),
    path("start/<int:department_id>/<int:year>/", views.filing_start, name="filing_start"),
    path("<int:pk>/", views.filing_detail, name="filing_detail"),
    path("<int:pk>/export.json", views.filing_export, name="filing_export"),
    path("<int:pk>/projects/add/", views.project_add, name="project_add"),
    path("<int:pk>/projects/<int:project_pk>/", views.project_edit, name="project_edit"),
    path(
        "<int:pk>/projects/<int:project_pk>/delete/",
        views.project_delete,
        name="project_delete",
    ),
    path(
        "<int:pk>/projects/<int:project_pk>/preview/",
        views.project_preview,
        name="project_preview",
    ),
    path("<int:pk>/<slug:part>/", views.filing_part, name="filing_part"),
    path("<int:pk>/<slug:part>/preview/", views.part_preview, name="part_preview"),
]
