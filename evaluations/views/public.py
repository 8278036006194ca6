"""信息公开: published reports for everyone, without logging in.

Only the department, year, 总分, 等次 and the frozen PDF of a published filing
are exposed; anything else is a 404.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from evaluations import selectors
from evaluations.services.reports import report_filename


@login_not_required
@require_GET
def public_reports(request):
    year = request.GET.get("year", "").strip()
    jurisdiction = request.GET.get("jurisdiction", "").strip()
    query = request.GET.get("q", "").strip()[:100]
    filings = selectors.published_filings(
        year=int(year) if year.isdigit() else None,
        jurisdiction_id=int(jurisdiction) if jurisdiction.isdigit() else None,
        query=query,
    )
    context = {
        "filings": filings,
        "years": selectors.published_years(),
        "jurisdictions": selectors.published_jurisdictions(),
        "selected_year": year,
        "selected_jurisdiction": jurisdiction,
        "query": query,
    }
    return render(request, "evaluations/public/reports.html", context)


@login_not_required
@require_GET
def public_report_pdf(request, pk):
    filing = selectors.published_filing_get(pk=pk)
    if not filing.report_sha256:
        raise Http404("报告正在生成，请稍后再试。")
    with filing.report_pdf.open("rb") as handle:
        data = handle.read()
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False, filename=report_filename(filing=filing)
    )
    response["ETag"] = f'"{filing.report_sha256}"'
    return response
