from django.urls import path

from .views import dashboard, excel, filing, generic, help, reports, workflow

app_name = "evaluations"

urlpatterns = [
    # 我的填报 and the filing pages (views/filing.py)
    path("", filing.my_filings, name="my_filings"),
    path("import/", filing.filing_import_view, name="filing_import"),
    # 填报说明 (views/help.py)
    path("help/", help.filing_help, name="help"),
    path("start/<int:department_id>/<int:year>/", filing.filing_start, name="filing_start"),
    path("<int:pk>/", filing.filing_detail, name="filing_detail"),
    path("<int:pk>/export.json", filing.filing_export, name="filing_export"),
    path("<int:pk>/report.pdf", reports.filing_report_download, name="filing_report"),
    path("<int:pk>/projects/add/", filing.project_add, name="project_add"),
    path("<int:pk>/projects/<int:project_pk>/", filing.project_edit, name="project_edit"),
    path(
        "<int:pk>/projects/<int:project_pk>/delete/",
        filing.project_delete,
        name="project_delete",
    ),
    path(
        "<int:pk>/projects/<int:project_pk>/preview/",
        filing.project_preview,
        name="project_preview",
    ),
    # Life cycle, history and changes since the last return (views/workflow.py)
    path(
        "<int:pk>/transition/<slug:action>/",
        workflow.filing_transition_view,
        name="filing_transition",
    ),
    path("<int:pk>/history/", workflow.filing_history, name="filing_history"),
    path("<int:pk>/changes/", workflow.filing_changes, name="filing_changes"),
    # Excel workbooks of the official tables (views/excel.py)
    path("<int:pk>/export.xlsx", excel.filing_workbook_download, name="filing_export_xlsx"),
    path("<int:pk>/import-xlsx/", excel.filing_workbook_upload, name="filing_import_xlsx"),
    path(
        "<int:pk>/import-xlsx/confirm/",
        excel.filing_workbook_confirm,
        name="filing_import_xlsx_confirm",
    ),
    path(
        "blank/<int:department_id>/<int:year>.xlsx",
        excel.blank_workbook_download,
        name="blank_workbook",
    ),
    path(
        "blank/<int:department_id>/<int:year>.pdf",
        reports.blank_forms_download,
        name="blank_forms_pdf",
    ),
    path("review/summary.xlsx", excel.summary_workbook_download, name="summary_workbook"),
    # A filing on a generic-layout form template (views/generic.py); its page
    # is the overview part (filing_part hands it over).
    path("<int:pk>/form/preview/", generic.filing_preview, name="generic_preview"),
    path("<int:pk>/form/export.xlsx", generic.workbook_download, name="generic_export_xlsx"),
    path("<int:pk>/form/import/", generic.filing_upload, name="generic_import"),
    path(
        "<int:pk>/form/import/confirm/",
        generic.filing_upload_confirm,
        name="generic_import_confirm",
    ),
    # Reviewer dashboard (views/dashboard.py)
    path("review/", dashboard.reviewer_dashboard, name="dashboard"),
    path("review/bulk-approve/", dashboard.bulk_approve, name="bulk_approve"),
    # The part pages last: <slug:part> would shadow the fixed paths above.
    path("<int:pk>/<slug:part>/", filing.filing_part, name="filing_part"),
    path("<int:pk>/<slug:part>/preview/", filing.part_preview, name="part_preview"),
]
