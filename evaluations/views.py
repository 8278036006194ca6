from django.shortcuts import render


def my_filings(request):
    return render(request, "evaluations/my_filings.html", {})
