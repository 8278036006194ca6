"""Excel workbooks of the official tables: download, and upload with a preview.

An upload is read and compared with the saved filing, and the officer sees
every field that would change and the findings the filing would have; only
their confirmation writes. Between the two requests the parsed document waits
in the session (as `perfeval-filing` JSON) with the filing's version at
preview time, so a filing saved by someone else meanwhile is not overwritten.
"""

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.selectors import (
    jurisdictions_reviewed_by,
)
from evaluations import selectors
from evaluations.models import FiscalYear
from evaluations.services.excel import (
    FilingChanged,
    FilingNotImportable,
    WorkbookError,
    blank_workbook,
    filing_check_importable,
    filing_workbook,
    filing_workbook_import,
    filing_workbook_preview,
    filing_workbook_read,
    summary_workbook,
    workbook_check_size,
    workbook_max_bytes,
)
from evaluations.services.interchange import (
    DocumentError,
    document_from_json,
    document_to_dict,
    problems_listed,
)
from evaluations.validators import MAX_YEAR, MIN_YEAR
from perfeval.params import parse_int

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BAD_REQUEST = 400
CONFLICT = 409


class WorkbookUploadForm(forms.Form):
    # Kept beside its only view: the Excel pages are one capability.
    file = forms.FileField(
        label="Excel 工作簿（.xlsx）",
        error_messages={"required": "请选择要上传的工作簿。", "empty": "文件是空的。"},
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": f".xlsx,{XLSX_CONTENT_TYPE}"}
        ),
    )


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _session_key(filing) -> str:
    return f"perfeval.excel_import.{filing.pk}"


def _filing_for_import(request, pk):
    """The filing, if the user may write it: another department's is a 404,
    a reviewer's (they read, never write) a 403."""
    filing = selectors.filing_get_for_user(user=request.user, pk=pk)
    if not selectors.user_can_edit_filing(user=request.user, filing=filing):
        raise PermissionDenied("只有本部门的填报人可以导入工作簿。")
    return filing


def _generic_import(filing):
    # A filing on a generic-layout form template imports its own workbook, with
    # its own preview (views.generic), never the Hunan one.
    url = reverse("evaluations:filing_part", args=[filing.pk, "overview"])
    return redirect(f"{url}#import")


def _upload_page(request, filing, form=None, *, refusal="", problems=(), status=200):
    shown, more = problems_listed(list(problems))
    context = {
        "filing": filing,
        "form": form or WorkbookUploadForm(),
        "refusal": refusal,
        "max_mb": f"{workbook_max_bytes() / (1024 * 1024):g}",
        # One problem is said under the file field; several are listed, all
        # of them up to the limit, so the officer fixes the workbook once.
        "problems": [str(problem) for problem in shown] if len(problems) > 1 else [],
        "problems_total": len(problems),
        "problems_more": more,
        "nothing_written": "填报未做任何改动。",
    }
    return render(request, "evaluations/excel_upload.html", context, status=status)


def _refused_upload(request, filing, form, error: WorkbookError):
    if len(error.problems) == 1:
        form.add_error("file", f"未导入。{error}")
    else:
        form.add_error("file", f"未导入：工作簿中有 {len(error.problems)} 处问题，见上方列表。")
    return _upload_page(request, filing, form, problems=error.problems, status=BAD_REQUEST)


@require_GET
def filing_workbook_download(request, pk):
    filing = selectors.filing_get_for_user(user=request.user, pk=pk)
    if filing.layout == "generic":
        return redirect("evaluations:generic_export_xlsx", filing.pk)
    filename = f"{filing.department.name}-{filing.fiscal_year.year}.xlsx"
    return _xlsx_response(filing_workbook(filing=filing), filename)


