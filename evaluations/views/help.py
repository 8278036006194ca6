"""填报说明: what each part of a filing is, how it is scored, what each finding
means and when the filing year's deadline is. For every signed-in user (the
login itself is required by LoginRequiredMiddleware)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from evaluations.core.finding_help import finding_help_rows
from evaluations.models import FiscalYear
from evaluations.validators import MAX_YEAR, MIN_YEAR
from perfeval.params import parse_int


@require_GET
def filing_help(request):
    # The years open for filing, and the year of the filing the officer came
    # from (?year=, linked from every filing page) even once it is closed.
    years = FiscalYear.objects.select_related("default_template").order_by("-year")
    asked = parse_int(request.GET.get("year"), low=MIN_YEAR, high=MAX_YEAR)
    shown = [
        fiscal_year for fiscal_year in years if fiscal_year.is_open or fiscal_year.year == asked
    ]
    if not shown:
        shown = list(years[:1])
    return render(
        request,
        "evaluations/help.html",
        {
            "fiscal_years": shown,
            "asked_year": "" if asked is None else str(asked),
            "findings": finding_help_rows(),
        },
    )
