"""The PDF report of a filing for the people who may see it."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from evaluations import selectors
from evaluations.models import Filing
from evaluations.services.interchange import filing_document
from evaluations.services.pdf import blank_forms_pdf
from evaluations.services.reports import report_filename, report_pdf_bytes, report_wait
from evaluations.validators import MAX_YEAR, MIN_YEAR


def report_pending_response(request, filing, template_name):
    """503 while the frozen report is rendered: the filing's status and how
    long the report has been awaited; browsers may ask again in 5 seconds."""
    response = render(
        request, template_name, {"filing": filing, "wait": report_wait(filing=filing)}, status=503
    )
    response["Retry-After"] = "5"
    return response


@require_GET
def filing_report_download(request, pk):
    """Officers download their own filing's report in any status, reviewers any
    filing they can see: the frozen file once approved, a 草稿 render before."""
    filing = selectors.filing_get_for_user(user=request.user, pk=pk)
    data = report_pdf_bytes(filing=filing)
    if data is None:
        return report_pending_response(request, filing, "evaluations/report_pending.html")
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=report_filename(filing=filing)
    )
    if filing.report_sha256:
        response["ETag"] = f'"{filing.report_sha256}"'
    return response


@require_GET
def blank_forms_download(request, department_id, year):
    """附件1–3 with empty cells for a department and year, to print and fill by
    hand; last year's rows are listed when the department filed then."""
    department = selectors.department_get_for_user(user=request.user, pk=department_id)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404("没有这个年度。")
    previous = Filing.objects.filter(department=department, fiscal_year__year=year - 1).first()
    data = blank_forms_pdf(
        department_name=department.name,
        year=year,
        prior_document=filing_document(filing=previous) if previous else None,
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{year}年度{department.name}绩效自评空白表.pdf"
    )
    return response