@require_http_methods(["GET", "POST"])
def filing_workbook_upload(request, pk):
    filing = _filing_for_import(request, pk)
    if filing.layout == "generic":
        return _generic_import(filing)
    try:
        filing_check_importable(filing=filing)
    except FilingNotImportable as error:
        return _upload_page(request, filing, refusal=str(error), status=CONFLICT)
    if request.method == "GET":
        return _upload_page(request, filing)
    form = WorkbookUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, filing, form, status=BAD_REQUEST)
    upload = form.cleaned_data["file"]
    try:
        workbook_check_size(size=upload.size)
        document = filing_workbook_read(filing=filing, data=upload.read())
        preview = filing_workbook_preview(filing=filing, document=document)
    except WorkbookError as error:
        return _refused_upload(request, filing, form, error)
    except FilingNotImportable as error:
        return _upload_page(request, filing, refusal=str(error), status=CONFLICT)
    token = uuid.uuid4().hex
    request.session[_session_key(filing)] = {
        "token": token,
        "version": preview.version,
        "filename": upload.name,
        "document": document_to_dict(document=document),
    }
    context = {"filing": filing, "preview": preview, "token": token, "filename": upload.name}
    return render(request, "evaluations/excel_preview.html", context)


@require_POST
def filing_workbook_confirm(request, pk):
    filing = _filing_for_import(request, pk)
    if filing.layout == "generic":
        return _generic_import(filing)
    pending = request.session.get(_session_key(filing))
    if not pending or pending.get("token") != request.POST.get("token"):
        messages.error(request, "预览已失效（可能已在其他窗口上传了另一份工作簿），请重新上传。")
        return redirect("evaluations:filing_import_xlsx", filing.pk)
    # One confirmation per preview, whatever its outcome.
    del request.session[_session_key(filing)]
    try:
        result = filing_workbook_import(
            filing=filing,
            document=document_from_json(pending["document"]),
            expected_version=pending["version"],
            actor=request.user,
        )
    except (FilingChanged, FilingNotImportable) as error:
        return _upload_page(request, filing, refusal=str(error), status=CONFLICT)
    except WorkbookError as error:
        return _upload_page(request, filing, refusal=f"未导入。{error}", status=BAD_REQUEST)
    except DocumentError as error:
        # A stored preview this version's reader refuses (e.g. after an upgrade).
        return _upload_page(request, filing, refusal=f"未导入。{error.message}", status=BAD_REQUEST)
    counts = f"错误 {len(result.errors)} 项，警告 {len(result.warnings)} 项"
    if result.written:
        messages.success(
            request,
            f"已导入工作簿“{pending['filename']}”：{len(result.changes)} 处修改，"
            f"现为第 {result.filing.version} 版；{counts}。",
        )
    else:
        messages.info(request, f"无变化：工作簿与当前填报一致，未写入；{counts}。")
    return redirect(filing.get_absolute_url())


@require_GET
def blank_workbook_download(request, department_id, year):
    department = selectors.department_get_for_user(user=request.user, pk=department_id)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404("没有这个年度。")
    fiscal_year = FiscalYear.objects.filter(year=year).first() or year
    data = blank_workbook(department=department, fiscal_year=fiscal_year)
    return _xlsx_response(data, f"{department.name}-{year}-空白模板.xlsx")


@require_GET
def summary_workbook_download(request):
    if not selectors.user_is_bureau_staff(user=request.user):
        # Like the dashboard: bureau pages do not exist for anyone else.
        raise Http404("没有找到该页面。")
    year = request.GET.get("year", "")
    if year:
        # "²" or a 30-digit year is a year that does not exist, not an error.
        number = parse_int(year, low=MIN_YEAR, high=MAX_YEAR)
        fiscal_year = FiscalYear.objects.filter(year=number).first() if number else None
        if fiscal_year is None:
            raise Http404("没有这个年度。")
    else:
        fiscal_year = FiscalYear.objects.order_by("-year").first()
        if fiscal_year is None:
            raise Http404("还没有任何年度。")
    data = summary_workbook(
        jurisdictions=jurisdictions_reviewed_by(user=request.user), fiscal_year=fiscal_year
    )
    return _xlsx_response(data, f"{fiscal_year.year}年度部门整体支出绩效自评汇总.xlsx")
