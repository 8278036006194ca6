"""信息公开: published reports for everyone, without logging in.

Only the department, year, 总分, 等次 and the frozen PDF of a published filing
are exposed; anything else is a 404.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from evaluations import selectors
from evaluations.services.reports import report_filename
from evaluations.validators import MAX_YEAR, MIN_YEAR
from evaluations.views.reports import report_pending_response
from perfeval.params import clean_text, parse_int


@login_not_required
@require_GET
def public_reports(request):
    # A filter that is not a year or an id shows everything, as if absent.
    year = parse_int(request.GET.get("year"), low=MIN_YEAR, high=MAX_YEAR)
    jurisdiction = parse_int(request.GET.get("jurisdiction"), low=1)
    query = clean_text(request.GET.get("q"), max_length=100)
    filings = selectors.published_filings(year=year, jurisdiction_id=jurisdiction, query=query)
    context = {
        "filings": filings,
        "years": selectors.published_years(),
        "jurisdictions": selectors.published_jurisdictions(),
        "selected_year": "" if year is None else str(year),
        "selected_jurisdiction": "" if jurisdiction is None else str(jurisdiction),
        "query": query,
    }
    return render(request, "evaluations/public/reports.html", context)


@login_not_required
@require_GET
def public_report_pdf(request, pk):
    filing = selectors.published_filing_get(pk=pk)
    if not filing.report_sha256:
        # Only a filing published before publishing waited for its report
        # gets here: say what is happening rather than "not found".
        return report_pending_response(request, filing, "evaluations/public/report_pending.html")
    with filing.report_pdf.open("rb") as handle:
        data = handle.read()
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False, filename=report_filename(filing=filing)
    )
    response["ETag"] = f'"{filing.report_sha256}"'
    return response
